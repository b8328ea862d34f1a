// FileProvider.changeRootKey (issue #17): the store re-sealed under a new root key, its high-water
// mark too; processes with the old key refused with a typed error; a wrong old key changes
// nothing; no file of the store opens with the old key afterwards; SIGKILL at every step (and at
// random moments) leaves a store that opens with exactly one of the two keys, nothing lost.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AccessDeniedException, Kms, ValidationException } from 'kmsbox';
import { FileProvider } from 'kmsbox/node';
import { checkValue, decodeHighWaterMark } from '../../src/providers/store-file.js';
import { bundleWorker, headerOf, newStore, type Store, tempDir } from './file-fixtures.js';

const text = new TextEncoder();

function newKeyFile(dir: string, name: string): { file: string; key: Buffer } {
  const key = randomBytes(32);
  const file = join(dir, name);
  writeFileSync(file, key, { mode: 0o600 });
  return { file, key };
}

/** Keys with aliases and a ciphertext each, through `provider`; the store compacted once so that `.bak` exists. */
async function seed(provider: FileProvider, n = 3): Promise<{ keyId: string; alias: string; blob: Uint8Array }[]> {
  const kms = new Kms({ provider });
  const made = [];
  for (let i = 0; i < n; i++) {
    const { KeyMetadata } = await kms.createKey({ Description: `key ${i}` });
    const keyId = KeyMetadata!.KeyId!;
    const alias = `alias/k${i}`;
    await kms.createAlias({ AliasName: alias, TargetKeyId: keyId });
    const { CiphertextBlob } = await kms.encrypt({ KeyId: alias, Plaintext: text.encode(`secret ${i}`) });
    made.push({ keyId, alias, blob: CiphertextBlob! });
    if (i === 0) await provider.compact();
  }
  return made;
}

/** Every key, alias and ciphertext in `made` served by a fresh provider on the store. */
async function expectAll(provider: FileProvider, made: Awaited<ReturnType<typeof seed>>): Promise<void> {
  const kms = new Kms({ provider });
  for (const [i, m] of made.entries()) {
    const { Plaintext, KeyId } = await kms.decrypt({ CiphertextBlob: m.blob });
    expect(new TextDecoder().decode(Plaintext)).toBe(`secret ${i}`);
    expect(KeyId).toContain(m.keyId);
    const { KeyMetadata } = await kms.describeKey({ KeyId: m.alias });
    expect(KeyMetadata!.KeyId).toBe(m.keyId);
    await kms.encrypt({ KeyId: m.alias, Plaintext: text.encode('still usable') });
  }
}

/** Each file in the store's directory, name → bytes. */
function filesOf(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name))]));
}

/** No file in `dir` is sealed or MAC'd under `rootKey`: none opens as a store, none verifies as a mark, none holds its check value. */
async function expectNothingUnder(dir: string, rootKey: Buffer, keyFile: string, minFiles = 3): Promise<void> {
  const check = checkValue(rootKey);
  const names = readdirSync(dir).filter((n) => statSync(join(dir, n)).isFile());
  expect(names.length).toBeGreaterThanOrEqual(minFiles);
  for (const name of names) {
    const path = join(dir, name);
    const bytes = readFileSync(path, 'utf8');
    expect(bytes, name).not.toContain(check);
    expect(() => decodeHighWaterMark(rootKey, bytes), name).toThrow();
    await expect(
      new FileProvider({ path, rootKeyFile: keyFile, highWaterMark: false }).read(() => 0),
      name,
    ).rejects.toThrow();
  }
}

