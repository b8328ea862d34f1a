// Attack tests on FileProvider root key rotation (JournalStore.rotateRootKey).
import { randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Kms } from 'kmsbox';
import { FileProvider } from 'kmsbox/node';
import { changeStoreRootKey } from '../../src/providers/file.js';
import { headerOf, newStore, tempDir } from './file-fixtures.js';

function newKeyFile(): string {
  const file = join(tempDir(), 'new.key');
  writeFileSync(file, randomBytes(32), { mode: 0o600 });
  return file;
}

describe('root key rotation (attack)', () => {
  // After a rotation, `.bak` keeps the generation sealed under the new key whose header says "no
  // high-water mark required" (step 3). Whoever can write the store's directory (no key needed)
  // deletes the mark and puts that copy back: a fresh process accepts it, undoing every change
  // since the rotation (here: a disabled key is Enabled again).
  it('leaves no copy under the new key that opens without the high-water mark', async () => {
    const store = newStore();
    const kms = new Kms({ provider: store.open() });
    const { KeyMetadata } = await kms.createKey({});
    const keyId = KeyMetadata!.KeyId!;
    await store.open().compact();
    const newFile = newKeyFile();
    await FileProvider.changeRootKey({ path: store.path, rootKeyFile: store.rootKeyFile, newRootKeyFile: newFile });

    // No file the rotation leaves opens without the mark.
    expect(headerOf(store.path).hwm).toBe(true);
    expect(headerOf(`${store.path}.bak`).hwm).toBe(true);
    // What the attacker keeps: `.bak` as the rotation left it.
    const saved = join(tempDir(), 'saved.bak');
    copyFileSync(`${store.path}.bak`, saved);

    // Changes after the rotation, under the new key (the key is disabled).
    const after = new Kms({ provider: new FileProvider({ path: store.path, rootKeyFile: newFile }) });
    await after.disableKey({ KeyId: keyId });
    await new FileProvider({ path: store.path, rootKeyFile: newFile }).compact();

    // The attack: the mark removed, the saved copy put back.
    rmSync(`${store.path}.hwm`);
    copyFileSync(saved, store.path);
    const fresh = new Kms({ provider: new FileProvider({ path: store.path, rootKeyFile: newFile }) });
    // Should be refused (a rolled-back store); today it opens and the disabled key is Enabled again.
    await expect(fresh.describeKey({ KeyId: keyId })).rejects.toThrow(/high-water mark/);
  });

  // rotateRootKey takes the lock but never hands it to #compact (`this.#lock` stays undefined), so
  // its three compactions neither refresh the lock nor notice it was taken over: a rotation of a
  // large store (> 30 s without yielding) loses the lock to another writer and goes on writing.
  it('stops when its lock was taken over between two steps', async () => {
    const store = newStore();
    await new Kms({ provider: store.open() }).createKey({});
    const newFile = newKeyFile();
    const lockPath = `${store.path}.lock`;
    const rotation = changeStoreRootKey({ path: store.path, rootKeyFile: store.rootKeyFile, newRootKeyFile: newFile }, (step) => {
      // Another live process took the lock over (as breakStaleLock does after 30 s without a refresh).
      if (step === 'sealed-without-mark') writeFileSync(lockPath, `${process.pid + 1} ${Date.now()}`);
    });
    await expect(rotation).rejects.toThrow(/taken over/);
    // Nothing was written under the new key while another process held the lock.
    expect(readFileSync(lockPath, 'utf8')).toMatch(new RegExp(`^${process.pid + 1} `));
    await expect(store.open().read(() => 0)).resolves.toBe(0);
  });
});
