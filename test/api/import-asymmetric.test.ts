// Imported key material for asymmetric keys (issue 13 §1): RSA and ECC private keys made by the
// OpenSSL CLI, wrapped by it (test/api/openssl-import.ts), imported into Origin EXTERNAL keys;
// the key then signs, decrypts and derives shared secrets as a generated one does, and GetPublicKey
// returns the key's public key as OpenSSL computes it.
import { constants, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, publicEncrypt, verify } from 'node:crypto';
import {
  CreateKeyCommand,
  GetParametersForImportCommand,
  GetPublicKeyCommand,
  ImportKeyMaterialCommand,
  IncorrectKeyMaterialException,
  KMSClient,
  SignCommand,
} from '@aws-sdk/client-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRequestHandler, Kms, ManualClock, MemoryProvider, type KeyMaterialProvider, WebCryptoProvider } from 'kmsbox';
import { newStore } from '../providers/file-fixtures.js';
import { rejects, utf8 } from './helpers.js';
import {
  opensslPrivateKey,
  opensslPublicKey,
  opensslTraditional,
  opensslWithoutPublicKey,
  opensslWrap,
  type Wrapping,
} from './openssl-import.js';

// OpenSSL makes RSA_4096 keys slowly on a loaded machine: a bound for a hang, not a measure of speed.
const SLOW = 300_000;
const START = new Date('2026-03-01T00:00:00Z');

type Spec = 'RSA_2048' | 'RSA_3072' | 'RSA_4096' | 'ECC_NIST_P256' | 'ECC_NIST_P384' | 'ECC_NIST_P521' | 'ECC_SECG_P256K1';
const SPECS: Spec[] = ['RSA_2048', 'RSA_3072', 'RSA_4096', 'ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521', 'ECC_SECG_P256K1'];
const SIGNING: Record<Spec, 'RSASSA_PSS_SHA_256' | 'ECDSA_SHA_256' | 'ECDSA_SHA_384' | 'ECDSA_SHA_512'> = {
  RSA_2048: 'RSASSA_PSS_SHA_256',
  RSA_3072: 'RSASSA_PSS_SHA_256',
  RSA_4096: 'RSASSA_PSS_SHA_256',
  ECC_NIST_P256: 'ECDSA_SHA_256',
  ECC_NIST_P384: 'ECDSA_SHA_384',
  ECC_NIST_P521: 'ECDSA_SHA_512',
  ECC_SECG_P256K1: 'ECDSA_SHA_256',
};
const CURVE: Partial<Record<Spec, string>> = { ECC_NIST_P256: 'prime256v1', ECC_NIST_P384: 'secp384r1', ECC_NIST_P521: 'secp521r1' };

/** One OpenSSL key per spec (and a second P-256 and RSA_2048 key), made once. */
const keys = {} as Record<Spec | 'P256_OTHER' | 'RSA_OTHER' | 'ED25519', Uint8Array>;
beforeAll(() => {
  for (const spec of SPECS) keys[spec] = opensslPrivateKey(spec);
  keys.P256_OTHER = opensslPrivateKey('ECC_NIST_P256');
  keys.RSA_OTHER = opensslPrivateKey('RSA_2048');
  keys.ED25519 = opensslPrivateKey('ED25519');
}, SLOW);

function newKms(provider?: KeyMaterialProvider) {
  return new Kms({ clock: new ManualClock(START), ...(provider ? { provider } : {}) });
}

async function externalKey(kms: Kms, spec: Spec, usage: 'SIGN_VERIFY' | 'ENCRYPT_DECRYPT' | 'KEY_AGREEMENT') {
  const { KeyMetadata } = await kms.createKey({ Origin: 'EXTERNAL', KeySpec: spec, KeyUsage: usage });
  return { keyId: KeyMetadata!.KeyId!, arn: KeyMetadata!.Arn! };
}

async function importKey(
  kms: Kms,
  keyId: string,
  pkcs8: Uint8Array,
  algorithm: Wrapping = 'RSA_AES_KEY_WRAP_SHA_256',
  wrappingKeySpec: 'RSA_2048' | 'RSA_3072' | 'RSA_4096' = 'RSA_2048',
) {
  const params = await kms.getParametersForImport({ KeyId: keyId, WrappingAlgorithm: algorithm, WrappingKeySpec: wrappingKeySpec });
  return kms.importKeyMaterial({
    KeyId: keyId,
    ImportToken: params.ImportToken,
    EncryptedKeyMaterial: opensslWrap(params.PublicKey!, algorithm, pkcs8),
    ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
  });
}

