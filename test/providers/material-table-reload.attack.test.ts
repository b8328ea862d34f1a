// Attack test on store format 4's MaterialTable: material another process destroyed must not stay,
// unzeroed, in the table bytes this process drops when it loads the store again.
import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Kms } from 'kmsbox';
import { newStore } from './file-fixtures.js';

async function importMaterial(kms: Kms, keyId: string, material: Uint8Array): Promise<void> {
  const params = await kms.getParametersForImport({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
  const key = createPublicKey({ key: Buffer.from(params.PublicKey!), format: 'der', type: 'spki' });
  const wrapped = publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, material);
  await kms.importKeyMaterial({
    KeyId: keyId,
    ImportToken: params.ImportToken,
    EncryptedKeyMaterial: new Uint8Array(wrapped),
    ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
  });
}

describe('MaterialTable (attack)', () => {
  it('zeroes the table it drops when another process destroyed material and the store is loaded again', async () => {
    const store = newStore();
    const writer = new Kms({ provider: store.open() });
    const { KeyMetadata } = await writer.createKey({ Origin: 'EXTERNAL' });
    const keyId = KeyMetadata!.KeyId!;
    const material = randomBytes(32);
    await importMaterial(writer, keyId, material);
    await store.open().compact(); // the material in the snapshot's table

    // Every copy Uint8Array.prototype.slice makes while the reader loads (decodeSnapshot copies the table with it).
    const copies: Uint8Array[] = [];
    const slice = Uint8Array.prototype.slice;
    Uint8Array.prototype.slice = function (this: Uint8Array, ...args: [number?, number?]) {
      const out = slice.apply(this, args);
      copies.push(out);
      return out;
    } as typeof slice;
    const reader = store.open();
    try {
      await reader.read(() => 0); // loads the table (the material in it, not decoded)
    } finally {
      Uint8Array.prototype.slice = slice;
    }
    const holding = copies.filter((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength).includes(material));
    expect(holding.length).toBeGreaterThan(0); // the reader's table

    // Another process destroys the material (a compaction: no file keeps it); the reader loads the store again.
    await writer.deleteImportedKeyMaterial({ KeyId: keyId });
    await reader.read(() => 0);
    for (const c of holding) expect(Buffer.from(c.buffer, c.byteOffset, c.byteLength).includes(material)).toBe(false);
  });
});
