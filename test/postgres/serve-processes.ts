// `kmsbox serve --postgres` processes as users run them (node + tsx on src/cli.ts), and SDK clients
// for them: shared by the multi-process tests.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { KMSClient } from '@aws-sdk/client-kms';

const root = new URL('../..', import.meta.url).pathname;
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  readonly exited: Promise<number | string | null>;
}

/** Starts `kmsbox serve --port 0 ...args` and resolves once it listens. */
export function serve(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--port', '0', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
  });
  let output = '';
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) resolve({ child, url: m[1]!, output: () => output, exited });
    });
    void exited.then((code) => reject(new Error(`kmsbox serve exited (${code}):\n${output}`)));
  });
}

/** Stops a process with SIGTERM (a clean shutdown) and resolves with its exit code. */
export async function stop(p: ServeProcess): Promise<number | string | null> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  return p.exited;
}

/** An SDK client for one process; `maxAttempts: 1` unless said otherwise (the tests see every error). */
export function client(url: string, maxAttempts = 1): KMSClient {
  return new KMSClient({ region: 'us-east-1', endpoint: url, credentials, maxAttempts });
}

/** Runs the kmsbox command (`node --import tsx src/cli.ts ...args`): exit code, stdout, stderr. */
export function kmsbox(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', ...args],
      { cwd: root, env: { ...process.env, ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
