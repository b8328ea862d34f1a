/**
 * Ciphertext blob format v2 (issue 18 §3): golden vectors for v1 and v2 (test/vectors/blob/, made
 * with node:crypto alone), the derivation on every backend, v1 blobs still decrypting through the
 * Kms on every provider, and a v1-only reader (kmsbox before v2, test/blob/v1-reader.ts) refusing
 * v2 blobs cleanly.
 */
import { createCipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidCiphertextException, Kms, ManualClock, MemoryProvider, WebCryptoProvider, type KeyMaterialProvider } from 'kmsbox';
import golden from '../vectors/blob/golden.json' with { type: 'json' };
import { BLOB_VERSION, decodeBlob, encodeBlob, encodeHeader } from '../../src/blob/ciphertext-blob.js';
import { canonicalContext } from '../../src/blob/encryption-context.js';
import { nodeCryptoBackend, webBackend, type CryptoBackend } from '../../src/crypto/backend/index.js';
import { BLOB_V2_EXTRACT_SALT, CALL_KEY_LABEL, deriveCallKey, expandCallKey, extractPrk } from '../../src/crypto/call-key.js';
import { newStore } from '../providers/file-fixtures.js';
import { decodeBlob as decodeV1Only } from './v1-reader.js';

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const vectors = golden.vectors.map((v) => ({ ...v, blobVersion: v.blobVersion as 1 | 2, context: v.context as Record<string, string> }));
const [v1, v2] = [vectors.find((v) => v.blobVersion === 1)!, vectors.find((v) => v.blobVersion === 2)!];
const backends = [nodeCryptoBackend, webBackend].filter((b): b is CryptoBackend => b !== undefined);

function expectInvalid(f: () => unknown): void {
  let thrown: unknown;
  try {
    f();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidCiphertextException);
  expect((thrown as Error).message).toBe('The ciphertext is not valid for this key and encryption context, or it was altered.');
}

describe('golden vectors (test/vectors/blob/golden.json)', () => {
  it('hold one v1 blob and two v2 blobs; kmsbox writes v2', () => {
    expect(vectors.map((v) => v.blobVersion)).toEqual([1, 2, 2]);
    expect(BLOB_VERSION).toBe(2);
    // v1 and the first v2 differ only in the version byte and the derivation.
    expect(v1.blob.slice(2, 96)).toBe(v2.blob.slice(2, 96));
    expect(v1.blob.slice(96)).not.toBe(v2.blob.slice(96));
  });

  it.each(vectors.map((v) => [v.name, v] as const))(
    '%s: header bytes, fields, per-call key on every backend, and AES-GCM',
    async (_, v) => {
      const blob = unhex(v.blob);
      const header = encodeHeader({
        blobVersion: v.blobVersion,
        keyId: v.keyId,
        version: v.materialVersion,
        salt: unhex(v.salt),
        nonce: unhex(v.nonce),
      });
      expect(hex(header)).toBe(v.blob.slice(0, 96));
      expect(blob[0]).toBe(v.blobVersion);
      const d = decodeBlob(blob);
      expect(d).toMatchObject({ blobVersion: v.blobVersion, keyId: v.keyId, version: v.materialVersion });
      expect([hex(d.salt), hex(d.nonce)]).toEqual([v.salt, v.nonce]);
      for (const b of backends) {
        const key =
          v.blobVersion === 1 ? deriveCallKey(unhex(v.material), d.salt, b) : expandCallKey(extractPrk(unhex(v.material), b), d.salt, b);
        expect(hex(key), b.name).toBe(v.callKey);
      }
      const gcm = createCipheriv('aes-256-gcm', unhex(v.callKey), d.nonce);
      gcm.setAAD(canonicalContext(v.context, d.header));
      const sealed = Buffer.concat([gcm.update(unhex(v.plaintext)), gcm.final(), gcm.getAuthTag()]);
      expect(hex(encodeBlob(header, sealed))).toBe(v.blob);
    },
  );

  it('v2 is HKDF-SHA256 (RFC 5869) with the material as IKM, a fixed extract salt and the blob salt as info', () => {
    expect(new TextDecoder().decode(BLOB_V2_EXTRACT_SALT)).toBe('kmsbox/v2 ciphertext blob key extract');
    expect(new TextDecoder().decode(CALL_KEY_LABEL)).toBe('kmsbox/v1 ciphertext blob key');
    for (const v of vectors.filter((x) => x.blobVersion === 2)) {
      expect(hex(new Uint8Array(hkdfSync('sha256', unhex(v.material), BLOB_V2_EXTRACT_SALT, unhex(v.salt), 32)))).toBe(v.callKey);
    }
  });

  it('no backend derives the v2 key as HMAC keyed by the material: GenerateMac of any message tried here differs', async () => {
    const material = unhex(v2.material);
    const salt = unhex(v2.salt);
    const candidates = [
      Buffer.concat([CALL_KEY_LABEL, salt, Buffer.from([1])]),
      Buffer.concat([salt, Buffer.from([1])]),
      Buffer.concat([BLOB_V2_EXTRACT_SALT, salt, Buffer.from([1])]),
      BLOB_V2_EXTRACT_SALT,
      salt,
    ];
    for (const m of candidates) expect(createHmac('sha256', material).update(m).digest('hex')).not.toBe(v2.callKey);
    // The PRK is HMAC keyed by the public extract salt, with the material as the message.
    const prk = createHmac('sha256', BLOB_V2_EXTRACT_SALT).update(material).digest('hex');
    for (const b of backends) expect(hex(extractPrk(material, b)), b.name).toBe(prk);
    expect(hex(extractPrk(material))).toBe(prk);
  });
});

