// Lock liveness (src/providers/file-lock.ts): a holder refreshes its lock while it holds it, so a
// live holder keeps it past the stale age however long it holds it (as a large store's
// compaction does), and only a holder that stopped refreshing (killed) loses it. The stale age is
// shortened here (every process sharing a store must use the same); nothing asserts a duration:
// each step waits for what a process reported, or for the clock to pass a point.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { lockStore } from '../../src/providers/file-lock.js';
import { bundleWorker, tempDir } from './file-fixtures.js';

// Long enough that a loaded machine still runs the holder's refresh (every STALE_MS / 3) in time.
const STALE_MS = 2000;
/**
 * The live-holder test's stale age: its holder refreshes every third of it, so the test would fail
 * only if a loaded machine kept the holder's timer from running for two thirds of it (4 s).
 */
const LIVE_STALE_MS = 6000;
let worker: string;
beforeAll(async () => {
  worker = await bundleWorker(new URL('./file-lock-worker.ts', import.meta.url));
});

/** A child holding the lock of `path`; resolves once it reported holding it. */
async function holder(
  path: string,
  staleMs = STALE_MS,
): Promise<{ child: ChildProcessWithoutNullStreams; content: string; next: () => Promise<string> }> {
  const child = spawn(process.execPath, [worker, 'hold', path, String(staleMs)]);
  let out = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (d) => {
    out += d;
    for (const w of waiters.splice(0)) w();
  });
  let read = 0;
  const next = async (): Promise<string> => {
    for (;;) {
      const nl = out.indexOf('\n', read);
      if (nl >= 0) {
        const line = out.slice(read, nl);
        read = nl + 1;
        return line;
      }
      if (child.exitCode !== null) throw new Error(`holder exited: ${out}`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  const held = await next();
  expect(held).toMatch(/^held \d+ \d+$/);
  return { child, content: held.slice('held '.length), next };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits until `fn` is true (polling; the test's own timeout is the bound). */
async function until(fn: () => boolean): Promise<void> {
  while (!fn()) await sleep(20);
}

test('a live holder keeps its lock far past the stale age: another process waits instead of taking it over', {
  timeout: 60_000,
}, async () => {
  const path = join(tempDir(), 'store.kmsbox');
  const h = await holder(path, LIVE_STALE_MS);
  const lockPath = `${path}.lock`;
  const created = Number(h.content.split(' ')[1]);

  let acquired = false;
  const waiting = lockStore(path, 60_000, undefined, LIVE_STALE_MS).then((unlock) => {
    acquired = true;
    return unlock;
  });
  // The lock's date is many stale ages old, and its holder has refreshed it since (its mtime moved).
  await until(() => acquired || (Date.now() - created > 2 * LIVE_STALE_MS && statSync(lockPath).mtimeMs > created + LIVE_STALE_MS));
  // One more refresh seen after that, so the waiter has had its chances to judge it stale.
  const seen = statSync(lockPath).mtimeMs;
  await until(() => acquired || statSync(lockPath).mtimeMs > seen);
  expect(acquired).toBe(false);
  expect(readFileSync(lockPath, 'utf8')).toBe(h.content);

  h.child.stdin.write('release\n');
  expect(await h.next()).toBe('released mine'); // nobody took it over meanwhile
  const unlock = await waiting;
  expect(readFileSync(lockPath, 'utf8')).toMatch(new RegExp(`^${process.pid} \\d+$`));
  unlock();
  expect(existsSync(lockPath)).toBe(false);
});

test('the lock of a killed holder is taken over', { timeout: 60_000 }, async () => {
  const path = join(tempDir(), 'store.kmsbox');
  const h = await holder(path);
  h.child.kill('SIGKILL');
  await new Promise((r) => h.child.once('exit', r));
  expect(readFileSync(`${path}.lock`, 'utf8')).toBe(h.content); // left behind
  // Its pid is dead (same host): taken over at once. (Were it on another host, once not refreshed for STALE_MS.)
  const unlock = await lockStore(path, 60_000, undefined, STALE_MS);
  expect(readFileSync(`${path}.lock`, 'utf8')).toMatch(new RegExp(`^${process.pid} \\d+$`));
  unlock();
});

test('a lock not refreshed for the stale age is taken over even while its pid lives (a frozen holder)', { timeout: 60_000 }, async () => {
  const path = join(tempDir(), 'store.kmsbox');
  const h = await holder(path);
  h.child.kill('SIGSTOP'); // alive, but its timer cannot refresh the lock
  try {
    const unlock = await lockStore(path, 60_000, undefined, STALE_MS);
    expect(readFileSync(`${path}.lock`, 'utf8')).toMatch(new RegExp(`^${process.pid} \\d+$`));
    h.child.kill('SIGCONT');
    h.child.stdin.write('release\n');
    expect(await h.next()).toBe('released taken over'); // it finds out, and leaves the new lock alone
    expect(readFileSync(`${path}.lock`, 'utf8')).toMatch(new RegExp(`^${process.pid} \\d+$`));
    unlock();
  } finally {
    h.child.kill('SIGKILL');
  }
});

test('refresh() of a lock taken over says so (a typed error), and never touches the new lock', async () => {
  const path = join(tempDir(), 'store.kmsbox');
  const unlock = await lockStore(path, 10_000, undefined, STALE_MS);
  unlock.refresh(); // ours: fine
  const { writeFileSync } = await import('node:fs');
  writeFileSync(`${path}.lock`, `1 ${Date.now()}`);
  expect(() => unlock.refresh()).toThrow(/was taken over by another process/);
  unlock();
  expect(readFileSync(`${path}.lock`, 'utf8')).toMatch(/^1 \d+$/);
});
