// WebCryptoProvider specifics: material only ever inside non-extractable CryptoKeys.
import * as nodeCrypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Kms, WebCryptoProvider } from 'kmsbox';
import { rejects } from '../api/helpers.js';

describe('WebCryptoProvider', () => {
  /** A SubtleCrypto that records every importKey and generateKey call and the key it made. */
  function recordingSubtle(): {
    subtle: SubtleCrypto;
    calls: Array<{ method: 'importKey' | 'generateKey'; args: unknown[]; key: CryptoKey | CryptoKeyPair }>;
  } {
    const subtle = globalThis.crypto.subtle;
    const calls: Array<{ method: 'importKey' | 'generateKey'; args: unknown[]; key: CryptoKey | CryptoKeyPair }> = [];
    const spy = new Proxy(subtle, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (prop === 'importKey' || prop === 'generateKey') {
          return async (...args: unknown[]) => {
            const key = (await (value as (...a: unknown[]) => Promise<CryptoKey | CryptoKeyPair>).apply(target, args)) as
              | CryptoKey
              | CryptoKeyPair;
            calls.push({ method: prop, args, key });
            return key;
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    return { subtle: spy, calls };
  }

  it("generates symmetric and HMAC material inside WebCrypto, non-extractable, of the spec's length; nothing raw is imported", async () => {
    const { subtle, calls } = recordingSubtle();
    const kms = new Kms({ provider: new WebCryptoProvider({ subtle }) });
    const specs = [
      ['SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'SHA-256', 256],
      ['HMAC_256', 'GENERATE_VERIFY_MAC', 'SHA-256', 256],
      ['HMAC_384', 'GENERATE_VERIFY_MAC', 'SHA-384', 384],
      ['HMAC_512', 'GENERATE_VERIFY_MAC', 'SHA-512', 512],
    ] as const;
    for (const [KeySpec, KeyUsage, hash, bits] of specs) {
      calls.length = 0;
      const { KeyMetadata } = await kms.createKey({ KeySpec, KeyUsage });
      expect(calls.map((c) => c.method)).toEqual(['generateKey']); // no importKey: no bytes passed through script
      const [algorithm, extractable, usages] = calls[0]!.args;
      expect(algorithm).toEqual({ name: 'HMAC', hash, length: bits });
      expect(extractable).toBe(false);
      expect(usages).toEqual(['sign']);
      const key = calls[0]!.key as CryptoKey;
      expect(key.extractable).toBe(false);
      expect(key.algorithm).toMatchObject({ name: 'HMAC', hash: { name: hash }, length: bits });
      await expect(globalThis.crypto.subtle.exportKey('raw', key)).rejects.toThrow();
      if (KeySpec === 'SYMMETRIC_DEFAULT') {
        const { CiphertextBlob } = await kms.encrypt({
          KeyId: KeyMetadata!.KeyId,
          Plaintext: new Uint8Array([1, 2, 3]),
          EncryptionContext: { a: 'b' },
        });
        expect((await kms.decrypt({ CiphertextBlob, EncryptionContext: { a: 'b' } })).Plaintext).toEqual(new Uint8Array([1, 2, 3]));
        await rejects(() => kms.decrypt({ CiphertextBlob }), 'InvalidCiphertextException');
      } else {
        const Message = new Uint8Array([4, 5, 6]);
        const MacAlgorithm = `HMAC_SHA_${bits}` as const;
        const { Mac } = await kms.generateMac({ KeyId: KeyMetadata!.KeyId, Message, MacAlgorithm });
        expect(Mac).toHaveLength(bits / 8);
        expect((await kms.verifyMac({ KeyId: KeyMetadata!.KeyId, Message, MacAlgorithm, Mac })).MacValid).toBe(true);
      }
    }
  });

  it("imports each call's derived AES key non-extractable; no key can be exported", async () => {
    const { subtle, calls } = recordingSubtle();
    const kms = new Kms({ provider: new WebCryptoProvider({ subtle }) });
    const { KeyMetadata } = await kms.createKey();
    const { CiphertextBlob } = await kms.encrypt({ KeyId: KeyMetadata!.KeyId, Plaintext: new Uint8Array([1, 2, 3]) });
    await kms.decrypt({ CiphertextBlob });
    const imported = calls.filter((c) => c.method === 'importKey');
    expect(imported).toHaveLength(2); // one per call
    for (const { args, key } of imported) {
      expect(args[2]).toBe('AES-GCM');
      expect(args[3]).toBe(false);
      expect((key as CryptoKey).extractable).toBe(false);
      await expect(globalThis.crypto.subtle.exportKey('raw', key as CryptoKey)).rejects.toThrow();
    }
  });

  it('imported material (BYOK) is imported non-extractable as an HMAC key and works', async () => {
    const { subtle, calls } = recordingSubtle();
    const kms = new Kms({ provider: new WebCryptoProvider({ subtle }) });
    const KeyId = (await kms.createKey({ Origin: 'EXTERNAL' })).KeyMetadata!.KeyId!;
    const { ImportToken, PublicKey } = await kms.getParametersForImport({
      KeyId,
      WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
      WrappingKeySpec: 'RSA_2048',
    });
    const material = nodeCrypto.randomBytes(32);
    const spki = nodeCrypto.createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' });
    const EncryptedKeyMaterial = nodeCrypto.publicEncrypt(
      { key: spki, padding: nodeCrypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      material,
    );
    calls.length = 0;
    await kms.importKeyMaterial({ KeyId, ImportToken, EncryptedKeyMaterial, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
    const hmacImports = calls.filter((c) => c.method === 'importKey' && (c.args[2] as { name?: string }).name === 'HMAC');
    // The material as an HMAC key (v1 blobs) and blob v2's PRK derived from it: all non-extractable.
    expect(hmacImports.length).toBeGreaterThan(0);
    expect(hmacImports.map((c) => c.args[3])).toEqual(hmacImports.map(() => false));
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: new Uint8Array([7]) });
    expect((await kms.decrypt({ CiphertextBlob })).Plaintext).toEqual(new Uint8Array([7]));
  });

  it('refuses IndexedDB persistence where there is no IndexedDB, and specs it cannot hold', async () => {
    expect(() => new WebCryptoProvider({ indexedDbName: 'x' })).toThrow(/IndexedDB/);
    await rejects(
      () => new Kms({ provider: new WebCryptoProvider() }).createKey({ KeySpec: 'HMAC_224', KeyUsage: 'GENERATE_VERIFY_MAC' }),
      'UnsupportedOperationException',
    );
    for (const KeySpec of ['ECC_SECG_P256K1', 'ML_DSA_65'] as const) {
      await rejects(
        () => new Kms({ provider: new WebCryptoProvider() }).createKey({ KeySpec, KeyUsage: 'SIGN_VERIFY' }),
        'UnsupportedOperationException',
      );
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
            const key = (await (value as (...a: unknown[]) => Promise<CryptoKey | CryptoKeyPair>).apply(target, args)) as
              | CryptoKey
              | CryptoKeyPair;
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
    for (const [KeySpec, SigningAlgorithm, hash] of [
      ['ECC_NIST_P521', 'ECDSA_SHA_512', 'sha512'],
      ['RSA_2048', 'RSASSA_PSS_SHA_384', 'sha384'],
      ['ECC_NIST_EDWARDS25519', 'ED25519_SHA_512', null],
    ] as const) {
      const KeyId = (await kms.createKey({ KeySpec, KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!.KeyId!;
      const key = nodeCrypto.createPublicKey({
        key: Buffer.from((await kms.getPublicKey({ KeyId })).PublicKey!),
        format: 'der',
        type: 'spki',
      });
      const { Signature } = await kms.sign({ KeyId, Message, SigningAlgorithm });
      const options =
        SigningAlgorithm === 'RSASSA_PSS_SHA_384'
          ? { key, padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }
          : SigningAlgorithm === 'ECDSA_SHA_512'
            ? { key, dsaEncoding: 'der' as const }
            : key;
      expect(nodeCrypto.verify(hash, Message, options, Signature!), SigningAlgorithm).toBe(true);
      expect((await kms.verify({ KeyId, Message, Signature, SigningAlgorithm })).SignatureValid).toBe(true);
      if (hash !== null) {
        const digest = new Uint8Array(nodeCrypto.createHash(hash).update(Message).digest());
        expect((await kms.verify({ KeyId, Message: digest, MessageType: 'DIGEST', Signature, SigningAlgorithm })).SignatureValid).toBe(
          true,
        );
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
