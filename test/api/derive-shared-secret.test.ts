// DeriveSharedSecret (ECDH with KEY_AGREEMENT keys): the secret equals what node:crypto derives on
// the other side, from kmsbox's GetPublicKey alone.
import { createECDH, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Kms, type KeySpec } from 'kmsbox';
import { rejects } from './helpers.js';

const CURVES: Array<[KeySpec, string]> = [
  ['ECC_NIST_P256', 'prime256v1'],
  ['ECC_NIST_P384', 'secp384r1'],
  ['ECC_NIST_P521', 'secp521r1'],
];

describe.each(CURVES)('DeriveSharedSecret with %s', (spec, curve) => {
  it('agrees with node:crypto on the other side', async () => {
    const kms = new Kms();
    const { KeyMetadata: md } = await kms.createKey({ KeySpec: spec, KeyUsage: 'KEY_AGREEMENT' });
    expect(md).toMatchObject({ KeyUsage: 'KEY_AGREEMENT', KeyAgreementAlgorithms: ['ECDH'] });
    const ours = await kms.getPublicKey({ KeyId: md!.KeyId });
    expect(ours.KeyAgreementAlgorithms).toEqual(['ECDH']);
    const peer = generateKeyPairSync('ec', { namedCurve: curve });
    const out = await kms.deriveSharedSecret({
      KeyId: md!.KeyId,
      KeyAgreementAlgorithm: 'ECDH',
      PublicKey: new Uint8Array(peer.publicKey.export({ type: 'spki', format: 'der' })),
    });
    expect([out.KeyId, out.KeyAgreementAlgorithm, out.KeyOrigin]).toEqual([md!.Arn, 'ECDH', 'AWS_KMS']);
    const theirs = diffieHellman({
      privateKey: peer.privateKey,
      publicKey: createPublicKey({ key: Buffer.from(ours.PublicKey!), format: 'der', type: 'spki' }),
    });
    expect(Buffer.from(out.SharedSecret!).equals(theirs)).toBe(true);
  });
});

describe('DeriveSharedSecret rules', () => {
  it('AWS answers: bad public keys, wrong usage, algorithm enum', async () => {
    const kms = new Kms();
    const p256 = (await kms.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' })).KeyMetadata!;
    const signing = (await kms.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!;
    const sym = (await kms.createKey()).KeyMetadata!;
    const otherCurve = new Uint8Array(
      generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'der' }),
    );
    const rsa = new Uint8Array(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' }));
    const rawPoint = new Uint8Array(createECDH('prime256v1').generateKeys());
    for (const PublicKey of [otherCurve, rsa, rawPoint, new Uint8Array([0x30, 0x03, 1, 2, 3])]) {
      await rejects(
        () => kms.deriveSharedSecret({ KeyId: p256.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey }),
        'ValidationException',
        "PublicKey is not a valid ECC_NIST_P256 public key (DER-encoded SubjectPublicKeyInfo on the key's curve).",
      );
    }
    const good = new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' }));
    await rejects(
      () => kms.deriveSharedSecret({ KeyId: signing.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: good }),
      'InvalidKeyUsageException',
      `${signing.Arn} key usage is SIGN_VERIFY which is not valid for DeriveSharedSecret.`,
    );
    await rejects(
      () => kms.deriveSharedSecret({ KeyId: sym.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: good }),
      'InvalidKeyUsageException',
      `${sym.Arn} key usage is ENCRYPT_DECRYPT which is not valid for DeriveSharedSecret.`,
    );
    await rejects(
      () => kms.deriveSharedSecret({ KeyId: p256.KeyId, KeyAgreementAlgorithm: 'INVALID' as never, PublicKey: good }),
      'ValidationException',
      "1 validation error detected: Value 'INVALID' at 'keyAgreementAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [ECDH]",
    );
    await rejects(
      () => kms.createKey({ KeySpec: 'RSA_2048', KeyUsage: 'KEY_AGREEMENT' }),
      'ValidationException',
      'KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048',
    );
    await rejects(
      () => kms.sign({ KeyId: p256.KeyId, Message: good, SigningAlgorithm: 'ECDSA_SHA_256' }),
      'InvalidKeyUsageException',
      `${p256.Arn} key usage is KEY_AGREEMENT which is not valid for Sign.`,
    );
  });
});
