// The portable asymmetric path (what browsers run: no node:crypto), called directly here in Node
// and checked against OpenSSL: the keys it makes are the PKCS#8/SPKI OpenSSL makes, OpenSSL verifies
// its signatures (RAW and DIGEST), decrypts its OAEP ciphertexts and derives its ECDH secrets; and it
// accepts what OpenSSL makes.
import * as nodeCrypto from 'node:crypto';
import { ed25519ph } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import type { KeySpec, SigningAlgorithmSpec } from 'kmsbox';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { readTlv, TAG, tlv, uintTlv } from '../../src/crypto/der.js';
import { parsePkcs8, parseSpki } from '../../src/crypto/key-der.js';
import { nodeCryptoBackend, webBackend } from '../../src/crypto/backend/index.js';
import { SIGNING } from '../../src/crypto/signatures.js';

const native = await nodeCryptoBackend!.asymmetric();
const portable = await webBackend.asymmetric();

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const hash = (name: string, m: Uint8Array): Uint8Array => new Uint8Array(nodeCrypto.createHash(name).update(m).digest());

/** OpenSSL's verification of a signature of `message` (for DIGEST signatures too: they sign the same thing). */
function opensslVerify(spki: Uint8Array, algorithm: SigningAlgorithmSpec, message: Uint8Array, signature: Uint8Array): boolean {
  const a = SIGNING[algorithm]!;
  const key = nodeCrypto.createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  switch (a.scheme) {
    case 'pss':
      return nodeCrypto.verify(
        a.hash,
        message,
        { key, padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: a.digestBytes },
        signature,
      );
    case 'pkcs1':
      return nodeCrypto.verify(a.hash, message, { key, padding: nodeCrypto.constants.RSA_PKCS1_PADDING }, signature);
    case 'ecdsa':
      return nodeCrypto.verify(a.hash, message, { key, dsaEncoding: 'der' }, signature);
    case 'ed25519':
      return nodeCrypto.verify(null, message, key, signature);
    case 'ed25519ph':
      // OpenSSL 3.0 (Node 20) has no Ed25519ph: @noble, on the digest KMS prehashes again.
      return ed25519ph.verify(signature, hash('sha512', message), spki.subarray(-32));
  }
}

const CASES: Array<[KeySpec, SigningAlgorithmSpec[]]> = [
  ['ECC_NIST_P256', ['ECDSA_SHA_256']],
  ['ECC_NIST_P384', ['ECDSA_SHA_384']],
  ['ECC_NIST_P521', ['ECDSA_SHA_512']],
  ['ECC_SECG_P256K1', ['ECDSA_SHA_256']],
  ['ECC_NIST_EDWARDS25519', ['ED25519_SHA_512', 'ED25519_PH_SHA_512']],
  [
    'RSA_2048',
    [
      'RSASSA_PSS_SHA_256',
      'RSASSA_PSS_SHA_384',
      'RSASSA_PSS_SHA_512',
      'RSASSA_PKCS1_V1_5_SHA_256',
      'RSASSA_PKCS1_V1_5_SHA_384',
      'RSASSA_PKCS1_V1_5_SHA_512',
    ],
  ],
  ['RSA_3072', ['RSASSA_PSS_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_256']],
];

const typesOf = (algorithm: SigningAlgorithmSpec): Array<'RAW' | 'DIGEST'> =>
  algorithm === 'ED25519_SHA_512' ? ['RAW'] : algorithm === 'ED25519_PH_SHA_512' ? ['DIGEST'] : ['RAW', 'DIGEST'];

