// A transaction's connection killed under it (pg_terminate_backend by an administrator or by any
// session of kmsbox's role, a failover, the server's idle_in_transaction_session_timeout): the
// write fails typed and the process goes on serving. postgres.js 3.4.9 sends the ROLLBACK of a
// failed transaction on the dead connection, and its deferred write then throws from a
// setImmediate (https://github.com/porsager/postgres/issues/1208): an uncaught TypeError that ends
// the process. The kmsbox process runs apart (killed-worker.ts), so that its crash is seen.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { beforeAll, expect, test } from 'vitest';
import { bundleWorker } from '../providers/file-fixtures.js';
import { usePostgres } from './fixtures.js';

const pg = usePostgres('killed_connection');
let worker: string;
beforeAll(async () => {
  worker = await bundleWorker(new URL('./killed-worker.ts', import.meta.url));
});

/** The worker's stdout lines, each awaited in turn; rejects if it exits first. */
function lines(child: ChildProcessWithoutNullStreams): () => Promise<string> {
  const queue: string[] = [];
  const waiting: ((line: string | Error) => void)[] = [];
  let buffer = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const w = waiting.shift();
      if (w === undefined) queue.push(line);
      else w(line);
    }
  });
  child.on('exit', (code) => {
    for (const w of waiting.splice(0)) w(new Error(`the kmsbox process exited (${code}): ${stderr.slice(0, 500)}`));
  });
  return () =>
    queue.length > 0
      ? Promise.resolve(queue.shift()!)
      : new Promise((resolve, reject) => waiting.push((l) => (l instanceof Error ? reject(l) : resolve(l))));
}

test('a write whose connection is killed while it waits for the write lock fails typed, and the process serves on', async () => {
  const schema = pg.schema();
  const child = spawn(process.execPath, [worker, pg.url, schema], { stdio: ['pipe', 'pipe', 'pipe'] });
  const next = lines(child);
  try {
    const keyId = (await next()).split(' ')[1]!;
    await pg.sql.begin(async (tx) => {
      await tx`SELECT version FROM ${tx(`${schema}.meta`)} FOR UPDATE`; // the store's write lock
      child.stdin.write(`disable ${keyId}\n`);
      // Until the worker's transaction waits for that lock (polled, not a fixed delay).
      for (;;) {
        const [w] = await tx`SELECT pid FROM pg_stat_activity WHERE application_name = 'kmsbox' AND wait_event_type = 'Lock'`;
        if (w !== undefined) {
          await tx`SELECT pg_terminate_backend(${w.pid}::int)`;
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    expect(await next()).toBe('error DependencyTimeoutException');
    child.stdin.write(`enabled ${keyId}\n`);
    expect(await next()).toBe('enabled true'); // the failed DisableKey left no trace
    child.stdin.write(`disable ${keyId}\n`);
    expect(await next()).toBe('ok');
    child.stdin.write(`enabled ${keyId}\n`);
    expect(await next()).toBe('enabled false');
  } finally {
    child.stdin.write('exit\n');
    child.kill();
  }
});
