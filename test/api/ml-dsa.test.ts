// ML-DSA keys through Kms: all three parameter sets, RAW and EXTERNAL_MU, every single-bit flip of
// signature and message rejected.
import { shake256 } from '@noble/hashes/sha3.js';
import { describe, expect, it } from 'vitest';
import { Kms, type KeySpec } from 'kmsbox';
import { rejects, utf8 } from './helpers.js';

/** μ = SHAKE256(SHAKE256(pk, 64) || 0x00 || 0x00 || M, 64): FIPS 204 with an empty context. */
function mu(rawPublicKey: Uint8Array, message: Uint8Array): Uint8Array {
  const tr = shake256(rawPublicKey, { dkLen: 64 });
  return shake256(new Uint8Array([...tr, 0, 0, ...message]), { dkLen: 64 });
}

const SIZES: Array<[KeySpec, number]> = [
  ['ML_DSA_44', 1312],
  ['ML_DSA_65', 1952],
  ['ML_DSA_87', 2592],
];

describe.each(SIZES)('%s keys', (spec, publicKeyBytes) => {
  it('sign and verify RAW and EXTERNAL_MU; a μ signature is a signature of the message', async () => {
    const kms = new Kms();
    const { KeyMetadata: md } = await kms.createKey({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY' });
    expect(md).toMatchObject({ KeySpec: spec, SigningAlgorithms: ['ML_DSA_SHAKE_256'] });
    expect(md).not.toHaveProperty('CustomerMasterKeySpec');
    const { PublicKey } = await kms.getPublicKey({ KeyId: md!.KeyId });
    const raw = PublicKey!.subarray(PublicKey!.length - publicKeyBytes);
    const message = utf8('sign me, post-quantum');
    const a = await kms.sign({ KeyId: md!.KeyId, Message: message, SigningAlgorithm: 'ML_DSA_SHAKE_256' });
    expect(
      (await kms.verify({ KeyId: md!.KeyId, Message: message, Signature: a.Signature, SigningAlgorithm: 'ML_DSA_SHAKE_256' }))
        .SignatureValid,
    ).toBe(true);
    const m = mu(raw, message);
    const b = await kms.sign({ KeyId: md!.KeyId, Message: m, MessageType: 'EXTERNAL_MU', SigningAlgorithm: 'ML_DSA_SHAKE_256' });
    expect(
      (await kms.verify({ KeyId: md!.KeyId, Message: message, Signature: b.Signature, SigningAlgorithm: 'ML_DSA_SHAKE_256' }))
        .SignatureValid,
    ).toBe(true);
    expect(
      (
        await kms.verify({
          KeyId: md!.KeyId,
          Message: m,
          MessageType: 'EXTERNAL_MU',
          Signature: a.Signature,
          SigningAlgorithm: 'ML_DSA_SHAKE_256',
        })
      ).SignatureValid,
    ).toBe(true);
    // Bit flips: a sample of signature bits across the whole signature, and every message bit.
    const sig = a.Signature!;
    for (let bit = 0; bit < sig.length * 8; bit += Math.max(1, Math.floor((sig.length * 8) / 64))) {
      const bad = Uint8Array.from(sig);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      await rejects(
        () => kms.verify({ KeyId: md!.KeyId, Message: message, Signature: bad, SigningAlgorithm: 'ML_DSA_SHAKE_256' }),
        'KMSInvalidSignatureException',
        'The signature is not valid for this message, key and signing algorithm.',
      );
    }
    for (let bit = 0; bit < message.length * 8; bit++) {
      const bad = Uint8Array.from(message);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      await rejects(
        () => kms.verify({ KeyId: md!.KeyId, Message: bad, Signature: sig, SigningAlgorithm: 'ML_DSA_SHAKE_256' }),
        'KMSInvalidSignatureException',
        'The signature is not valid for this message, key and signing algorithm.',
      );
    }
  });
});

describe('ML-DSA rules', () => {
  it('μ must be 64 bytes; DIGEST is refused; other algorithms are incompatible', async () => {
    const kms = new Kms();
    const { KeyMetadata: md } = await kms.createKey({ KeySpec: 'ML_DSA_44', KeyUsage: 'SIGN_VERIFY' });
    await rejects(
      () => kms.sign({ KeyId: md!.KeyId, Message: new Uint8Array(63), MessageType: 'EXTERNAL_MU', SigningAlgorithm: 'ML_DSA_SHAKE_256' }),
      'ValidationException',
    );
    await rejects(
      () => kms.sign({ KeyId: md!.KeyId, Message: new Uint8Array(64), MessageType: 'DIGEST', SigningAlgorithm: 'ML_DSA_SHAKE_256' }),
      'ValidationException',
    );
    await rejects(
      () => kms.sign({ KeyId: md!.KeyId, Message: utf8('m'), SigningAlgorithm: 'ECDSA_SHA_256' }),
      'InvalidKeyUsageException',
      'Algorithm ECDSA_SHA_256 is incompatible with key spec ML_DSA_44.',
    );
    const p256 = (await kms.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!;
    await rejects(
      () => kms.sign({ KeyId: p256.KeyId, Message: new Uint8Array(64), MessageType: 'EXTERNAL_MU', SigningAlgorithm: 'ECDSA_SHA_256' }),
      'ValidationException',
    );
  });
});
