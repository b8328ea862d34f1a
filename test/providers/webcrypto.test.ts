// WebCryptoProvider specifics: material only ever inside non-extractable CryptoKeys.
import { describe, expect, it } from 'vitest';
import { Kms, WebCryptoProvider } from 'kmsbox';
import { rejects } from '../api/helpers.js';

describe('WebCryptoProvider', () => {
  it('imports every key non-extractable; no key can be exported; Kms works on it', async () => {
    const subtle = globalThis.crypto.subtle;
    const imported: Array<{ extractable: boolean; key: CryptoKey }> = [];
    const spy = new Proxy(subtle, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (prop === 'importKey') {
          return async (...args: Parameters<SubtleCrypto['importKey']>) => {
            const key = await subtle.importKey(...args);
            imported.push({ extractable: args[3], key });
            return key;
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const kms = new Kms({ provider: new WebCryptoProvider({ subtle: spy }) });
    const { KeyMetadata } = await kms.createKey();
    const { CiphertextBlob } = await kms.encrypt({ KeyId: KeyMetadata!.KeyId, Plaintext: new Uint8Array([1, 2, 3]), EncryptionContext: { a: 'b' } });
    expect((await kms.decrypt({ CiphertextBlob, EncryptionContext: { a: 'b' } })).Plaintext).toEqual(new Uint8Array([1, 2, 3]));
    await rejects(() => kms.decrypt({ CiphertextBlob }), 'InvalidCiphertextException');
    expect(imported.length).toBeGreaterThanOrEqual(3); // the material, then one key per call
    for (const { extractable, key } of imported) {
      expect(extractable).toBe(false);
      expect(key.extractable).toBe(false);
      await expect(subtle.exportKey('raw', key)).rejects.toThrow();
    }
    expect(imported[0]!.key.algorithm).toMatchObject({ name: 'HMAC' });
  });

  it('refuses IndexedDB persistence where there is no IndexedDB, and specs it cannot hold', async () => {
    expect(() => new WebCryptoProvider({ indexedDbName: 'x' })).toThrow(/IndexedDB/);
    await rejects(() => new Kms({ provider: new WebCryptoProvider() }).createKey({ KeySpec: 'HMAC_224', KeyUsage: 'GENERATE_VERIFY_MAC' }), 'UnsupportedOperationException');
  });
});