describe('FileProvider.changeRootKey', () => {
  it('re-seals the store: everything is served under the new key, the old key is refused, running old-key processes fail typed', async () => {
    const store = newStore();
    const running = store.open();
    const made = await seed(running);
    const { file: newFile, key: newKey } = newKeyFile(store.dir, 'new.key');
    const before = headerOf(store.path).generation;

    await FileProvider.changeRootKey({ path: store.path, rootKeyFile: store.rootKeyFile, newRootKeyFile: newFile });

    expect(headerOf(store.path).generation).toBeGreaterThan(before);
    expect(headerOf(store.path).hwm).toBe(true); // a copy without the mark is refused again
    await expectAll(new FileProvider({ path: store.path, rootKeyFile: newFile }), made);

    // The process that had the store open with the old key: its next read and write fail, typed, and write nothing.
    const files = filesOf(join(store.dir, 'store'));
    const kms = new Kms({ provider: running });
    const read = kms.describeKey({ KeyId: made[0]!.keyId });
    await expect(read).rejects.toBeInstanceOf(AccessDeniedException);
    await expect(read).rejects.toThrow(/root key was changed .*Restart with the new root key/);
    await expect(kms.createKey({})).rejects.toThrow(/root key was changed/);
    await expect(kms.decrypt({ CiphertextBlob: made[1]!.blob })).rejects.toBeInstanceOf(AccessDeniedException);
    expect(filesOf(join(store.dir, 'store'))).toEqual(files);

    // A new process with the old key: refused as a wrong key.
    await expect(store.open().read(() => 0)).rejects.toThrow(/wrong passphrase or root key/);
    // Writes go on under the new key, and reopen.
    const { KeyMetadata } = await new Kms({ provider: new FileProvider({ path: store.path, rootKeyFile: newFile }) }).createKey({});
    const reopened = new Kms({ provider: new FileProvider({ path: store.path, rootKeyFile: newFile }) });
    expect((await reopened.describeKey({ KeyId: KeyMetadata!.KeyId! })).KeyMetadata!.Enabled).toBe(true);

    // No file of the store opens (or verifies) under the old key: not the store, not `.bak`, not the mark.
    await expectNothingUnder(join(store.dir, 'store'), store.rootKey, store.rootKeyFile);
    expect(readdirSync(join(store.dir, 'store')).sort()).toEqual(['keys.kmsbox', 'keys.kmsbox.bak', 'keys.kmsbox.hwm']);
    expect(newKey.length).toBe(32);
  });

  it('from a passphrase to a passphrase: a fresh salt, the cost kept, the old passphrase refused', async () => {
    const dir = tempDir();
    const path = join(dir, 'keys.kmsbox');
    const provider = new FileProvider({ path, passphrase: 'old passphrase', scrypt: { N: 2 ** 10 } });
    const made = await seed(provider, 2);
    const oldKdf = headerOf(path).kdf;
    await FileProvider.changeRootKey({ path, passphrase: 'old passphrase', newPassphrase: 'new passphrase' });
    const kdf = headerOf(path).kdf;
    expect(kdf.name).toBe('scrypt');
    expect(kdf.N).toBe(2 ** 10);
    expect(kdf.salt).not.toBe(oldKdf.salt);
    await expectAll(new FileProvider({ path, passphrase: 'new passphrase' }), made);
    await expect(new FileProvider({ path, passphrase: 'old passphrase' }).read(() => 0)).rejects.toThrow(/wrong passphrase/);
    await expect(provider.read(() => 0)).rejects.toThrow(/root key was changed/);
    // The same passphrase again is a new root key too (a new salt): allowed.
    await FileProvider.changeRootKey({ path, passphrase: 'new passphrase', newPassphrase: 'new passphrase' });
    await expectAll(new FileProvider({ path, passphrase: 'new passphrase' }), made);
  });

  it('from a root key file to a passphrase, without a high-water mark', async () => {
    const store = newStore();
    const made = await seed(new FileProvider({ path: store.path, rootKeyFile: store.rootKeyFile, highWaterMark: false }), 2);
    await FileProvider.changeRootKey({
      path: store.path,
      rootKeyFile: store.rootKeyFile,
      newPassphrase: 'pass',
      scrypt: { N: 2 ** 10 },
      highWaterMark: false,
    });
    await expectAll(new FileProvider({ path: store.path, passphrase: 'pass', highWaterMark: false }), made);
    await expectNothingUnder(join(store.dir, 'store'), store.rootKey, store.rootKeyFile, 2); // the store and its .bak
  });

  it('a wrong current key, a missing store, the same key or bad options change nothing', async () => {
    const store = newStore();
    await seed(store.open(), 2);
    const dir = join(store.dir, 'store');
    const files = filesOf(dir);
    const wrong = newKeyFile(store.dir, 'wrong.key');
    const other = newKeyFile(store.dir, 'other.key');
    const attempt = FileProvider.changeRootKey({ path: store.path, rootKeyFile: wrong.file, newRootKeyFile: other.file });
    await expect(attempt).rejects.toBeInstanceOf(AccessDeniedException);
    await expect(attempt).rejects.toThrow(/wrong passphrase or root key/);
    await expect(
      FileProvider.changeRootKey({ path: store.path, rootKeyFile: store.rootKeyFile, newRootKeyFile: store.rootKeyFile }),
    ).rejects.toThrow(/the new root key is the current one/);
    await expect(FileProvider.changeRootKey({ path: store.path, rootKeyFile: store.rootKeyFile })).rejects.toBeInstanceOf(
      ValidationException,
    );
    await expect(
      FileProvider.changeRootKey({ path: store.path, rootKeyFile: store.rootKeyFile, newPassphrase: 'p', scrypt: { N: 3 } }),
    ).rejects.toBeInstanceOf(ValidationException);
    await expect(
      FileProvider.changeRootKey({ path: `${store.path}.none`, rootKeyFile: store.rootKeyFile, newRootKeyFile: other.file }),
    ).rejects.toThrow(/There is no key store/);
    expect(filesOf(dir)).toEqual(files);
  });
});