const spkiKey = (der: Uint8Array) => createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
const pkcs8Key = (der: Uint8Array) => createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });

/** Signs with the KMS key and checks the signature with OpenSSL's public key of the imported private key. */
async function expectSigns(kms: Kms, keyId: string, spec: Spec) {
  const message = utf8(`signed by an imported ${spec} key`);
  const algorithm = SIGNING[spec];
  const { Signature } = await kms.sign({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: algorithm });
  const hash = { RSASSA_PSS_SHA_256: 'sha256', ECDSA_SHA_256: 'sha256', ECDSA_SHA_384: 'sha384', ECDSA_SHA_512: 'sha512' }[algorithm];
  const key = spkiKey(opensslPublicKey(keys[spec]));
  const options = spec.startsWith('RSA') ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : key;
  expect(verify(hash, message, options, Signature!)).toBe(true);
  expect((await kms.verify({ KeyId: keyId, Message: message, Signature, SigningAlgorithm: algorithm })).SignatureValid).toBe(true);
}

const PROVIDERS: [string, () => KeyMaterialProvider | undefined][] = [
  ['MemoryProvider', () => new MemoryProvider()],
  ['FileProvider', () => newStore().open()],
];

describe.each(PROVIDERS)('imported key pairs in the %s', (_name, provider) => {
  it.each(SPECS)(
    '%s: a SIGN_VERIFY key signs with the imported key, and GetPublicKey returns its public key',
    async (spec) => {
      const kms = newKms(provider());
      const { keyId } = await externalKey(kms, spec, 'SIGN_VERIFY');
      const imported = await importKey(kms, keyId, keys[spec]);
      expect(imported.KeyMaterialId).toMatch(/^[0-9a-f]{64}$/);
      const md = (await kms.describeKey({ KeyId: keyId })).KeyMetadata!;
      expect(md).toMatchObject({
        KeyState: 'Enabled',
        Enabled: true,
        Origin: 'EXTERNAL',
        KeySpec: spec,
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      });
      // AWS: CurrentKeyMaterialId is for symmetric encryption keys only (KeyMetadata, API reference).
      expect(md.CurrentKeyMaterialId).toBeUndefined();
      const pub = await kms.getPublicKey({ KeyId: keyId });
      expect(Buffer.from(pub.PublicKey!)).toEqual(Buffer.from(opensslPublicKey(keys[spec])));
      expect(pub).toMatchObject({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: expect.arrayContaining([SIGNING[spec]]) });
      await expectSigns(kms, keyId, spec);
    },
    SLOW,
  );

  it(
    'RSA ENCRYPT_DECRYPT: decrypts what OpenSSL encrypted under the imported key',
    async () => {
      const kms = newKms(provider());
      const { keyId } = await externalKey(kms, 'RSA_3072', 'ENCRYPT_DECRYPT');
      await importKey(kms, keyId, keys.RSA_3072, 'RSA_AES_KEY_WRAP_SHA_1', 'RSA_4096');
      const ciphertext = publicEncrypt(
        { key: spkiKey(opensslPublicKey(keys.RSA_3072)), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        utf8('for the imported key'),
      );
      const { Plaintext } = await kms.decrypt({ KeyId: keyId, CiphertextBlob: ciphertext, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' });
      expect(new TextDecoder().decode(Plaintext)).toBe('for the imported key');
    },
    SLOW,
  );

  it.each(['ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521'] as const)(
    '%s KEY_AGREEMENT: derives the shared secret OpenSSL derives with the imported private key',
    async (spec) => {
      const kms = newKms(provider());
      const { keyId } = await externalKey(kms, spec, 'KEY_AGREEMENT');
      await importKey(kms, keyId, keys[spec], 'RSA_AES_KEY_WRAP_SHA_256', 'RSA_3072');
      const peer = generateKeyPairSync('ec', { namedCurve: CURVE[spec]! });
      const peerSpki = new Uint8Array(peer.publicKey.export({ type: 'spki', format: 'der' }));
      const { SharedSecret } = await kms.deriveSharedSecret({ KeyId: keyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: peerSpki });
      const expected = diffieHellman({ privateKey: peer.privateKey, publicKey: spkiKey(opensslPublicKey(keys[spec])) });
      expect(Buffer.from(SharedSecret!)).toEqual(expected);
    },
    SLOW,
  );
});

describe('imported key pairs in a FileProvider store', () => {
  it(
    'survive a reopen: the next process signs with the imported key and re-imports only the same key pair',
    async () => {
      const store = newStore();
      const first = newKms(store.open());
      const { keyId, arn } = await externalKey(first, 'ECC_NIST_P521', 'SIGN_VERIFY');
      const imported = await importKey(first, keyId, keys.ECC_NIST_P521);
      const second = newKms(store.open());
      expect(Buffer.from((await second.getPublicKey({ KeyId: keyId })).PublicKey!)).toEqual(
        Buffer.from(opensslPublicKey(keys.ECC_NIST_P521)),
      );
      await expectSigns(second, keyId, 'ECC_NIST_P521');
      await second.deleteImportedKeyMaterial({ KeyId: keyId });
      await rejects(
        () => importKey(second, keyId, opensslPrivateKey('ECC_NIST_P521')),
        'IncorrectKeyMaterialException',
        `The key material is not the key material that was previously imported into ${arn}.`,
      );
      expect((await importKey(second, keyId, keys.ECC_NIST_P521)).KeyMaterialId).toBe(imported.KeyMaterialId);
      await expectSigns(newKms(store.open()), keyId, 'ECC_NIST_P521');
    },
    SLOW,
  );
});

describe('imported key pairs in the WebCryptoProvider (non-extractable CryptoKeys)', () => {
  it(
    'holds imported RSA and NIST ECC keys: signs, decrypts, derives; secp256k1 is refused at CreateKey as for generated keys',
    async () => {
      const kms = newKms(new WebCryptoProvider());
      for (const spec of ['ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521', 'RSA_2048'] as const) {
        const { keyId } = await externalKey(kms, spec, 'SIGN_VERIFY');
        await importKey(kms, keyId, keys[spec]);
        expect(Buffer.from((await kms.getPublicKey({ KeyId: keyId })).PublicKey!)).toEqual(Buffer.from(opensslPublicKey(keys[spec])));
        await expectSigns(kms, keyId, spec);
      }
      const rsa = await externalKey(kms, 'RSA_2048', 'ENCRYPT_DECRYPT');
      await importKey(kms, rsa.keyId, keys.RSA_2048);
      const ciphertext = publicEncrypt(
        { key: spkiKey(opensslPublicKey(keys.RSA_2048)), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
        utf8('webcrypto'),
      );
      const { Plaintext } = await kms.decrypt({ KeyId: rsa.keyId, CiphertextBlob: ciphertext, EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' });
      expect(new TextDecoder().decode(Plaintext)).toBe('webcrypto');
      const ecdh = await externalKey(kms, 'ECC_NIST_P256', 'KEY_AGREEMENT');
      await importKey(kms, ecdh.keyId, keys.ECC_NIST_P256, 'RSAES_OAEP_SHA_256');
      const peer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const { SharedSecret } = await kms.deriveSharedSecret({
        KeyId: ecdh.keyId,
        KeyAgreementAlgorithm: 'ECDH',
        PublicKey: new Uint8Array(peer.publicKey.export({ type: 'spki', format: 'der' })),
      });
      expect(Buffer.from(SharedSecret!)).toEqual(diffieHellman({ privateKey: peer.privateKey, publicKey: pkcs8Key(keys.ECC_NIST_P256) }));
      await rejects(
        () => kms.createKey({ Origin: 'EXTERNAL', KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY' }),
        'UnsupportedOperationException',
        'KeySpec ECC_SECG_P256K1 is not supported by the webcrypto provider.',
      );
    },
    SLOW,
  );
});

describe("a private key the runtime's WebCrypto will not take", () => {
  it('is UnsupportedOperationException naming the provider, and the key stays PendingImport', async () => {
    const real = globalThis.crypto.subtle;
    // A WebCrypto that refuses ECDSA PKCS#8 imports, as Chromium refuses RSA exponents other than 3 and 65537.
    const subtle = new Proxy(real, {
      get(target, prop) {
        if (prop === 'importKey') {
          return (format: string, data: BufferSource, algorithm: { name: string }, extractable: boolean, uses: KeyUsage[]) =>
            format === 'pkcs8' && algorithm.name === 'ECDSA'
              ? Promise.reject(new DOMException('not this key', 'NotSupportedError'))
              : target.importKey(format as 'pkcs8', data, algorithm, extractable, uses);
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const kms = newKms(new WebCryptoProvider({ subtle }));
    const { keyId } = await externalKey(kms, 'ECC_NIST_P256', 'SIGN_VERIFY');
    await rejects(
      () => importKey(kms, keyId, keys.ECC_NIST_P256),
      'UnsupportedOperationException',
      "This runtime's WebCrypto refused the ECC_NIST_P256 private key (NotSupportedError), so the webcrypto provider cannot hold it; use the memory or file provider.",
    );
    expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata!.KeyState).toBe('PendingImport');
  });
});

describe('CreateKey with Origin EXTERNAL for asymmetric key specs', () => {
  it('RSA and ECC keys are created PendingImport; Ed25519, ML-DSA and SM2 are refused', async () => {
    const kms = newKms();
    for (const spec of SPECS) {
      const { KeyMetadata } = await kms.createKey({ Origin: 'EXTERNAL', KeySpec: spec, KeyUsage: 'SIGN_VERIFY' });
      expect(KeyMetadata).toMatchObject({ KeyState: 'PendingImport', Enabled: false, Origin: 'EXTERNAL', KeySpec: spec });
      expect(KeyMetadata!.CurrentKeyMaterialId).toBeUndefined();
      await rejects(
        () => kms.getPublicKey({ KeyId: KeyMetadata!.KeyId! }),
        'KMSInvalidStateException',
        `${KeyMetadata!.Arn} is pending import.`,
      );
      await rejects(
        () => kms.sign({ KeyId: KeyMetadata!.KeyId!, Message: utf8('m'), SigningAlgorithm: SIGNING[spec] }),
        'KMSInvalidStateException',
        `${KeyMetadata!.Arn} is pending import.`,
      );
    }
    for (const spec of ['ECC_NIST_EDWARDS25519', 'ML_DSA_44'] as const) {
      await rejects(
        () => kms.createKey({ Origin: 'EXTERNAL', KeySpec: spec, KeyUsage: 'SIGN_VERIFY' }),
        'UnsupportedOperationException',
        `Origin EXTERNAL (imported key material) is not supported by kmsbox for KeySpec ${spec}; SYMMETRIC_DEFAULT, HMAC, RSA and ECC keys are.`,
      );
    }
  });
});

describe('GetParametersForImport offers the wrapping algorithms AWS lists for the key spec', () => {
  it('RSA private keys only with RSA_AES_KEY_WRAP_*; ECC_NIST_P521 not with RSAES_OAEP_* under an RSA_2048 wrapping key', async () => {
    const kms = newKms();
    const rsa = await externalKey(kms, 'RSA_2048', 'SIGN_VERIFY');
    for (const algorithm of ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] as const) {
      await rejects(
        () => kms.getParametersForImport({ KeyId: rsa.keyId, WrappingAlgorithm: algorithm, WrappingKeySpec: 'RSA_4096' }),
        'ValidationException',
        `The ${algorithm} wrapping algorithm cannot wrap RSA_2048 key material: RSA private keys are wrapped with RSA_AES_KEY_WRAP_SHA_1 or RSA_AES_KEY_WRAP_SHA_256.`,
      );
    }
    for (const algorithm of ['RSA_AES_KEY_WRAP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_256'] as const) {
      const p = await kms.getParametersForImport({ KeyId: rsa.keyId, WrappingAlgorithm: algorithm, WrappingKeySpec: 'RSA_2048' });
      expect(p.ImportToken!.length).toBeGreaterThan(0);
    }
    const p521 = await externalKey(kms, 'ECC_NIST_P521', 'SIGN_VERIFY');
    await rejects(
      () => kms.getParametersForImport({ KeyId: p521.keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_1', WrappingKeySpec: 'RSA_2048' }),
      'ValidationException',
      'The RSAES_OAEP_SHA_1 wrapping algorithm with an RSA_2048 wrapping key cannot wrap ECC_NIST_P521 key material: use a larger wrapping key spec or an RSA_AES_KEY_WRAP wrapping algorithm.',
    );
    // Under a larger wrapping key it fits: imported with RSAES_OAEP_SHA_256 and RSA_3072.
    await importKey(kms, p521.keyId, keys.ECC_NIST_P521, 'RSAES_OAEP_SHA_256', 'RSA_3072');
    await expectSigns(kms, p521.keyId, 'ECC_NIST_P521');
    // Smaller EC keys fit RSAES_OAEP under RSA_2048, SHA-1 as SHA-256.
    const p384 = await externalKey(kms, 'ECC_NIST_P384', 'SIGN_VERIFY');
    await importKey(kms, p384.keyId, keys.ECC_NIST_P384, 'RSAES_OAEP_SHA_256', 'RSA_2048');
    const k1 = await externalKey(kms, 'ECC_SECG_P256K1', 'SIGN_VERIFY');
    await importKey(kms, k1.keyId, keys.ECC_SECG_P256K1, 'RSAES_OAEP_SHA_1', 'RSA_2048');
    await expectSigns(kms, k1.keyId, 'ECC_SECG_P256K1');
    // Symmetric keys keep every algorithm.
    const sym = (await kms.createKey({ Origin: 'EXTERNAL' })).KeyMetadata!.KeyId!;
    await kms.getParametersForImport({ KeyId: sym, WrappingAlgorithm: 'RSAES_OAEP_SHA_1', WrappingKeySpec: 'RSA_2048' });
  });
});

describe('ImportKeyMaterial checks the private key against the key spec', () => {
  const refused = (spec: string, why: string) => `The key material is not a valid ${spec} private key: ${why}.`;

  it('another curve, another modulus size, another algorithm, and bytes that are no PKCS#8: IncorrectKeyMaterialException, key still PendingImport', async () => {
    const kms = newKms();
    const cases: [Spec, Uint8Array, string][] = [
      ['ECC_NIST_P256', keys.ECC_NIST_P384, 'it is an EC key on P-384, not on P-256'],
      ['ECC_NIST_P384', keys.ECC_SECG_P256K1, 'it is an EC key on secp256k1, not on P-384'],
      ['ECC_SECG_P256K1', keys.ECC_NIST_P256, 'it is an EC key on P-256, not on secp256k1'],
      ['ECC_NIST_P256', keys.RSA_2048, 'it is an RSA key, not an EC key on P-256'],
      ['ECC_NIST_P256', keys.ED25519, 'it is an Ed25519 key, not an EC key on P-256'],
      ['RSA_2048', keys.RSA_3072, 'its modulus is 3072 bits, not 2048'],
      ['RSA_4096', keys.RSA_3072, 'its modulus is 3072 bits, not 4096'],
      ['RSA_2048', keys.ECC_NIST_P256, 'it is an EC key on P-256, not an RSA key'],
      ['RSA_2048', keys.ED25519, 'it is an Ed25519 key, not an RSA key'],
      [
        'ECC_NIST_P256',
        new Uint8Array(32).fill(7),
        'it must be a DER-encoded PKCS #8 (RFC 5208) PrivateKeyInfo of an RSA or EC key on a named curve',
      ],
    ];
    // What `openssl genpkey -outform DER` writes: the algorithm's own format, not PKCS#8.
    const notPkcs8 = 'it must be a DER-encoded PKCS #8 (RFC 5208) PrivateKeyInfo of an RSA or EC key on a named curve';
    cases.push(
      ['ECC_NIST_P256', opensslTraditional(keys.ECC_NIST_P256), notPkcs8],
      ['RSA_2048', opensslTraditional(keys.RSA_2048), notPkcs8],
    );
    for (const [spec, material, why] of cases) {
      const { keyId } = await externalKey(kms, spec, 'SIGN_VERIFY');
      await rejects(() => importKey(kms, keyId, material), 'IncorrectKeyMaterialException', refused(spec, why));
      expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata!.KeyState).toBe('PendingImport');
    }
  });

  it('an RSA key whose CRT values do not match, and an EC scalar of zero or not below the curve order, are refused', async () => {
    const kms = newKms();
    const jwk = pkcs8Key(keys.RSA_2048).export({ format: 'jwk' });
    // dp replaced by dq: still a well-formed RSAPrivateKey, but not this key's.
    const tampered = new Uint8Array(
      createPrivateKey({ key: { ...jwk, dp: jwk.dq! }, format: 'jwk' }).export({ type: 'pkcs8', format: 'der' }),
    );
    const rsa = await externalKey(kms, 'RSA_2048', 'SIGN_VERIFY');
    await rejects(
      () => importKey(kms, rsa.keyId, tampered),
      'IncorrectKeyMaterialException',
      refused('RSA_2048', 'its RSA private key values are inconsistent'),
    );
    // P-256's order n, and zero, as the private scalar of an otherwise well-formed PKCS#8.
    const order = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
    for (const d of [order, Buffer.alloc(32)]) {
      const pkcs8 = Buffer.concat([Buffer.from('3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420', 'hex'), d]);
      const ec = await externalKey(kms, 'ECC_NIST_P256', 'SIGN_VERIFY');
      await rejects(
        () => importKey(kms, ec.keyId, new Uint8Array(pkcs8)),
        'IncorrectKeyMaterialException',
        refused('ECC_NIST_P256', 'its private scalar is not in [1, n-1] for P-256'),
      );
    }
  });

  it('an embedded public key that is not the private key’s is ignored: GetPublicKey returns the one computed from the private key', async () => {
    const kms = newKms();
    // The P-256 PKCS#8 with the public key of another P-256 key in its ECPrivateKey.
    const own = Buffer.from(keys.ECC_NIST_P256);
    const otherPoint = Buffer.from(opensslPublicKey(keys.P256_OTHER)).subarray(-65);
    const ownPoint = Buffer.from(opensslPublicKey(keys.ECC_NIST_P256)).subarray(-65);
    const at = own.indexOf(ownPoint);
    expect(at).toBeGreaterThan(0);
    const lying = Buffer.concat([own.subarray(0, at), otherPoint, own.subarray(at + 65)]);
    const { keyId } = await externalKey(kms, 'ECC_NIST_P256', 'SIGN_VERIFY');
    await importKey(kms, keyId, new Uint8Array(lying));
    expect(Buffer.from((await kms.getPublicKey({ KeyId: keyId })).PublicKey!).subarray(-65)).toEqual(ownPoint);
    await expectSigns(kms, keyId, 'ECC_NIST_P256');
  });
});

describe('deleting and re-importing asymmetric key material', () => {
  it('the same key pair can be imported again (in another encoding too); another key pair is IncorrectKeyMaterialException', async () => {
    const kms = newKms();
    const { keyId, arn } = await externalKey(kms, 'ECC_NIST_P256', 'SIGN_VERIFY');
    const first = await importKey(kms, keyId, keys.ECC_NIST_P256);
    const publicKey = (await kms.getPublicKey({ KeyId: keyId })).PublicKey!;
    const message = utf8('signed before the delete');
    const { Signature } = await kms.sign({ KeyId: keyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' });
    // Re-imported while Enabled (to change its expiration): the same KeyMaterialId.
    expect((await importKey(kms, keyId, keys.ECC_NIST_P256, 'RSAES_OAEP_SHA_1')).KeyMaterialId).toBe(first.KeyMaterialId);
    const deleted = await kms.deleteImportedKeyMaterial({ KeyId: keyId });
    expect(deleted.KeyMaterialId).toBe(first.KeyMaterialId);
    expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata!.KeyState).toBe('PendingImport');
    await rejects(() => kms.getPublicKey({ KeyId: keyId }), 'KMSInvalidStateException', `${arn} is pending import.`);
    await rejects(
      () => importKey(kms, keyId, keys.P256_OTHER),
      'IncorrectKeyMaterialException',
      `The key material is not the key material that was previously imported into ${arn}.`,
    );
    // The same private key as OpenSSL writes it without its public key: the same key pair.
    const bare = opensslWithoutPublicKey(keys.ECC_NIST_P256);
    expect(Buffer.from(bare)).not.toEqual(Buffer.from(keys.ECC_NIST_P256));
    expect((await importKey(kms, keyId, bare)).KeyMaterialId).toBe(first.KeyMaterialId);
    expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata!.KeyState).toBe('Enabled');
    expect(Buffer.from((await kms.getPublicKey({ KeyId: keyId })).PublicKey!)).toEqual(Buffer.from(publicKey));
    expect((await kms.verify({ KeyId: keyId, Message: message, Signature, SigningAlgorithm: 'ECDSA_SHA_256' })).SignatureValid).toBe(true);
  });

  it('RSA: re-import of the same key after a delete; another RSA key of the same size is refused', async () => {
    const kms = newKms();
    const { keyId, arn } = await externalKey(kms, 'RSA_2048', 'SIGN_VERIFY');
    const first = await importKey(kms, keyId, keys.RSA_2048);
    await kms.deleteImportedKeyMaterial({ KeyId: keyId });
    await rejects(
      () => importKey(kms, keyId, keys.RSA_OTHER),
      'IncorrectKeyMaterialException',
      `The key material is not the key material that was previously imported into ${arn}.`,
    );
    expect((await importKey(kms, keyId, keys.RSA_2048, 'RSA_AES_KEY_WRAP_SHA_1')).KeyMaterialId).toBe(first.KeyMaterialId);
    await expectSigns(kms, keyId, 'RSA_2048');
  });

  it('the same key pair in two keys: two KeyMaterialIds, both sign verifiably', async () => {
    const kms = newKms();
    const a = await externalKey(kms, 'ECC_SECG_P256K1', 'SIGN_VERIFY');
    const b = await externalKey(kms, 'ECC_SECG_P256K1', 'SIGN_VERIFY');
    const ida = (await importKey(kms, a.keyId, keys.ECC_SECG_P256K1)).KeyMaterialId;
    const idb = (await importKey(kms, b.keyId, keys.ECC_SECG_P256K1)).KeyMaterialId;
    expect(ida).not.toBe(idb);
    await expectSigns(kms, a.keyId, 'ECC_SECG_P256K1');
    await expectSigns(kms, b.keyId, 'ECC_SECG_P256K1');
  });
});

describe('through the real @aws-sdk/client-kms', () => {
  it(
    'CreateKey EXTERNAL RSA_4096, GetParametersForImport, ImportKeyMaterial of an OpenSSL key, GetPublicKey, Sign; a wrong key is IncorrectKeyMaterialException',
    async () => {
      const kms = newKms();
      const client = new KMSClient({
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKID', secretAccessKey: 's' },
        requestHandler: createRequestHandler(kms),
        maxAttempts: 1,
      });
      const { KeyMetadata } = await client.send(new CreateKeyCommand({ Origin: 'EXTERNAL', KeySpec: 'RSA_4096', KeyUsage: 'SIGN_VERIFY' }));
      expect(KeyMetadata).toMatchObject({ KeyState: 'PendingImport', KeySpec: 'RSA_4096' });
      const params = await client.send(
        new GetParametersForImportCommand({
          KeyId: KeyMetadata!.KeyId,
          WrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256',
          WrappingKeySpec: 'RSA_4096',
        }),
      );
      const wrongSize = await client
        .send(
          new ImportKeyMaterialCommand({
            KeyId: KeyMetadata!.KeyId,
            ImportToken: params.ImportToken,
            EncryptedKeyMaterial: opensslWrap(params.PublicKey!, 'RSA_AES_KEY_WRAP_SHA_256', keys.RSA_2048),
            ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
          }),
        )
        .catch((e: unknown) => e);
      expect(wrongSize).toBeInstanceOf(IncorrectKeyMaterialException);
      expect((wrongSize as Error).message).toBe(
        'The key material is not a valid RSA_4096 private key: its modulus is 2048 bits, not 4096.',
      );
      const imported = await client.send(
        new ImportKeyMaterialCommand({
          KeyId: KeyMetadata!.KeyId,
          ImportToken: params.ImportToken,
          EncryptedKeyMaterial: opensslWrap(params.PublicKey!, 'RSA_AES_KEY_WRAP_SHA_256', keys.RSA_4096),
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      );
      expect(imported.KeyMaterialId).toMatch(/^[0-9a-f]{64}$/);
      const pub = await client.send(new GetPublicKeyCommand({ KeyId: KeyMetadata!.KeyId }));
      expect(Buffer.from(pub.PublicKey!)).toEqual(Buffer.from(opensslPublicKey(keys.RSA_4096)));
      const message = utf8('through the SDK');
      const { Signature } = await client.send(
        new SignCommand({ KeyId: KeyMetadata!.KeyId, Message: message, SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' }),
      );
      expect(verify('sha256', message, spkiKey(pub.PublicKey!), Signature!)).toBe(true);
    },
    SLOW,
  );
});
