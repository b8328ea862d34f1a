// FileProvider rollback (issue 18 §2): an older copy of the store, or another store, put in the
// store's place is refused by a running process (it remembers the highest generation and the
// store id it saw) and by a new one (through the high-water mark file, `<store>.hwm`), with a
// KMSInternalException that names the file and no secret; nothing is decrypted from the copy
// and nothing is written over it. Also: version-1 stores (before store ids) still open.
import { copyFileSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Kms, ManualClock } from 'kmsbox';
import { FileProvider, type FileProviderOptions } from 'kmsbox/node';
import { generationOf, headerOf, newStore, tempDir, type Store } from './file-fixtures.js';
import { rejects, utf8 } from '../api/helpers.js';

const DAY = 86_400_000;
const ROLLED_BACK =
  /refused: it was rolled back: generation \d+ (with \d+ journal entries )?after generation \d+( with \d+)?\. Nothing from it was used and nothing was written over it. If you restored an older copy on purpose, call resetHighWaterMark\(\)/;

const open = (store: Store, extra: Partial<FileProviderOptions> = {}) =>
  new FileProvider({ path: store.path, rootKeyFile: store.rootKeyFile, ...extra });
const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

/** Refused as a KMSInternalException naming the store and no secret; the store file and its mark are left exactly as they were. */
async function refused(store: Store, fn: () => Promise<unknown>, message: RegExp | string): Promise<void> {
  const before = readFileSync(store.path);
  const hwmBefore = existsSync(`${store.path}.hwm`) ? readFileSync(`${store.path}.hwm`) : undefined;
  const e = await rejects(fn, 'KMSInternalException', message);
  expect(e.message).toContain(store.path);
  expect(e.message).not.toContain(store.rootKey.toString('hex'));
  expect(e.message).not.toContain(store.rootKey.toString('base64'));
  expect(readFileSync(store.path).equals(before)).toBe(true);
  if (hwmBefore !== undefined) expect(readFileSync(`${store.path}.hwm`).equals(hwmBefore)).toBe(true);
}

describe('FileProvider rollback in a running process', () => {
  it.each([
    ['with the high-water mark switched off (memory alone)', { highWaterMark: false as const }],
    ['with the default high-water mark', {}],
  ])(
    'a copy from before DisableKey put over the store: the next call refuses, never decrypts under the disabled key (%s)',
    async (_, options) => {
      const store = newStore();
      const kms = new Kms({ provider: open(store, options) });
      const { KeyMetadata } = await kms.createKey();
      const KeyId = KeyMetadata!.KeyId!;
      const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: utf8('secret') });
      const older = readFileSync(store.path);
      await kms.disableKey({ KeyId });
      await rejects(() => kms.decrypt({ CiphertextBlob }), 'DisabledException');

      writeFileSync(store.path, older); // the attacker: write access to the directory, no root key (the journal cut back)
      await refused(store, () => kms.decrypt({ CiphertextBlob }), ROLLED_BACK);
      await refused(store, () => kms.describeKey({ KeyId }), ROLLED_BACK);
      await refused(store, () => kms.enableKey({ KeyId }), ROLLED_BACK); // a write: nothing written over the copy
      await refused(store, () => kms.createKey(), ROLLED_BACK);
    },
  );

  it('an older copy does not bring a deleted key back, nor undo a grant revocation', async () => {
    const store = newStore();
    const clock = new ManualClock(new Date('2026-06-01T00:00:00Z'));
    const kms = new Kms({ provider: open(store, { highWaterMark: false }), clock });
    const KeyId = (await kms.createKey()).KeyMetadata!.KeyId!;
    const { GrantId } = await kms.createGrant({ KeyId, GranteePrincipal: 'arn:aws:iam::111122223333:role/app', Operations: ['Encrypt'] });
    const older = readFileSync(store.path);
    await kms.revokeGrant({ KeyId, GrantId: GrantId! });
    await kms.scheduleKeyDeletion({ KeyId, PendingWindowInDays: 7 });
    clock.advance(7 * DAY);
    await rejects(() => kms.describeKey({ KeyId }), 'NotFoundException');

    writeFileSync(store.path, older);
    await refused(store, () => kms.describeKey({ KeyId }), ROLLED_BACK);
    await refused(store, () => kms.listGrants({ KeyId }), ROLLED_BACK);
    await refused(store, () => kms.listKeys(), ROLLED_BACK);
  });

  it('the same generation with other contents (a fork) is refused too; the identical bytes written again are not', async () => {
    const store = newStore();
    const kms = new Kms({ provider: open(store, { highWaterMark: false }) });
    await kms.createKey();
    const current = readFileSync(store.path);
    rmSync(store.path);
    writeFileSync(store.path, current); // same bytes, new inode: the process must reload and accept it
    expect((await kms.listKeys()).Keys!.length).toBe(1);

    // a second provider writes the next generation from the same state as an independent fork
    const fork = newStore();
    cpSync(store.dir, fork.dir, { recursive: true });
    const forkPath = join(fork.dir, 'store', 'keys.kmsbox');
    await new Kms({ provider: new FileProvider({ path: forkPath, rootKeyFile: store.rootKeyFile, highWaterMark: false }) }).createKey();
    await kms.createKey();
    expect(generationOf(forkPath)).toBe(generationOf(store.path));
    copyFileSync(forkPath, store.path);
    await refused(
      store,
      () => kms.listKeys(),
      /refused: it was rolled back: generation (\d+) with (\d+) journal entries after generation \1 with \2 \(another history\)\./,
    );
  });

  it('the original file put back is accepted again: the refusal is about the file, not a sticky state', async () => {
    const store = newStore();
    const kms = new Kms({ provider: open(store) });
    await kms.createKey();
    const older = readFileSync(store.path);
    await kms.createKey();
    const current = readFileSync(store.path);
    writeFileSync(store.path, older);
    await refused(store, () => kms.listKeys(), /rolled back/);
    writeFileSync(store.path, current);
    expect((await kms.listKeys()).Keys!.length).toBe(2);
  });
});

