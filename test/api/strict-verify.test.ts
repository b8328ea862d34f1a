// Verification as strict on the node path as on the portable (browser) path and in OpenSSL:
// Ed25519ph under RFC 8032 (not ZIP-215), RSA PKCS#1 v1.5 signatures of exactly the modulus
// length, and EC peer keys in compressed or uncompressed form only (RFC 5480: no hybrid form).
import { createHash, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { Kms, MemoryProvider } from 'kmsbox';
import { ecSpki } from '../../src/crypto/key-der.js';
import { utf8 } from './helpers.js';

/** Test-only: a provider that shows the test the private key it created, to build edge-case signatures. */
class SeeingProvider extends MemoryProvider {
  last = '';
  override async createMaterial(...args: Parameters<MemoryProvider['createMaterial']>): Promise<string> {
    return (this.last = await super.createMaterial(...args));
  }
  lastPkcs8(): Uint8Array {
    return (this as unknown as { findMaterial(id: string): { bytes: Uint8Array } }).findMaterial(this.last).bytes;
  }
}

const le = (b: Uint8Array) => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);
const toLE = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));

describe('strict verification on every path', () => {
  it('ED25519_PH_SHA_512: a signature whose R is a non-canonical encoding is invalid (RFC 8032), as for ED25519_SHA_512', async () => {
    const provider = new SeeingProvider();
    const kms = new Kms({ provider });
    const { KeyId } = (await kms.createKey({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!;
    const pkcs8 = provider.lastPkcs8();
    const { scalar, pointBytes: A } = ed25519.utils.getExtendedPublicKey(pkcs8.slice(pkcs8.length - 32));
    const L = ed25519.Point.Fn.ORDER;
    const digest = sha512(utf8('message'));
    // R = the identity point written with x = 0 and the sign bit set: ZIP-215 accepts it, RFC 8032 does not.
    const R = new Uint8Array(32);
    R[0] = 1;
    R[31] = 0x80;
    const dom = new Uint8Array([...utf8('SigEd25519 no Ed25519 collisions'), 1, 0]);
    const k = le(sha512(new Uint8Array([...dom, ...R, ...A, ...sha512(digest)]))) % L;
    const forged = new Uint8Array([...R, ...toLE((k * scalar) % L)]);
    await expect(
      kms.verify({ KeyId, Message: digest, MessageType: 'DIGEST', Signature: forged, SigningAlgorithm: 'ED25519_PH_SHA_512' }),
    ).rejects.toMatchObject({ name: 'KMSInvalidSignatureException' });
    // The genuine signature still verifies.
    const { Signature } = await kms.sign({ KeyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ED25519_PH_SHA_512' });
    expect(
      (await kms.verify({ KeyId, Message: digest, MessageType: 'DIGEST', Signature, SigningAlgorithm: 'ED25519_PH_SHA_512' }))
        .SignatureValid,
    ).toBe(true);
  });

  it('RSASSA_PKCS1_V1_5 with MessageType DIGEST: a signature one byte short (leading zero dropped) is invalid', async () => {
    const kms = new Kms();
    const { KeyId } = (await kms.createKey({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!;
    let message: Uint8Array;
    let signature: Uint8Array;
    let i = 0;
    do {
      message = utf8(`message ${i++}`);
      signature = (await kms.sign({ KeyId, Message: message, SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' })).Signature!;
    } while (signature[0] !== 0); // about 1 in 256
    const short = signature.subarray(1);
    const digest = new Uint8Array(createHash('sha256').update(message).digest());
    for (const input of [{ Message: message }, { Message: digest, MessageType: 'DIGEST' as const }]) {
      await expect(kms.verify({ KeyId, ...input, Signature: short, SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' })).rejects.toMatchObject({
        name: 'KMSInvalidSignatureException',
      });
      expect(
        (await kms.verify({ KeyId, ...input, Signature: signature, SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' })).SignatureValid,
      ).toBe(true);
    }
  });

  it('DeriveSharedSecret: a peer key in the hybrid form (06/07) is a ValidationException; compressed and uncompressed work', async () => {
    const kms = new Kms();
    const { KeyId } = (await kms.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' })).KeyMetadata!;
    const peer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const spki = new Uint8Array(peer.publicKey.export({ type: 'spki', format: 'der' }));
    const ours = (await kms.getPublicKey({ KeyId })).PublicKey!;
    const expected = diffieHellman({
      privateKey: peer.privateKey,
      publicKey: (await import('node:crypto')).createPublicKey({ key: Buffer.from(ours), format: 'der', type: 'spki' }),
    });
    const derive = (PublicKey: Uint8Array) => kms.deriveSharedSecret({ KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey });
    expect(Buffer.from((await derive(spki)).SharedSecret!)).toEqual(expected);
    const point = spki.subarray(spki.length - 65);
    const compressed = ecSpki('P-256', p256.Point.fromBytes(point).toBytes(true));
    expect(Buffer.from((await derive(compressed)).SharedSecret!)).toEqual(expected);
    const hybrid = spki.slice();
    hybrid[spki.length - 65] = 0x06 | (spki[spki.length - 1]! & 1);
    await expect(derive(hybrid)).rejects.toMatchObject({ name: 'ValidationException' });
  });
});
