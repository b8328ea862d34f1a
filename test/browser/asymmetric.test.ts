// Runs in Chromium: asymmetric KMS keys with no node:crypto. `new Kms()` (MemoryProvider) takes
// the portable path (@noble/curves, WebCrypto, bigint RSA); WebCryptoProvider holds non-extractable
// CryptoKeys. Every signature is also checked outside kmsbox: WebCrypto on the GetPublicKey SPKI
// where WebCrypto has the algorithm, @noble otherwise.
import { ed25519ph } from '@noble/curves/ed25519.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { describe, expect, it } from 'vitest';
import { Kms, WebCryptoProvider, type DataKeyPairSpec, type KeySpec, type MessageType, type SigningAlgorithmSpec } from 'kmsbox';
import { asymmetricBackend } from '../../src/crypto/asymmetric.js';
import { rejects, utf8 } from '../api/helpers.js';

const subtle = crypto.subtle;
const digestOf = async (hash: string, m: Uint8Array): Promise<Uint8Array> => new Uint8Array(await subtle.digest(hash, m as BufferSource));
const CURVES = { 'P-256': p256, 'P-384': p384, 'P-521': p521 } as const;

interface Case {
  spec: KeySpec;
  algorithm: SigningAlgorithmSpec;
  hash: 'SHA-256' | 'SHA-384' | 'SHA-512';
  types: MessageType[];
  /** How an outside party checks a signature of `message` with the SPKI. */
  check: (spki: Uint8Array, message: Uint8Array, signature: Uint8Array) => Promise<boolean>;
}