describe('FileProvider store id: another store in its place', () => {
  it('root key file stores: a copy of another store under the same root key is refused (running and new process)', async () => {
    const a = newStore();
    const b: Store = { ...a, path: join(a.dir, 'other', 'keys.kmsbox') };
    const kmsA = new Kms({ provider: open(a) });
    await kmsA.createKey({ Description: 'in A' });
    const kmsB = new Kms({ provider: open(b) });
    for (let i = 0; i < 3; i++) await kmsB.createKey({ Description: 'in B' }); // B's generation is higher than A's
    const idOf = (p: string) => headerOf(p).storeId!;
    const idA = idOf(a.path);

    copyFileSync(b.path, a.path);
    await refused(a, () => kmsA.listKeys(), /refused: it was replaced by a different store \(another store id\)\./);
    await refused(
      a,
      () => new Kms({ provider: open(a) }).listKeys(),
      /refused: it is not the store its high-water mark .*keys\.kmsbox\.hwm belongs to\./,
    );
    await refused(a, () => new Kms({ provider: open(a) }).createKey(), /not the store its high-water mark/);
    expect(idA).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(idA).not.toBe(idOf(b.path));
  });

  it('passphrase stores: another store with the same passphrase is refused before scrypt runs for it', async () => {
    const dir = tempDir();
    const options = (path: string) => ({ path, passphrase: 'shared passphrase', scrypt: { N: 2 ** 10 } });
    const pathA = join(dir, 'a.kmsbox');
    const pathB = join(dir, 'b.kmsbox');
    const kmsA = new Kms({ provider: new FileProvider(options(pathA)) });
    const keyA = (await kmsA.createKey({ Description: 'A' })).KeyMetadata!.KeyId!;
    const kmsB = new Kms({ provider: new FileProvider(options(pathB)) });
    for (let i = 0; i < 3; i++) await kmsB.createKey({ Description: 'B' });
    const before = readFileSync(pathB);
    copyFileSync(pathB, pathA);
    const e = await rejects(
      () => kmsA.describeKey({ KeyId: keyA }),
      'KMSInternalException',
      `Key store ${pathA} refused: it was replaced by a different store (other key-derivation parameters). Nothing from it was used and nothing was written over it. If you restored an older copy on purpose, call resetHighWaterMark() on a FileProvider for it.`,
    );
    expect(e.message).not.toContain('shared passphrase');
    await rejects(() => kmsA.createKey(), 'KMSInternalException', /replaced by a different store/);
    expect(readFileSync(pathA).equals(before)).toBe(true);
    // a new process: B's root key does not authenticate A's high-water mark
    await rejects(
      () => new Kms({ provider: new FileProvider(options(pathA)) }).listKeys(),
      'KMSInternalException',
      /high-water mark .*a\.kmsbox\.hwm: it fails authentication under this store's root key \(edited, or another store's\)/,
    );
  });
});

