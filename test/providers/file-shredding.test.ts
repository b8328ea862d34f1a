// FileProvider shredding (issue 18 §2): once material is destroyed (a key deleted past its date,
// DeleteImportedKeyMaterial, the cleanup of a failed CreateKey: all through destroyMaterial), no
// file the provider made still holds it: not the store, not `.bak`, not a temp file. Each file
// in the store's directory is opened with the root key through the provider's own parser.
import { constants, createPublicKey, publicEncrypt, randomBytes, scryptSync } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { Kms, ManualClock } from 'kmsbox';
import { FileProvider } from 'kmsbox/node';
import { tempPath } from '../../src/providers/atomic-write.js';
import { bundleWorker, decryptStore, headerOf, newStore, tempDir, type Store } from './file-fixtures.js';

const DAY = 86_400_000;
/** Above the largest pid_max Linux allows (2^22): never a live process. */
const DEAD_PID = 2 ** 22 + 1;

type Payload = { materials: Record<string, { spec: string; key: string }> };

/** The root key of a store file: the root key file's, or scrypt of the passphrase with the file's own parameters. */
function rootKeyOf(path: string, secret: { rootKey: Buffer } | { passphrase: string }): Buffer {
  if ('rootKey' in secret) return secret.rootKey;
  const { kdf } = headerOf(path) as { kdf: { N: number; r: number; p: number; salt: string } };
  return scryptSync(secret.passphrase, Buffer.from(kdf.salt, 'base64'), 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 2 ** 28 });
}

/**
 * Every file in the store's directory: when it is a store file (store, .bak, temp copies), the
 * material it holds (snapshot and journal applied) and every decrypted plaintext (snapshot and
 * each journal entry), else its raw text.
 */
function everyCopy(storePath: string, rootKey: Buffer): Map<string, { materials: Payload['materials']; content: string }> {
  const dir = dirname(storePath);
  const out = new Map<string, { materials: Payload['materials']; content: string }>();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    try {
      const { materials, plaintexts } = decryptStore(path, rootKey);
      out.set(name, { materials, content: plaintexts.join('\n') });
    } catch {
      // not a store file (the high-water mark): checked as it is
      out.set(name, { materials: {}, content: readFileSync(path, 'utf8') });
    }
  }
  return out;
}

/** The files that still hold this material, in any form: by id in a payload, or its bytes as base64 or hex anywhere. */
function holders(storePath: string, rootKey: Buffer, id: string, bytes: Buffer): string[] {
  const found: string[] = [];
  for (const [name, { materials, content }] of everyCopy(storePath, rootKey)) {
    const byId = Object.hasOwn(materials, id);
    if (byId || content.includes(bytes.toString('base64')) || content.includes(bytes.toString('hex'))) found.push(name);
  }
  return found.sort();
}

/** The material the store holds under `id` (read as only the root key's holder can). */
function materialIn(storePath: string, rootKey: Buffer, id: string): Buffer {
  return Buffer.from(decryptStore(storePath, rootKey).materials[id]!.key, 'base64');
}

/** The ids of the material versions of a key, from the store's records. */
function materialIdsOf(storePath: string, rootKey: Buffer, keyId: string): string[] {
  const { state } = decryptStore(storePath, rootKey);
  return Object.values(state.keys)
    .find((k) => k.keyId === keyId)!
    .materials.map((m) => m.id);
}