describe('a reader of v1 only (kmsbox before v2)', () => {
  it('reads the v1 golden blob and refuses every v2 blob with InvalidCiphertextException', () => {
    expect(decodeV1Only(unhex(v1.blob)).keyId).toBe(v1.keyId);
    for (const v of vectors.filter((x) => x.blobVersion === 2)) expectInvalid(() => decodeV1Only(unhex(v.blob)));
  });

  it('a v2 blob relabelled 0x01 parses as v1 but does not authenticate: the version byte is in the AAD', async () => {
    const provider = new MemoryProvider();
    await provider.importMaterial('SYMMETRIC_DEFAULT', unhex(v2.material), 'a'.repeat(64));
    const open = (blob: Uint8Array) => {
      const d = decodeBlob(blob);
      return provider.open('a'.repeat(64), {
        blobVersion: d.blobVersion,
        salt: d.salt,
        nonce: d.nonce,
        sealed: d.sealed,
        aad: canonicalContext(v2.context, d.header),
      });
    };
    expect(hex((await open(unhex(v2.blob)))!)).toBe(v2.plaintext);
    const relabelled = unhex(v2.blob);
    relabelled[0] = 1;
    expect(await open(relabelled)).toBeUndefined();
    const v1Blob = unhex(v1.blob);
    expect(hex((await open(v1Blob))!)).toBe(v1.plaintext);
    v1Blob[0] = 2;
    expect(await open(v1Blob)).toBeUndefined();
  });

  it('the new parser reads versions 1 and 2 and refuses 0 and 3..255', () => {
    const blob = unhex(v2.blob);
    for (let version = 0; version < 256; version++) {
      blob[0] = version;
      if (version === 1 || version === 2) expect(decodeBlob(blob).blobVersion).toBe(version);
      else expectInvalid(() => decodeBlob(blob));
    }
  });
});

/** A v1 blob as kmsbox wrote it before v2, made here with node:crypto for a real key's id. */
function v1Blob(material: Uint8Array, keyId: string, plaintext: Uint8Array, context: Record<string, string>): Uint8Array {
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const header = encodeHeader({ blobVersion: 1, keyId, version: 0, salt, nonce });
  const key = createHmac('sha256', material)
    .update(CALL_KEY_LABEL)
    .update(salt)
    .update(Buffer.from([1]))
    .digest();
  const gcm = createCipheriv('aes-256-gcm', key, nonce);
  gcm.setAAD(canonicalContext(context, header));
  return encodeBlob(header, Buffer.concat([gcm.update(plaintext), gcm.final(), gcm.getAuthTag()]));
}

