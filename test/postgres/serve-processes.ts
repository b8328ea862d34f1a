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

/**
 * An SDK client for one process; `maxAttempts: 1` unless said otherwise (the tests see every error).
 *
 * Its idle keep-alive sockets are closed after 1 s, well before the server's 5 s keep-alive timeout
 * (SERVE_DEFAULTS in src/server/http-server.ts). With the SDK's default agent an idle socket is
 * kept until the server closes it, and a request written just as the server closes it fails as
 * `TimeoutError: socket hang up` (the SDK retries it; these clients make one attempt). Node's agent
 * heeds the server's `Keep-Alive: timeout=5` hint only when a timeout of its own is set
 * (Agent.prototype.keepSocketAlive in Node's lib/_http_agent.js). That race is the client's, not
 * the server's: a test that idled for about 5 s between calls failed on it (multi-process.test.ts,
 * once in seven CI runs). A server that drops a connection mid-request still fails these tests.
 */
export function client(url: string, maxAttempts = 1): KMSClient {
  return new KMSClient({ region: 'us-east-1', endpoint: url, credentials, maxAttempts, requestHandler: { httpAgent: { timeout: 1000 } } });
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