describe('FileProvider rollback seen by a new process: the high-water mark', () => {
  async function storeWithHistory(options: Partial<FileProviderOptions> = {}) {
    const store = newStore();
    const kms = new Kms({ provider: open(store, options) });
    const KeyId = (await kms.createKey()).KeyMetadata!.KeyId!;
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: utf8('secret') });
    const older = readFileSync(store.path);
    await kms.disableKey({ KeyId });
    return { store, kms, KeyId, CiphertextBlob, older };
  }

  it('an older copy of the store is refused by a process that never saw the newer one', async () => {
    const { store, CiphertextBlob, older } = await storeWithHistory();
    const newest = generationOf(store.path);
    const storeId = headerOf(store.path).storeId;
    writeFileSync(store.path, older);
    await refused(store, () => new Kms({ provider: open(store) }).decrypt({ CiphertextBlob }), /rolled back/);
    const hwm = JSON.parse(readFileSync(`${store.path}.hwm`, 'utf8'));
    expect(hwm).toMatchObject({ format: 'kmsbox-hwm', version: 2, generation: newest, storeId, entries: 2 });
    const g = generationOf(store.path);
    expect(g).toBe(newest); // the same snapshot, one journal entry fewer
    await refused(
      store,
      () => new Kms({ provider: open(store) }).decrypt({ CiphertextBlob }),
      `Key store ${store.path} refused: it was rolled back: generation ${g} with 1 journal entries, but its high-water mark ${store.path}.hwm records generation ${hwm.generation} with 2. Nothing from it was used and nothing was written over it. If you restored an older copy on purpose, call resetHighWaterMark() on a FileProvider for it.`,
    );
  });

  it("the mark can live elsewhere (a directory the store's writers cannot write); without one a new process cannot tell", async () => {
    const hwmPath = join(tempDir(), 'marks', 'keys.hwm');
    const { store, CiphertextBlob, older } = await storeWithHistory({ highWaterMark: hwmPath });
    expect(existsSync(`${store.path}.hwm`)).toBe(false);
    expect(existsSync(hwmPath)).toBe(true);
    writeFileSync(store.path, older);
    await refused(
      store,
      () => new Kms({ provider: open(store, { highWaterMark: hwmPath }) }).decrypt({ CiphertextBlob }),
      /rolled back: generation \d+ with \d+ journal entries, but its high-water mark .*keys\.hwm records/,
    );
    // Switched off, a new process accepts any authentic copy: that is what the mark is for.
    const blind = new Kms({ provider: open(store, { highWaterMark: false }) });
    expect(text((await blind.decrypt({ CiphertextBlob })).Plaintext)).toBe('secret');
  });

  it("a deleted mark is refused once the store says it had one; a forged or another store's mark is refused", async () => {
    const { store, older } = await storeWithHistory();
    const mark = readFileSync(`${store.path}.hwm`, 'utf8');
    rmSync(`${store.path}.hwm`);
    await refused(
      store,
      () => new Kms({ provider: open(store) }).listKeys(),
      `Key store ${store.path} refused: its high-water mark ${store.path}.hwm is missing, though the store says it was written. Nothing from it was used and nothing was written over it. If you restored an older copy on purpose, call resetHighWaterMark() on a FileProvider for it.`,
    );
    writeFileSync(store.path, older);
    await refused(store, () => new Kms({ provider: open(store) }).listKeys(), /high-water mark .* is missing/);

    // lowered position without the root key: the MAC fails
    const lowered = JSON.stringify({ ...JSON.parse(mark), generation: 0, entries: 0 });
    expect(lowered).not.toBe(mark);
    writeFileSync(`${store.path}.hwm`, lowered);
    await refused(
      store,
      () => new Kms({ provider: open(store) }).listKeys(),
      `Key store ${store.path} cannot be used: its high-water mark ${store.path}.hwm: it fails authentication under this store's root key (edited, or another store's).`,
    );
    writeFileSync(`${store.path}.hwm`, 'not json');
    await refused(
      store,
      () => new Kms({ provider: open(store) }).listKeys(),
      /its high-water mark .*: it is not a kmsbox high-water mark\./,
    );
  });

  it('a deleted store whose mark remains is refused, not silently replaced by an empty one', async () => {
    const { store } = await storeWithHistory();
    rmSync(store.path);
    rmSync(`${store.path}.bak`, { force: true });
    const e = await rejects(
      () => new Kms({ provider: open(store) }).createKey(),
      'KMSInternalException',
      `Key store ${store.path} refused: the file is missing, but its high-water mark ${store.path}.hwm says it existed. Nothing from it was used and nothing was written over it. If you restored an older copy on purpose, call resetHighWaterMark() on a FileProvider for it.`,
    );
    expect(e.message).toContain(store.path);
    expect(existsSync(store.path)).toBe(false);
    await rejects(() => new Kms({ provider: open(store) }).listKeys(), 'KMSInternalException', /file is missing/);
    // started afresh on purpose: a new, empty store with a new id, and its own mark
    const oldId = JSON.parse(readFileSync(`${store.path}.hwm`, 'utf8')).storeId;
    await open(store).resetHighWaterMark();
    expect((await new Kms({ provider: open(store) }).listKeys()).Keys).toEqual([]);
    const newId = headerOf(store.path).storeId;
    expect(newId).not.toBe(oldId);
    expect(JSON.parse(readFileSync(`${store.path}.hwm`, 'utf8')).storeId).toBe(newId);
  });

  it('what it cannot prove: store and mark rolled back together (someone who can write both) are accepted', async () => {
    const store = newStore();
    const kms = new Kms({ provider: open(store) });
    const KeyId = (await kms.createKey()).KeyMetadata!.KeyId!;
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: utf8('secret') });
    const pair = [readFileSync(store.path), readFileSync(`${store.path}.hwm`)] as const;
    await kms.disableKey({ KeyId });
    writeFileSync(store.path, pair[0]);
    writeFileSync(`${store.path}.hwm`, pair[1]);
    expect(text((await new Kms({ provider: open(store) }).decrypt({ CiphertextBlob })).Plaintext)).toBe('secret');
    // (the running process still refuses: it saw the newer generation)
    await refused(store, () => kms.decrypt({ CiphertextBlob }), ROLLED_BACK);
  });

  it('resetHighWaterMark accepts a copy restored on purpose, for new and running processes alike', async () => {
    const { store, kms, KeyId, CiphertextBlob, older } = await storeWithHistory();
    const seenGeneration = generationOf(store.path);
    writeFileSync(store.path, older);
    await refused(store, () => kms.listKeys(), /rolled back/);
    await open(store).resetHighWaterMark();
    // written again above every generation seen, with a new mark: the restored state (key Enabled)
    expect(generationOf(store.path)).toBe(seenGeneration + 1);
    expect(JSON.parse(readFileSync(`${store.path}.hwm`, 'utf8')).generation).toBe(seenGeneration + 1);
    expect(text((await new Kms({ provider: open(store) }).decrypt({ CiphertextBlob })).Plaintext)).toBe('secret');
    expect((await kms.describeKey({ KeyId })).KeyMetadata!.KeyState).toBe('Enabled');

    // a lost mark (once a write has recorded that it exists): refused until reset, then marked again
    await kms.tagResource({ KeyId, Tags: [{ TagKey: 'k', TagValue: 'v' }] });
    expect(headerOf(store.path).hwm).toBe(true);
    rmSync(`${store.path}.hwm`);
    await refused(store, () => new Kms({ provider: open(store) }).listKeys(), /is missing/);
    await open(store).resetHighWaterMark();
    expect(JSON.parse(readFileSync(`${store.path}.hwm`, 'utf8')).generation).toBe(generationOf(store.path));
    expect((await new Kms({ provider: open(store) }).listKeys()).Keys!.length).toBe(1);
  });
});