describe('FileProvider.changeRootKey under SIGKILL', () => {
  let worker: string;
  beforeAll(async () => {
    worker = await bundleWorker(new URL('./file-root-key-worker.ts', import.meta.url));
  });

  /** Runs the worker from `from` to `to`; kills it once it printed `step <stopAt>`, or (stopAt `none`) up to `maxDelayMs` after `rotating`. */
  function runAndKill(store: Store, from: string, to: string, stopAt: string, maxDelayMs = 0): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [worker, store.path, from, to, stopAt], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      let scheduled = false;
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const lines = out.split('\n').slice(0, -1);
        if (scheduled) return;
        if (stopAt === 'none' ? lines.includes('rotating') : lines.includes(`step ${stopAt}`)) {
          scheduled = true;
          setTimeout(() => child.kill('SIGKILL'), stopAt === 'none' ? Math.floor(Math.random() * maxDelayMs) : 0);
        }
      });
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('exit', (code, signal) => {
        const lines = out.split('\n').slice(0, -1);
        if (signal !== 'SIGKILL' && !(stopAt === 'none' && code === 0))
          return reject(new Error(`worker ended by itself (${code}): ${err}`));
        resolve(lines);
      });
    });
  }

  /** Which of the key files opens the store (exactly one must), after checking that it serves everything. */
  async function openingKey(store: Store, keys: readonly string[], made: Awaited<ReturnType<typeof seed>>): Promise<string> {
    const opens: string[] = [];
    for (const key of keys) {
      try {
        await new FileProvider({ path: store.path, rootKeyFile: key }).read(() => 0);
        opens.push(key);
      } catch (error) {
        expect(error).toBeInstanceOf(AccessDeniedException);
        expect((error as Error).message).toMatch(/wrong passphrase or root key/);
      }
    }
    expect(opens).toHaveLength(1);
    await expectAll(new FileProvider({ path: store.path, rootKeyFile: opens[0]! }), made);
    return opens[0]!;
  }

  const STEPS = ['sealed-without-mark', 'mark-removed', 'sealed-under-new-key', 'new-mark-written', 'sealed-with-mark', 'done'];
  it.each(STEPS.map((s, i) => [s, i]))(
    'killed after step %s: the store opens with the key that step leaves, nothing lost; run again, it completes',
    async (step, i) => {
      const store = newStore();
      const made = await seed(store.open());
      const next = newKeyFile(store.dir, 'new.key').file;
      const lines = await runAndKill(store, store.rootKeyFile, next, step as string);
      expect(lines).toContain(`step ${step}`);
      const opens = await openingKey(store, [store.rootKeyFile, next], made);
      // Until the store is sealed under the new key, the old one opens it; from then on the new one.
      expect(opens).toBe((i as number) < 2 ? store.rootKeyFile : next);
      if (opens === store.rootKeyFile) await FileProvider.changeRootKey({ path: store.path, rootKeyFile: opens, newRootKeyFile: next });
      expect(await openingKey(store, [store.rootKeyFile, next], made)).toBe(next);
      // Writes go on (the lock of the killed worker is taken over, its temp files removed).
      await new Kms({ provider: new FileProvider({ path: store.path, rootKeyFile: next }) }).createKey({});
      await expectNothingUnder(join(store.dir, 'store'), store.rootKey, store.rootKeyFile);
    },
    60_000,
  );

  it('killed at random moments of the rotation, back and forth between two keys: always exactly one key opens, nothing lost', async () => {
    const store = newStore();
    const made = await seed(store.open());
    const keys = [store.rootKeyFile, newKeyFile(store.dir, 'b.key').file];
    let current = store.rootKeyFile;
    const outcomes = new Set<string>();
    for (let round = 0; round < 12; round++) {
      const to = keys.find((k) => k !== current)!;
      const lines = await runAndKill(store, current, to, 'none', 40);
      const opens = await openingKey(store, keys, made);
      const last = lines.filter((l) => l.startsWith('step ')).pop() ?? 'step none';
      outcomes.add(`${opens === to ? 'new' : 'old'} after ${last}`);
      // What the worker reported settles which key opens: sealed under the new key → the new one.
      if (lines.includes('step sealed-under-new-key')) expect(opens).toBe(to);
      if (!lines.includes('step mark-removed')) expect(opens).toBe(current);
      current = opens;
    }
    expect(outcomes.size).toBeGreaterThan(0);
  }, 180_000);
});
