// WebCryptoProvider specifics: material only ever inside non-extractable CryptoKeys.
import * as nodeCrypto from 'node:crypto';
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
    for (const KeySpec of ['ECC_SECG_P256K1', 'ML_DSA_65'] as const) {
      await rejects(() => new Kms({ provider: new WebCryptoProvider() }).createKey({ KeySpec, KeyUsage: 'SIGN_VERIFY' }), 'UnsupportedOperationException');
    }
  });

  it('holds key pairs as non-extractable private CryptoKeys; OpenSSL verifies their signatures; DIGEST signing is refused', async () => {
    const subtle = globalThis.crypto.subtle;
    const privateKeys: CryptoKey[] = [];
    const keep = (k: CryptoKey | CryptoKeyPair): void => {
      if ('privateKey' in k) privateKeys.push(k.privateKey);
      else if (k.type === 'private') privateKeys.push(k);
    };
    const spy = new Proxy(subtle, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (prop === 'importKey' || prop === 'generateKey') {
          return async (...args: unknown[]) => {
            const key = (await (value as (...a: unknown[]) => Promise<CryptoKey | CryptoKeyPair>).apply(target, args)) as CryptoKey | CryptoKeyPair;
            keep(key);
            return key;
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const provider = new WebCryptoProvider({ subtle: spy });
    const kms = new Kms({ provider });
    const Message = new TextEncoder().encode('signed in WebCrypto');
    for (const [KeySpec, SigningAlgorithm, hash] of [['ECC_NIST_P521', 'ECDSA_SHA_512', 'sha512'], ['RSA_2048', 'RSASSA_PSS_SHA_384', 'sha384'], ['ECC_NIST_EDWARDS25519', 'ED25519_SHA_512', null]] as const) {
      const KeyId = (await kms.createKey({ KeySpec, KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!.KeyId!;
      const key = nodeCrypto.createPublicKey({ key: Buffer.from((await kms.getPublicKey({ KeyId })).PublicKey!), format: 'der', type: 'spki' });
      const { Signature } = await kms.sign({ KeyId, Message, SigningAlgorithm });
      const options = SigningAlgorithm === 'RSASSA_PSS_SHA_384' ? { key, padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 } : SigningAlgorithm === 'ECDSA_SHA_512' ? { key, dsaEncoding: 'der' as const } : key;
      expect(nodeCrypto.verify(hash, Message, options, Signature!), SigningAlgorithm).toBe(true);
      expect((await kms.verify({ KeyId, Message, Signature, SigningAlgorithm })).SignatureValid).toBe(true);
      if (hash !== null) {
        const digest = new Uint8Array(nodeCrypto.createHash(hash).update(Message).digest());
        expect((await kms.verify({ KeyId, Message: digest, MessageType: 'DIGEST', Signature, SigningAlgorithm })).SignatureValid).toBe(true);
        await rejects(() => kms.sign({ KeyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm }), 'UnsupportedOperationException');
      }
    }
    // Held keys: those the provider kept (the RSA pair's extractable original is dropped after import).
    expect(privateKeys.length).toBe(1 + 1 + 6 + 1);
    const kept = privateKeys.filter((k) => !k.extractable);
    expect(kept.length).toBe(1 + 6 + 1); // ECDSA; RSA-PSS and PKCS1 per hash; Ed25519
    for (const k of kept) await expect(subtle.exportKey('pkcs8', k)).rejects.toThrow();
    // The only extractable private key was the RSA pair made to be imported under six algorithms.
    expect(privateKeys.filter((k) => k.extractable).map((k) => k.algorithm.name)).toEqual(['RSA-PSS']);
  });
});
