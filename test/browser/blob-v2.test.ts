// Runs in Chromium: blob format v2 in WebCryptoProvider's IndexedDB store. A store of database
// version 1 (before v2) held SYMMETRIC_DEFAULT material itself as an HMAC CryptoKey; opened now, it
// still decrypts v1 blobs, refuses to encrypt (v2 needs the material, which a CryptoKey cannot
// give), and a re-import of the same material makes the key whole again.
import { describe, expect, it } from 'vitest';
import { Kms, WebCryptoProvider, type StoreState } from 'kmsbox';
import { canonicalContext } from '../../src/blob/encryption-context.js';
import { encodeBlob, encodeHeader } from '../../src/blob/ciphertext-blob.js';

const subtle = crypto.subtle;
const V1_LABEL = new TextEncoder().encode('kmsbox/v1 ciphertext blob key');

function idb<T>(r: IDBRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result as T);
    r.onerror = () => reject(r.error);
  });
}

async function importInto(kms: Kms, keyId: string, material: Uint8Array): Promise<void> {
  const params = await kms.getParametersForImport({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
  const pub = await subtle.importKey('spki', params.PublicKey! as BufferSource, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
  const EncryptedKeyMaterial = new Uint8Array(await subtle.encrypt({ name: 'RSA-OAEP' }, pub, material as BufferSource));
  await kms.importKeyMaterial({
    KeyId: keyId,
    ImportToken: params.ImportToken,
    EncryptedKeyMaterial,
    ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
  });
}

/** A v1 blob as kmsbox wrote it before v2: AES key = HMAC-SHA256(material, label ‖ salt ‖ 1). */
async function v1Blob(material: Uint8Array, keyId: string, plaintext: Uint8Array): Promise<Uint8Array> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const header = encodeHeader({ blobVersion: 1, keyId, version: 0, salt, nonce });
  const hmacKey = await subtle.importKey('raw', material as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const raw = await subtle.sign('HMAC', hmacKey, new Uint8Array([...V1_LABEL, ...salt, 1]));
  const aes = await subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt']);
  const sealed = new Uint8Array(
    await subtle.encrypt(
      { name: 'AES-GCM', iv: nonce, additionalData: canonicalContext(undefined, header) as BufferSource },
      aes,
      plaintext as BufferSource,
    ),
  );
  return encodeBlob(header, sealed);
}

describe('WebCryptoProvider: an IndexedDB store from before blob v2', () => {
  it('is migrated: v1 blobs decrypt, Encrypt is refused until the material is imported again, then writes v2', async () => {
    // The records of an imported key, made by today's provider in a scratch database.
    const scratch = new Kms({ provider: new WebCryptoProvider({ indexedDbName: `kmsbox-scratch-${crypto.randomUUID()}` }) });
    const { KeyMetadata } = await scratch.createKey({ Origin: 'EXTERNAL' });
    const keyId = KeyMetadata!.KeyId!;
    const material = crypto.getRandomValues(new Uint8Array(32));
    await importInto(scratch, keyId, material);
    const state = await scratch.provider.read((s) => structuredClone(s) as StoreState);
    const materialId = Object.values(state.keys)[0]!.materials[0]!.id;

    // The same records in a database of version 1, with the material held as it was then.
    const indexedDbName = `kmsbox-legacy-${crypto.randomUUID()}`;
    const open = indexedDB.open(indexedDbName, 1);
    open.onupgradeneeded = () => {
      open.result.createObjectStore('records');
      open.result.createObjectStore('keys', { keyPath: 'id' });
    };
    const db = await idb<IDBDatabase>(open);
    const legacyKey = await subtle.importKey('raw', material as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const tx = db.transaction(['records', 'keys'], 'readwrite');
    tx.objectStore('records').put(state, 'state');
    tx.objectStore('keys').put({ id: materialId, spec: 'SYMMETRIC_DEFAULT', key: legacyKey });
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();

    const kms = new Kms({ provider: new WebCryptoProvider({ indexedDbName }) });
    const old = await v1Blob(material, keyId, new TextEncoder().encode('from 0.1'));
    expect(new TextDecoder().decode((await kms.decrypt({ CiphertextBlob: old })).Plaintext)).toBe('from 0.1');
    const refused = await kms.encrypt({ KeyId: keyId, Plaintext: new Uint8Array([1]) }).catch((e: unknown) => e);
    expect((refused as Error).name).toBe('UnsupportedOperationException');
    expect((refused as Error).message).toBe(
      'This key material was stored before ciphertext blob format v2 and can only decrypt: import the same key material again, or ReEncrypt under another key.',
    );

    await importInto(kms, keyId, material);
    const again = new Kms({ provider: new WebCryptoProvider({ indexedDbName }) }); // as after a reload
    const { CiphertextBlob } = await again.encrypt({ KeyId: keyId, Plaintext: new TextEncoder().encode('v2 now') });
    expect(CiphertextBlob![0]).toBe(2);
    expect(new TextDecoder().decode((await again.decrypt({ CiphertextBlob })).Plaintext)).toBe('v2 now');
    expect(new TextDecoder().decode((await again.decrypt({ CiphertextBlob: old })).Plaintext)).toBe('from 0.1');
  });
});