describe('FileProvider: destroyed material leaves no copy behind', () => {
  it('destroyMaterial (the cleanup of a failed CreateKey): not in the store, .bak, or a temp copy a killed writer left', async () => {
    const store = newStore();
    const provider = store.open();
    const id = await provider.createMaterial('SYMMETRIC_DEFAULT');
    await provider.compact(); // now both the store and .bak hold `id`
    await provider.createMaterial('SYMMETRIC_DEFAULT');
    const bytes = materialIn(store.path, store.rootKey, id);
    // a writer killed mid-write left a temp copy of the store
    copyFileSync(store.path, tempPath(store.path).replace(`.${process.pid}.`, `.${DEAD_PID}.`));
    expect(holders(store.path, store.rootKey, id, bytes)).toHaveLength(3);

    await provider.destroyMaterial([id]);
    expect(holders(store.path, store.rootKey, id, bytes)).toEqual([]);
    // .bak is the new generation itself (the write destroyed material) ...
    expect(readFileSync(`${store.path}.bak`).equals(readFileSync(store.path))).toBe(true);
    // ... and a new process opens the store, without the material
    const request = {
      blobVersion: 2 as const,
      salt: new Uint8Array(16),
      nonce: new Uint8Array(12),
      plaintext: new Uint8Array(1),
      aad: new Uint8Array(0),
    };
    await expect(store.open().seal(id, request)).rejects.toThrow(`key material ${id} is missing from the file provider`);
    // a write that destroys nothing appends to the journal; .bak stays as it was
    const bak = readFileSync(`${store.path}.bak`);
    await provider.createMaterial('SYMMETRIC_DEFAULT');
    expect(readFileSync(`${store.path}.bak`).equals(bak)).toBe(true);
    expect(readFileSync(store.path).subarray(0, bak.length).equals(bak)).toBe(true);
  });

  it('a key deleted past its date (passphrase store): its material is in no file', async () => {
    const path = join(tempDir(), 'keys.kmsbox');
    const passphrase = 'shred me';
    const clock = new ManualClock(new Date('2026-06-01T00:00:00Z'));
    const kms = new Kms({ provider: new FileProvider({ path, passphrase, scrypt: { N: 2 ** 10 } }), clock });
    const KeyId = (await kms.createKey()).KeyMetadata!.KeyId!;
    await kms.rotateKeyOnDemand({ KeyId });
    const kept = (await kms.createKey()).KeyMetadata!.KeyId!;
    const rootKey = rootKeyOf(path, { passphrase });
    const ids = materialIdsOf(path, rootKey, KeyId);
    expect(ids).toHaveLength(2);
    const material = ids.map((id) => materialIn(path, rootKey, id));
    await kms.scheduleKeyDeletion({ KeyId, PendingWindowInDays: 7 });
    await new FileProvider({ path, passphrase }).compact(); // .bak holds them too
    for (const [i, id] of ids.entries()) expect(holders(path, rootKey, id, material[i]!)).toEqual(['keys.kmsbox', 'keys.kmsbox.bak']);

    clock.advance(7 * DAY);
    expect((await kms.listKeys()).Keys!.map((k) => k.KeyId)).toEqual([kept]); // the sweep deletes it
    for (const [i, id] of ids.entries()) expect(holders(path, rootKey, id, material[i]!)).toEqual([]);
    expect(materialIdsOf(path, rootKey, kept)).toHaveLength(1);
  });

  it('DeleteImportedKeyMaterial: the imported bytes are in no file', async () => {
    const store = newStore();
    const kms = new Kms({ provider: store.open() });
    const KeyId = (await kms.createKey({ Origin: 'EXTERNAL' })).KeyMetadata!.KeyId!;
    const material = randomBytes(32);
    const params = await kms.getParametersForImport({ KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
    const publicKey = createPublicKey({ key: Buffer.from(params.PublicKey!), format: 'der', type: 'spki' });
    const wrapped = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, material);
    await kms.importKeyMaterial({
      KeyId,
      ImportToken: params.ImportToken,
      EncryptedKeyMaterial: wrapped,
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    });
    await kms.encrypt({ KeyId, Plaintext: new Uint8Array([1]) }); // usable
    const [id] = materialIdsOf(store.path, store.rootKey, KeyId);
    expect(materialIn(store.path, store.rootKey, id!).equals(material)).toBe(true);
    await store.open().compact(); // .bak holds it too
    expect(holders(store.path, store.rootKey, id!, material)).toEqual(['keys.kmsbox', 'keys.kmsbox.bak']);

    await kms.deleteImportedKeyMaterial({ KeyId });
    expect(holders(store.path, store.rootKey, id!, material)).toEqual([]);
    expect((await kms.describeKey({ KeyId })).KeyMetadata!.KeyState).toBe('PendingImport');
  });
});

/** Runs the shredding worker until it has printed `lines` complete lines (after `ready`), then SIGKILLs it at once or a moment later. */
function runUntil(worker: string, store: Store, lines: number, delayMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [worker, store.path, store.rootKeyFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let killing = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!killing && out.split('\n').length - 2 >= lines) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`worker ended by itself: ${err}`));
      const complete = out.split('\n');
      complete.pop(); // the last piece is incomplete (or empty): never trusted
      resolve(complete.filter((l) => l !== 'ready'));
    });
  });
}

describe('FileProvider shredding under SIGKILL', () => {
  let worker: string;
  beforeAll(async () => {
    worker = await bundleWorker(new URL('./file-shred-worker.ts', import.meta.url));
  });

  it('killed at random moments among creating and destroying writes: a new process always opens the store, reported material is there, reported destruction holds in every file', async () => {
    const CYCLES = 24;
    let store = newStore();
    const alive = new Map<string, Buffer>();
    const destroyed = new Map<string, Buffer>();
    const request = {
      blobVersion: 2 as const,
      salt: new Uint8Array(16),
      nonce: new Uint8Array(12),
      plaintext: new Uint8Array(1),
      aad: new Uint8Array(0),
    };
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      if (cycle % 8 === 0) {
        store = newStore();
        alive.clear();
        destroyed.clear();
      }
      const lines = await runUntil(worker, store, 1 + Math.floor(Math.random() * 4), Math.floor(Math.random() * 20));
      // Once the worker reports its k-th creation (k > 1), it is destroying the previous one:
      // that material is neither promised present nor promised gone until `destroyed` is reported.
      let previous: string | undefined;
      const pending = new Map<string, Buffer>();
      for (const line of lines) {
        const [what, id, key] = line.split(' ');
        if (what === 'created') {
          if (previous !== undefined) {
            pending.set(previous, alive.get(previous)!);
            alive.delete(previous);
          }
          alive.set(id!, Buffer.from(key!, 'base64'));
          previous = id;
        }
        if (what === 'destroyed') destroyed.set(id!, pending.get(id!)!);
      }
      // a new process: no rollback refusal (store and mark stay consistent), nothing reported lost
      const fresh = new FileProvider({ path: store.path, rootKeyFile: store.rootKeyFile });
      for (const id of alive.keys()) await fresh.seal(id, request);
      for (const [id, bytes] of destroyed) expect(holders(store.path, store.rootKey, id, bytes), id).toEqual([]);
    }
  }, 300_000);
});
