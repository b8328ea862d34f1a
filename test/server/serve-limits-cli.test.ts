// `kmsbox serve`'s limit flags: validated as usage mistakes (exit 252), and passed to the server.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { cliBundle } from '../cli/cli-bundle.js';

const root = new URL('../..', import.meta.url).pathname;

function serve(args: string[]): { exit: Promise<{ code: number | null; stderr: string }>; url: Promise<string>; kill: () => void } {
  const child = spawn(process.execPath, [cliBundle, 'serve', '--port', '0', ...args], { cwd: root });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    void exit.then(({ code }) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  url.catch(() => undefined); // the usage-mistake tests never await the URL: its rejection is expected there
  return { exit, url, kill: () => child.kill('SIGTERM') };
}

describe('kmsbox serve limit flags', () => {
  it.each([
    [['--max-connections', '0'], "--max-connections must be a positive integer, not '0'"],
    [['--headers-timeout-ms', '-5'], "--headers-timeout-ms must be a positive integer, not '-5'"],
    [['--request-timeout-ms', '1.5'], "--request-timeout-ms must be a positive integer, not '1.5'"],
    [['--keep-alive-timeout-ms', '1e3'], "--keep-alive-timeout-ms must be a positive integer, not '1e3'"],
    [['--max-requests-per-connection', 'many'], "--max-requests-per-connection must be a positive integer, not 'many'"],
    [['--idle-timeout-ms', '9999999999999999'], "--idle-timeout-ms must be a positive integer, not '9999999999999999'"],
    [['--headers-timeout-ms', '20000'], '--headers-timeout-ms (20000) must not exceed --request-timeout-ms (10000)'],
    [
      ['--headers-timeout-ms', '3000', '--request-timeout-ms', '2000'],
      '--headers-timeout-ms (3000) must not exceed --request-timeout-ms (2000)',
    ],
    [['--max-connection', '5'], 'unknown option --max-connection'],
    [['--idle-timeout-ms'], '--idle-timeout-ms needs a value'],
    [['--port', '-1'], '--port must be 0..65535'],
    [['--port', '65536'], '--port must be 0..65535'],
  ])('%j is a usage mistake (exit 252)', async (args, message) => {
    const { code, stderr } = await serve(args).exit;
    expect({ code, stderr: stderr.trim() }).toEqual({ code: 252, stderr: `kmsbox: ${message}` });
  });

  it('passes the limits to the server: a slowloris client gets 408 at --headers-timeout-ms', async () => {
    const s = serve([
      '--headers-timeout-ms',
      '300',
      '--request-timeout-ms',
      '600',
      '--max-connections',
      '4',
      '--keep-alive-timeout-ms',
      '1000',
      '--max-requests-per-connection',
      '10',
      '--idle-timeout-ms',
      '5000',
    ]);
    const port = Number(new URL(await s.url).port);
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // Bounded wait: Node's default would keep this connection for a minute.
    const closed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 30_000);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    expect([closed, answer.split('\r\n')[0]]).toEqual([true, 'HTTP/1.1 408 Request Timeout']);
    s.kill();
    expect((await s.exit).code).toBe(0);
  });
});