/** WebCrypto's verify on the imported SPKI. */
const web =
  (
    algorithm: Algorithm & Record<string, unknown>,
    verifyParams: Algorithm & Record<string, unknown> = algorithm,
    toRaw?: (sig: Uint8Array) => Uint8Array,
  ) =>
  async (spki: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> => {
    const key = await subtle.importKey('spki', spki as BufferSource, algorithm, false, ['verify']);
    return subtle.verify(verifyParams, key, (toRaw ? toRaw(signature) : signature) as BufferSource, message as BufferSource);
  };
/** KMS's DER ECDSA signature as WebCrypto's r || s. */
const derToRaw = (curve: keyof typeof CURVES) => (der: Uint8Array) => CURVES[curve].Signature.fromBytes(der, 'der').toBytes('compact');
const ecdsa = (curve: keyof typeof CURVES, hash: string) =>
  web({ name: 'ECDSA', namedCurve: curve }, { name: 'ECDSA', hash }, derToRaw(curve));
const pss = (hash: string, saltLength: number) => web({ name: 'RSA-PSS', hash }, { name: 'RSA-PSS', saltLength });
const pkcs1 = (hash: string) => web({ name: 'RSASSA-PKCS1-v1_5', hash });

const CASES: Case[] = [
  { spec: 'ECC_NIST_P256', algorithm: 'ECDSA_SHA_256', hash: 'SHA-256', types: ['RAW', 'DIGEST'], check: ecdsa('P-256', 'SHA-256') },
  { spec: 'ECC_NIST_P384', algorithm: 'ECDSA_SHA_384', hash: 'SHA-384', types: ['RAW', 'DIGEST'], check: ecdsa('P-384', 'SHA-384') },
  { spec: 'ECC_NIST_P521', algorithm: 'ECDSA_SHA_512', hash: 'SHA-512', types: ['RAW', 'DIGEST'], check: ecdsa('P-521', 'SHA-512') },
  {
    spec: 'ECC_SECG_P256K1',
    algorithm: 'ECDSA_SHA_256',
    hash: 'SHA-256',
    types: ['RAW', 'DIGEST'],
    // WebCrypto has no secp256k1: @noble checks it.
    check: async (spki, m, sig) =>
      secp256k1.verify(sig, await digestOf('SHA-256', m), spki.subarray(-65), { prehash: false, lowS: false, format: 'der' }),
  },
  { spec: 'ECC_NIST_EDWARDS25519', algorithm: 'ED25519_SHA_512', hash: 'SHA-512', types: ['RAW'], check: web({ name: 'Ed25519' }) },
  {
    spec: 'ECC_NIST_EDWARDS25519',
    algorithm: 'ED25519_PH_SHA_512',
    hash: 'SHA-512',
    types: ['DIGEST'],
    // KMS applies Ed25519ph to the SHA-512 digest it is given; WebCrypto has no Ed25519ph.
    check: async (spki, m, sig) => ed25519ph.verify(sig, await digestOf('SHA-512', m), spki.subarray(-32)),
  },
  { spec: 'RSA_2048', algorithm: 'RSASSA_PSS_SHA_256', hash: 'SHA-256', types: ['RAW', 'DIGEST'], check: pss('SHA-256', 32) },
  { spec: 'RSA_2048', algorithm: 'RSASSA_PSS_SHA_384', hash: 'SHA-384', types: ['RAW', 'DIGEST'], check: pss('SHA-384', 48) },
  { spec: 'RSA_3072', algorithm: 'RSASSA_PSS_SHA_512', hash: 'SHA-512', types: ['RAW', 'DIGEST'], check: pss('SHA-512', 64) },
  { spec: 'RSA_2048', algorithm: 'RSASSA_PKCS1_V1_5_SHA_256', hash: 'SHA-256', types: ['RAW', 'DIGEST'], check: pkcs1('SHA-256') },
  { spec: 'RSA_3072', algorithm: 'RSASSA_PKCS1_V1_5_SHA_384', hash: 'SHA-384', types: ['RAW', 'DIGEST'], check: pkcs1('SHA-384') },
  { spec: 'RSA_4096', algorithm: 'RSASSA_PKCS1_V1_5_SHA_512', hash: 'SHA-512', types: ['RAW', 'DIGEST'], check: pkcs1('SHA-512') },
];

const ML_DSA = { ML_DSA_44: ml_dsa44, ML_DSA_65: ml_dsa65, ML_DSA_87: ml_dsa87 } as const;

const PROVIDERS = [
  ['MemoryProvider (portable path)', () => new Kms()],
  ['WebCryptoProvider', () => new Kms({ provider: new WebCryptoProvider() })],
] as const;

const flip = (b: Uint8Array, bit: number): Uint8Array => {
  const out = b.slice();
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
};

it('runs without node:crypto, on the portable path', () => {
  expect((globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node).toBeUndefined();
  expect(asymmetricBackend).toBe('portable');
});

describe.each(PROVIDERS)('%s: Sign, Verify, GetPublicKey', (providerName, makeKms) => {
  const isWebCrypto = providerName === 'WebCryptoProvider';
  const keys = new Map<KeySpec, Promise<string>>();
  const kms = makeKms();
  const keyFor = (spec: KeySpec): Promise<string> => {
    if (!keys.has(spec))
      keys.set(
        spec,
        kms.createKey({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY' }).then((r) => r.KeyMetadata!.KeyId!),
      );
    return keys.get(spec)!;
  };

  it.each(CASES.filter((c) => !(isWebCrypto && c.spec === 'ECC_SECG_P256K1')).map((c) => [c.algorithm, c.spec, c] as const))(
    '%s on %s',
    async (_, spec, c) => {
      const KeyId = await keyFor(spec);
      const { PublicKey, SigningAlgorithms } = await kms.getPublicKey({ KeyId });
      expect(SigningAlgorithms).toContain(c.algorithm);
      const message = utf8(`sign me with ${c.algorithm}`);
      const digest = await digestOf(c.hash, message);
      for (const MessageType of c.types) {
        const Message = MessageType === 'DIGEST' ? digest : message;
        if (isWebCrypto && MessageType === 'DIGEST') {
          // WebCrypto cannot sign a given digest with a non-extractable key.
          await rejects(
            () => kms.sign({ KeyId, Message, MessageType, SigningAlgorithm: c.algorithm }),
            'UnsupportedOperationException',
            /RAW messages only/,
          );
          continue;
        }
        if (spec.startsWith('RSA_') && MessageType === 'DIGEST') {
          // The portable path refuses it too: bigint RSA is not constant-time (crypto/backend/portable-asymmetric.ts).
          await rejects(
            () => kms.sign({ KeyId, Message, MessageType, SigningAlgorithm: c.algorithm }),
            'UnsupportedOperationException',
            /signs RSA RAW messages only .*not constant-time/,
          );
          continue;
        }
        const { Signature } = await kms.sign({ KeyId, Message, MessageType, SigningAlgorithm: c.algorithm });
        expect(await c.check(PublicKey!, message, Signature!), `${MessageType}: the SPKI verifies the signature`).toBe(true);
        expect((await kms.verify({ KeyId, Message, MessageType, Signature, SigningAlgorithm: c.algorithm })).SignatureValid).toBe(true);
        // A DIGEST signature is the RAW signature of the message, and the other way round.
        if (c.types.length === 2) {
          const Other = MessageType === 'RAW' ? digest : message;
          expect(
            (
              await kms.verify({
                KeyId,
                Message: Other,
                MessageType: MessageType === 'RAW' ? 'DIGEST' : 'RAW',
                Signature,
                SigningAlgorithm: c.algorithm,
              })
            ).SignatureValid,
          ).toBe(true);
        }
        for (const bit of [0, 7, Signature!.length * 4 + 3, Signature!.length * 8 - 1]) {
          await rejects(
            () => kms.verify({ KeyId, Message, MessageType, Signature: flip(Signature!, bit), SigningAlgorithm: c.algorithm }),
            'KMSInvalidSignatureException',
          );
        }
        await rejects(
          () => kms.verify({ KeyId, Message: flip(Message, 5), MessageType, Signature, SigningAlgorithm: c.algorithm }),
          'KMSInvalidSignatureException',
        );
      }
    },
    60_000,
  );

  it.each(Object.keys(ML_DSA) as Array<keyof typeof ML_DSA>)('ML_DSA_SHAKE_256 on %s (MemoryProvider only)', async (spec) => {
    if (isWebCrypto) {
      await rejects(() => kms.createKey({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY' }), 'UnsupportedOperationException');
      return;
    }
    const KeyId = await keyFor(spec);
    const { PublicKey } = await kms.getPublicKey({ KeyId });
    const Message = utf8('post-quantum');
    const { Signature } = await kms.sign({ KeyId, Message, SigningAlgorithm: 'ML_DSA_SHAKE_256' });
    const pk = PublicKey!.subarray(PublicKey!.length - ML_DSA[spec].lengths.publicKey!);
    expect(ML_DSA[spec].verify(Signature!, Message, pk)).toBe(true);
    expect((await kms.verify({ KeyId, Message, Signature, SigningAlgorithm: 'ML_DSA_SHAKE_256' })).SignatureValid).toBe(true);
    await rejects(
      () => kms.verify({ KeyId, Message, Signature: flip(Signature!, 100), SigningAlgorithm: 'ML_DSA_SHAKE_256' }),
      'KMSInvalidSignatureException',
    );
  });

  it('secp256k1 is held by the memory provider only (WebCrypto has no secp256k1)', async () => {
    if (isWebCrypto)
      await rejects(() => kms.createKey({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY' }), 'UnsupportedOperationException');
    else expect(await keyFor('ECC_SECG_P256K1')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe.each(PROVIDERS)('%s: RSA encryption and ECDH', (_, makeKms) => {
  const kms = makeKms();

  it.each(['RSA_2048', 'RSA_3072'] as const)(
    '%s: Encrypt/Decrypt with RSAES_OAEP_SHA_1 and _SHA_256, and WebCrypto encrypting to the public key',
    async (spec) => {
      const { KeyMetadata } = await kms.createKey({ KeySpec: spec, KeyUsage: 'ENCRYPT_DECRYPT' });
      const KeyId = KeyMetadata!.KeyId!;
      const { PublicKey } = await kms.getPublicKey({ KeyId });
      for (const [EncryptionAlgorithm, hash] of [
        ['RSAES_OAEP_SHA_1', 'SHA-1'],
        ['RSAES_OAEP_SHA_256', 'SHA-256'],
      ] as const) {
        const Plaintext = utf8(`secret for ${EncryptionAlgorithm}`);
        const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext, EncryptionAlgorithm });
        expect((await kms.decrypt({ KeyId, CiphertextBlob, EncryptionAlgorithm })).Plaintext).toEqual(Plaintext);
        // Encrypted outside kmsbox, with only the public key.
        const pub = await subtle.importKey('spki', PublicKey! as BufferSource, { name: 'RSA-OAEP', hash }, false, ['encrypt']);
        const outside = new Uint8Array(await subtle.encrypt({ name: 'RSA-OAEP' }, pub, Plaintext as BufferSource));
        expect((await kms.decrypt({ KeyId, CiphertextBlob: outside, EncryptionAlgorithm })).Plaintext).toEqual(Plaintext);
        await rejects(() => kms.decrypt({ KeyId, CiphertextBlob: flip(outside, 77), EncryptionAlgorithm }), 'InvalidCiphertextException');
        const other = EncryptionAlgorithm === 'RSAES_OAEP_SHA_1' ? 'RSAES_OAEP_SHA_256' : 'RSAES_OAEP_SHA_1';
        await rejects(() => kms.decrypt({ KeyId, CiphertextBlob: outside, EncryptionAlgorithm: other }), 'InvalidCiphertextException');
      }
    },
  );

  it.each(['P-256', 'P-384', 'P-521'] as const)(
    'ECDH on %s: DeriveSharedSecret equals WebCrypto deriveBits on the other side',
    async (curve) => {
      const spec = `ECC_NIST_P${curve.slice(2)}` as KeySpec;
      const { KeyMetadata } = await kms.createKey({ KeySpec: spec, KeyUsage: 'KEY_AGREEMENT' });
      const KeyId = KeyMetadata!.KeyId!;
      const peer = (await subtle.generateKey({ name: 'ECDH', namedCurve: curve }, false, ['deriveBits'])) as CryptoKeyPair;
      const peerSpki = new Uint8Array(await subtle.exportKey('spki', peer.publicKey));
      const { SharedSecret } = await kms.deriveSharedSecret({ KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: peerSpki });
      const { PublicKey } = await kms.getPublicKey({ KeyId });
      const kmsPublic = await subtle.importKey('spki', PublicKey! as BufferSource, { name: 'ECDH', namedCurve: curve }, false, []);
      const expected = new Uint8Array(
        await subtle.deriveBits({ name: 'ECDH', public: kmsPublic }, peer.privateKey, curve === 'P-521' ? 528 : Number(curve.slice(2))),
      );
      expect(SharedSecret).toEqual(expected);
      // A public key on another curve, or not a public key at all, is refused.
      const wrongCurve = curve === 'P-256' ? 'P-384' : 'P-256';
      const other = (await subtle.generateKey({ name: 'ECDH', namedCurve: wrongCurve }, true, ['deriveBits'])) as CryptoKeyPair;
      const otherSpki = new Uint8Array(await subtle.exportKey('spki', other.publicKey));
      await rejects(() => kms.deriveSharedSecret({ KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: otherSpki }), 'ValidationException');
      await rejects(
        () => kms.deriveSharedSecret({ KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: peerSpki.subarray(0, 40) }),
        'ValidationException',
      );
    },
  );
});

describe('GenerateDataKeyPair without node:crypto', () => {
  const PAIRS: Array<
    [DataKeyPairSpec, (Algorithm & Record<string, unknown>) | undefined, (Algorithm & Record<string, unknown>) | undefined]
  > = [
    ['ECC_NIST_P256', { name: 'ECDSA', namedCurve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' }],
    ['ECC_NIST_P384', { name: 'ECDSA', namedCurve: 'P-384' }, { name: 'ECDSA', hash: 'SHA-384' }],
    ['ECC_NIST_P521', { name: 'ECDSA', namedCurve: 'P-521' }, { name: 'ECDSA', hash: 'SHA-512' }],
    ['ECC_NIST_EDWARDS25519', { name: 'Ed25519' }, { name: 'Ed25519' }],
    ['RSA_2048', { name: 'RSA-PSS', hash: 'SHA-256' }, { name: 'RSA-PSS', saltLength: 32 }],
    ['ECC_SECG_P256K1', undefined, undefined],
  ];

  it.each(PAIRS)(
    '%s: the PKCS#8 private key (sealed and in plaintext) signs what the public key verifies',
    async (KeyPairSpec, importParams, signParams) => {
      for (const provider of [undefined, new WebCryptoProvider()]) {
        const kms = new Kms(provider === undefined ? {} : { provider });
        const { KeyMetadata } = await kms.createKey();
        const KeyId = KeyMetadata!.KeyId!;
        const pair = await kms.generateDataKeyPair({ KeyId, KeyPairSpec, EncryptionContext: { purpose: 'test' } });
        expect(pair.KeyPairSpec).toBe(KeyPairSpec);
        expect(
          (await kms.decrypt({ CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext: { purpose: 'test' } })).Plaintext,
        ).toEqual(pair.PrivateKeyPlaintext);
        const message = utf8('data key pair');
        if (importParams === undefined) {
          // secp256k1: @noble, with the secret scalar read from the PKCS#8 (OpenSSL's layout puts it at bytes 33..64).
          const der = pair.PrivateKeyPlaintext!;
          expect(der.subarray(28, 33)).toEqual(new Uint8Array([0x02, 0x01, 0x01, 0x04, 0x20]));
          const d = der.subarray(33, 65);
          expect(pair.PublicKey!.subarray(-65)).toEqual(secp256k1.getPublicKey(d, false));
          continue;
        }
        const privateKey = await subtle.importKey('pkcs8', pair.PrivateKeyPlaintext! as BufferSource, importParams, false, ['sign']);
        const publicKey = await subtle.importKey('spki', pair.PublicKey! as BufferSource, importParams, false, ['verify']);
        const signature = await subtle.sign(signParams!, privateKey, message as BufferSource);
        expect(await subtle.verify(signParams!, publicKey, signature, message as BufferSource)).toBe(true);
      }
    },
  );
});

describe('WebCryptoProvider key pairs', () => {
  it('are non-extractable CryptoKeys, also across a reload from IndexedDB', async () => {
    const indexedDbName = `kmsbox-asym-${crypto.randomUUID()}`;
    const first = new Kms({ provider: new WebCryptoProvider({ indexedDbName }) });
    const specs = [
      ['ECC_NIST_P256', 'SIGN_VERIFY'],
      ['ECC_NIST_P384', 'KEY_AGREEMENT'],
      ['ECC_NIST_EDWARDS25519', 'SIGN_VERIFY'],
      ['RSA_2048', 'ENCRYPT_DECRYPT'],
    ] as const;
    const ids: string[] = [];
    for (const [KeySpec, KeyUsage] of specs) ids.push((await first.createKey({ KeySpec, KeyUsage })).KeyMetadata!.KeyId!);
    const Message = utf8('after a reload');
    const { Signature } = await first.sign({ KeyId: ids[0]!, Message, SigningAlgorithm: 'ECDSA_SHA_256' });
    const { CiphertextBlob } = await first.encrypt({ KeyId: ids[3]!, Plaintext: Message, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' });

    const second = new Kms({ provider: new WebCryptoProvider({ indexedDbName }) });
    expect((await second.verify({ KeyId: ids[0]!, Message, Signature, SigningAlgorithm: 'ECDSA_SHA_256' })).SignatureValid).toBe(true);
    const { Signature: ed } = await second.sign({ KeyId: ids[2]!, Message, SigningAlgorithm: 'ED25519_SHA_512' });
    expect((await first.verify({ KeyId: ids[2]!, Message, Signature: ed, SigningAlgorithm: 'ED25519_SHA_512' })).SignatureValid).toBe(true);
    expect((await second.decrypt({ KeyId: ids[3]!, CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })).Plaintext).toEqual(
      Message,
    );
    expect((await second.getPublicKey({ KeyId: ids[1]! })).PublicKey).toEqual((await first.getPublicKey({ KeyId: ids[1]! })).PublicKey);

    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open(indexedDbName);
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const stored = await new Promise<Array<{ spec: string; keys: Record<string, CryptoKey> }>>((resolve, reject) => {
      const r = db.transaction('keys').objectStore('keys').getAll();
      r.onsuccess = () => resolve(r.result as Array<{ spec: string; keys: Record<string, CryptoKey> }>);
      r.onerror = () => reject(r.error);
    });
    db.close();
    const byName = Object.fromEntries(stored.map((s) => [s.spec, Object.keys(s.keys).sort()]));
    // Only the CryptoKeys of the key's usage: one generated non-extractable for EC, one per OAEP hash for RSA.
    expect(byName).toEqual({
      ECC_NIST_P256: ['ECDSA'],
      ECC_NIST_P384: ['ECDH'],
      ECC_NIST_EDWARDS25519: ['Ed25519'],
      RSA_2048: ['RSA-OAEP/SHA-1', 'RSA-OAEP/SHA-256'],
    });
    for (const s of stored) {
      for (const key of Object.values(s.keys)) {
        expect(key).toBeInstanceOf(CryptoKey);
        expect(key.type).toBe('private');
        expect(key.extractable).toBe(false);
        await expect(subtle.exportKey('pkcs8', key)).rejects.toThrow();
      }
    }
  });
});