describe.each(CASES)('portable %s', (spec, algorithms) => {
  it('generates the PKCS#8 OpenSSL writes, and the same SPKI', async () => {
    expect(portable.canGenerate(spec)).toBe(true);
    const pkcs8 = await portable.generatePrivateKey(spec);
    const key = nodeCrypto.createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
    expect(new Uint8Array(key.export({ type: 'pkcs8', format: 'der' }))).toEqual(pkcs8);
    expect(portable.publicKeyOf(pkcs8)).toEqual(new Uint8Array(nodeCrypto.createPublicKey(key).export({ type: 'spki', format: 'der' })));
    expect(portable.publicKeyOf(pkcs8)).toBe(portable.publicKeyOf(pkcs8)); // computed once per key
  });

  it.each(algorithms)(
    "%s: OpenSSL verifies its RAW and DIGEST signatures (RSA: RAW only, DIGEST signing refused); it verifies OpenSSL-made keys' signatures",
    async (algorithm) => {
      const a = SIGNING[algorithm]!;
      for (const pkcs8 of [await portable.generatePrivateKey(spec), await native.generatePrivateKey(spec)]) {
        const spki = portable.publicKeyOf(pkcs8);
        expect(spki).toEqual(native.publicKeyOf(pkcs8));
        for (let i = 0; i < (a.scheme === 'ecdsa' ? 8 : 2); i++) {
          const message = utf8(`message ${i} for ${algorithm}`);
          const digest = hash(a.hash, message);
          for (const type of typesOf(algorithm)) {
            const input = type === 'RAW' ? message : digest;
            const isRsa = a.scheme === 'pss' || a.scheme === 'pkcs1';
            if (isRsa && type === 'DIGEST') {
              // Refused: bigint RSA is not constant-time. Verifying the node path's DIGEST signature still works.
              await expect(portable.sign(pkcs8, algorithm, input, type)).rejects.toMatchObject({
                name: 'UnsupportedOperationException',
                message: `Without node:crypto, kmsbox signs RSA RAW messages only (WebCrypto cannot sign a precomputed digest, and bigint RSA is not constant-time), so not ${algorithm} with MessageType DIGEST. Use MessageType RAW.`,
              });
              const signature = await native.sign(pkcs8, algorithm, input, type);
              expect(await portable.verify(spki, algorithm, input, type, signature)).toBe(true);
              expect(await portable.verify(spki, algorithm, message, 'RAW', signature)).toBe(true);
              const bad = signature.slice();
              bad[bad.length >> 1]! ^= 0x10;
              expect(await portable.verify(spki, algorithm, input, type, bad)).toBe(false);
              continue;
            }
            const signature = await portable.sign(pkcs8, algorithm, input, type);
            expect(opensslVerify(spki, algorithm, message, signature), `${type} signature ${i}`).toBe(true);
            expect(await native.verify(spki, algorithm, input, type, signature)).toBe(true);
            expect(await portable.verify(spki, algorithm, input, type, signature)).toBe(true);
            // And the other way: the node path's signature, verified on the portable path.
            expect(await portable.verify(spki, algorithm, input, type, await native.sign(pkcs8, algorithm, input, type))).toBe(true);
            const bad = signature.slice();
            bad[bad.length >> 1]! ^= 0x10;
            expect(await portable.verify(spki, algorithm, input, type, bad)).toBe(false);
            expect(
              await portable.verify(
                spki,
                algorithm,
                input.map((b, j) => (j === 0 ? b ^ 1 : b)),
                type,
                signature,
              ),
            ).toBe(false);
          }
        }
      }
    },
  );
});

