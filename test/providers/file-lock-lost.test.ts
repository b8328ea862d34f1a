// A writer whose lock was taken over while it held it must not cut off what the new holder
// appended. The lock file is judged stale once its holder has not refreshed it for 30 s
// (src/providers/file-lock.ts, staleLockContent), even while its owner is alive: a writer
// stopped (SIGSTOP, a paused VM) or a clock stepped forward makes another
// process take the lock over in the middle of a write. The first writer then appends at the
// offset it read before, and used to ftruncate the file back to it, dropping entries another
// process had already acknowledged (journal-store.ts, #append).
import { spawnSync } from 'node:child_process';
import { utimesSync, writeFileSync } from 'node:fs';
import { beforeAll, expect, test } from 'vitest';
import { Kms, KMSInternalException } from 'kmsbox';
import { bundleWorker, newStore } from './file-fixtures.js';

let worker: string;
beforeAll(async () => {
  worker = await bundleWorker(new URL('./file-worker.ts', import.meta.url));
});

test('a writer whose lock was taken over does not cut off the entries the other process acknowledged meanwhile', async () => {
  const store = newStore();
  const a = store.open();
  const kmsA = new Kms({ provider: a });
  const { KeyMetadata } = await kmsA.createKey({ Description: 'before' });
  const arn = KeyMetadata!.Arn!;

  const write = a.update((state) => {
    // Under A's lock, after A read the file. Its lock now looks 60 s old, as it does to another
    // process after A was stopped that long (or after the clock stepped forward).
    // (Not refreshed since: its mtime as old as its date.)
    const then = Date.now() - 60_000;
    writeFileSync(`${store.path}.lock`, `${process.pid} ${then}`);
    utimesSync(`${store.path}.lock`, new Date(then), new Date(then));
    // Another process writes meanwhile (A's event loop waits for it: A is "stopped").
    const b = spawnSync(process.execPath, [worker, 'burst', store.path, store.rootKeyFile, '1', 'other'], { encoding: 'utf8' });
    expect(b.stdout).toContain('done'); // acknowledged: key and alias/other-0 are durable
    state.keys[arn]!.description = 'written by A';
  });
  // A's write is refused (its lock was lost) rather than written over B's acknowledged entries.
  await expect(write).rejects.toBeInstanceOf(KMSInternalException);

  const fresh = new Kms({ provider: store.open() });
  const { Aliases } = await fresh.listAliases({});
  expect(Aliases!.map((x) => x.AliasName)).toContain('alias/other-0');
  // A goes on: it sees B's writes, and writes after them.
  expect((await kmsA.listAliases({})).Aliases!.map((x) => x.AliasName)).toContain('alias/other-0');
  await kmsA.updateKeyDescription({ KeyId: arn, Description: 'after' });
  expect((await fresh.describeKey({ KeyId: arn })).KeyMetadata!.Description).toBe('after');
});