describe.each([
  ['memory', () => new MemoryProvider()],
  ['file', () => newStore().open()],
  ['webcrypto', () => new WebCryptoProvider()],
] as const)('through the Kms on the %s provider', (_, makeProvider: () => KeyMaterialProvider) => {
  it('a v1 blob of imported material decrypts, ReEncrypts to a v2 blob, and new blobs are v2', async () => {
    const kms = new Kms({ provider: makeProvider(), clock: new ManualClock(new Date('2026-03-01T00:00:00Z')) });
    const { KeyMetadata } = await kms.createKey({ Origin: 'EXTERNAL' });
    const keyId = KeyMetadata!.KeyId!;
    const material = randomBytes(32);
    const params = await kms.getParametersForImport({
      KeyId: keyId,
      WrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256',
      WrappingKeySpec: 'RSA_2048',
    });
    const { createPublicKey, publicEncrypt, constants } = await import('node:crypto');
    const aesKey = randomBytes(32);
    const kwp = createCipheriv('id-aes256-wrap-pad', aesKey, Buffer.from('A65959A6', 'hex'));
    const rsa = publicEncrypt(
      {
        key: createPublicKey({ key: Buffer.from(params.PublicKey!), format: 'der', type: 'spki' }),
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: 'sha256',
      },
      aesKey,
    );
    await kms.importKeyMaterial({
      KeyId: keyId,
      ImportToken: params.ImportToken,
      EncryptedKeyMaterial: Buffer.concat([rsa, kwp.update(material), kwp.final()]),
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    });

    const context = { app: 'legacy' };
    const old = v1Blob(material, keyId, Buffer.from('written by kmsbox 0.1'), context);
    expect(Buffer.from((await kms.decrypt({ CiphertextBlob: old, EncryptionContext: context })).Plaintext!).toString()).toBe(
      'written by kmsbox 0.1',
    );
    await expect(kms.decrypt({ CiphertextBlob: old })).rejects.toBeInstanceOf(InvalidCiphertextException);
    const re = await kms.reEncrypt({ CiphertextBlob: old, SourceEncryptionContext: context, DestinationKeyId: keyId });
    expect(re.CiphertextBlob![0]).toBe(2);
    expect(Buffer.from((await kms.decrypt({ CiphertextBlob: re.CiphertextBlob! })).Plaintext!).toString()).toBe('written by kmsbox 0.1');
    const fresh = await kms.generateDataKey({ KeyId: keyId, KeySpec: 'AES_256' });
    expect(fresh.CiphertextBlob![0]).toBe(2);
    // The v2 blob's key is HKDF (node's own) of the imported material.
    const d = decodeBlob(fresh.CiphertextBlob!);
    const key = Buffer.from(hkdfSync('sha256', material, BLOB_V2_EXTRACT_SALT, d.salt, 32));
    const gcm = createCipheriv('aes-256-gcm', key, d.nonce);
    gcm.setAAD(canonicalContext(undefined, d.header));
    expect(hex(Buffer.concat([gcm.update(fresh.Plaintext!), gcm.final(), gcm.getAuthTag()]))).toBe(hex(d.sealed));
  });

  it('generated keys write v2 blobs that decrypt, after rotation too', async () => {
    const kms = new Kms({ provider: makeProvider() });
    const { KeyMetadata } = await kms.createKey({});
    const keyId = KeyMetadata!.KeyId!;
    const first = (await kms.encrypt({ KeyId: keyId, Plaintext: Buffer.from('one') })).CiphertextBlob!;
    await kms.rotateKeyOnDemand({ KeyId: keyId });
    const second = (await kms.encrypt({ KeyId: keyId, Plaintext: Buffer.from('two') })).CiphertextBlob!;
    expect([first[0], second[0], second[19]]).toEqual([2, 2, 1]);
    expect(Buffer.from((await kms.decrypt({ CiphertextBlob: first })).Plaintext!).toString()).toBe('one');
    expect(Buffer.from((await kms.decrypt({ CiphertextBlob: second })).Plaintext!).toString()).toBe('two');
    // The same blob relabelled as v1 is refused, not decrypted with the other derivation.
    const relabelled = first.slice();
    relabelled[0] = 1;
    await expect(kms.decrypt({ CiphertextBlob: relabelled })).rejects.toBeInstanceOf(InvalidCiphertextException);
  });
});