describe('portable RSA encryption (RSAES-OAEP by WebCrypto)', () => {
  it.each(['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] as const)(
    '%s: OpenSSL decrypts what it encrypts, and the other way',
    async (algorithm) => {
      const pkcs8 = await portable.generatePrivateKey('RSA_2048');
      const oaepHash = algorithm === 'RSAES_OAEP_SHA_1' ? 'sha1' : 'sha256';
      const privateKey = nodeCrypto.createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
      const plaintext = utf8('a small secret');
      const c1 = await portable.rsaEncrypt(pkcs8, algorithm, plaintext);
      expect(
        new Uint8Array(nodeCrypto.privateDecrypt({ key: privateKey, padding: nodeCrypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, c1)),
      ).toEqual(plaintext);
      const c2 = nodeCrypto.publicEncrypt(
        { key: nodeCrypto.createPublicKey(privateKey), padding: nodeCrypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash },
        plaintext,
      );
      expect(await portable.rsaDecrypt(pkcs8, algorithm, c2)).toEqual(plaintext);
      const bad = new Uint8Array(c2);
      bad[10]! ^= 1;
      expect(await portable.rsaDecrypt(pkcs8, algorithm, bad)).toBeUndefined();
      expect(await portable.rsaDecrypt(pkcs8, algorithm, new Uint8Array(3))).toBeUndefined();
      expect(
        await portable.rsaDecrypt(pkcs8, algorithm === 'RSAES_OAEP_SHA_1' ? 'RSAES_OAEP_SHA_256' : 'RSAES_OAEP_SHA_1', c2),
      ).toBeUndefined();
    },
  );
});

describe('portable ECDH', () => {
  it.each(['ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521'] as const)(
    '%s: the secret OpenSSL derives; unusable peer keys give undefined',
    async (spec) => {
      const mine = await portable.generatePrivateKey(spec);
      const peer = await native.generatePrivateKey(spec);
      const peerSpki = native.publicKeyOf(peer);
      const expected = new Uint8Array(
        nodeCrypto.diffieHellman({
          privateKey: nodeCrypto.createPrivateKey({ key: Buffer.from(peer), format: 'der', type: 'pkcs8' }),
          publicKey: nodeCrypto.createPublicKey({ key: Buffer.from(portable.publicKeyOf(mine)), format: 'der', type: 'spki' }),
        }),
      );
      expect(await portable.deriveSharedSecret(mine, peerSpki)).toEqual(expected);
      expect(await native.deriveSharedSecret(mine, peerSpki)).toEqual(expected);
      const otherCurve = native.publicKeyOf(await native.generatePrivateKey(spec === 'ECC_NIST_P256' ? 'ECC_NIST_P384' : 'ECC_NIST_P256'));
      expect(await portable.deriveSharedSecret(mine, otherCurve)).toBeUndefined();
      expect(
        await portable.deriveSharedSecret(mine, native.publicKeyOf(await native.generatePrivateKey('ECC_NIST_EDWARDS25519'))),
      ).toBeUndefined();
      expect(await portable.deriveSharedSecret(mine, peerSpki.subarray(0, peerSpki.length - 1))).toBeUndefined();
      const offCurve = peerSpki.slice();
      offCurve[offCurve.length - 1]! ^= 1;
      expect(await portable.deriveSharedSecret(mine, offCurve)).toBeUndefined();
    },
  );
});

describe('key DER', () => {
  it('reads what OpenSSL writes for every key type, and refuses malformed DER', async () => {
    for (const spec of ['RSA_2048', 'ECC_NIST_P384', 'ECC_SECG_P256K1', 'ECC_NIST_EDWARDS25519'] as const) {
      const pkcs8 = await native.generatePrivateKey(spec);
      expect(parsePkcs8(pkcs8).type).toBe(spec.startsWith('RSA') ? 'rsa' : spec === 'ECC_NIST_EDWARDS25519' ? 'ed25519' : 'ec');
      expect(parseSpki(native.publicKeyOf(pkcs8)).type).toBe(parsePkcs8(pkcs8).type);
      expect(() => parsePkcs8(new Uint8Array([...pkcs8, 0]))).toThrow(); // trailing bytes
      expect(() => parseSpki(pkcs8)).toThrow();
    }
    expect(() => readTlv(new Uint8Array([0x04, 0x81, 0x05, 1, 2, 3, 4, 5]))).toThrow(/non-minimal/);
    expect(() => readTlv(new Uint8Array([0x04, 0x05, 1]))).toThrow(/truncated/);
  });

  // ecdsaRawToDer was replaced by @noble/curves' Signature (issue #12 §8): the same bytes as
  // OpenSSL's DER for the same signature, checked here on every NIST curve.
  it.each([
    ['P-256', p256, 'prime256v1', 'sha256'],
    ['P-384', p384, 'secp384r1', 'sha384'],
    ['P-521', p521, 'secp521r1', 'sha512'],
  ] as const)("%s: noble's Signature turns IEEE P1363 r || s into exactly OpenSSL's DER, and back", (_, curve, namedCurve, digest) => {
    const { privateKey, publicKey } = nodeCrypto.generateKeyPairSync('ec', { namedCurve });
    let otherLength = 0;
    for (let i = 0; i < 64; i++) {
      const message = utf8(`m${i}`);
      const der = new Uint8Array(nodeCrypto.sign(digest, message, { key: privateKey, dsaEncoding: 'der' }));
      // OpenSSL's own DER -> r || s, through node:crypto: verify the P1363 form with node too.
      const raw = curve.Signature.fromBytes(der, 'der').toBytes('compact');
      expect(nodeCrypto.verify(digest, message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
      expect(curve.Signature.fromBytes(raw, 'compact').toBytes('der')).toEqual(der);
      // A P1363 signature made by OpenSSL, to DER by noble: OpenSSL verifies it as DER.
      const p1363 = new Uint8Array(nodeCrypto.sign(digest, message, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
      const fromRaw = curve.Signature.fromBytes(p1363, 'compact').toBytes('der');
      expect(nodeCrypto.verify(digest, message, { key: publicKey, dsaEncoding: 'der' }, fromRaw)).toBe(true);
      if (readTlv(readTlv(fromRaw).value).value.length !== p1363.length / 2) otherLength++;
    }
    expect(otherLength).toBeGreaterThan(0); // some r lost a leading zero or gained one for its top bit: not only the plain form
  });

  it('DER INTEGERs: leading zero bytes go, a set top bit gets a zero byte (the encoding der.ts writes)', () => {
    const raw = new Uint8Array(64);
    raw[31] = 0x7f; // r = 0x7f
    raw[32] = 0x80; // s = 0x80 00..00 01
    raw[63] = 1;
    const der = p256.Signature.fromBytes(raw, 'compact').toBytes('der');
    expect(der).toEqual(tlv(TAG.SEQUENCE, uintTlv(raw.subarray(0, 32)), uintTlv(raw.subarray(32))));
    expect(Array.from(der.subarray(0, 7))).toEqual([0x30, 0x26, 0x02, 0x01, 0x7f, 0x02, 0x21]);
    expect(der[7]).toBe(0);
  });
});
