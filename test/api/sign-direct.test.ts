// Sign and Verify on a provider whose `sign`/`verify` are SoftwareMaterialProvider's own call the
// backend synchronously (providers/software.ts `directSigner`, `signNow`, `verifyNow`): same
// signatures, same verdicts. A provider that overrides `sign` or `verify`, or an instance whose
// methods are replaced, is always called through them.
import { createPublicKey, verify as opensslVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Kms, MemoryProvider } from 'kmsbox';
import type { SignRequest } from '../../src/providers/types.js';

const message = new TextEncoder().encode('direct');

class CountingProvider extends MemoryProvider {
  signs = 0;
  verifies = 0;
  override sign(id: string, r: SignRequest): Promise<Uint8Array> {
    this.signs++;
    return super.sign(id, r);
  }
  override verify(id: string, r: SignRequest & { readonly signature: Uint8Array }): Promise<boolean> {
    this.verifies++;
    return super.verify(id, r);
  }
}

describe('Sign and Verify without a promise on node:crypto', () => {
  it('signatures OpenSSL verifies, and a wrong one refused, for ECDSA and Ed25519', async () => {
    const kms = new Kms();
    for (const [KeySpec, SigningAlgorithm, hash] of [
      ['ECC_NIST_P256', 'ECDSA_SHA_256', 'sha256'],
      ['ECC_NIST_EDWARDS25519', 'ED25519_SHA_512', null],
    ] as const) {
      const KeyId = (await kms.createKey({ KeySpec, KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!.KeyId!;
      const spki = createPublicKey({ key: Buffer.from((await kms.getPublicKey({ KeyId })).PublicKey!), format: 'der', type: 'spki' });
      for (let i = 0; i < 3; i++) {
        const { Signature } = await kms.sign({ KeyId, Message: message, SigningAlgorithm });
        expect(opensslVerify(hash, message, spki, Signature!)).toBe(true);
        expect((await kms.verify({ KeyId, Message: message, Signature, SigningAlgorithm })).SignatureValid).toBe(true);
        const wrong = Signature!.slice();
        wrong[wrong.length - 1]! ^= 1;
        await expect(kms.verify({ KeyId, Message: message, Signature: wrong, SigningAlgorithm })).rejects.toMatchObject({
          name: 'KMSInvalidSignatureException',
        });
      }
    }
  });

  it('a provider that overrides sign and verify is called through them, every time', async () => {
    const provider = new CountingProvider();
    const kms = new Kms({ provider });
    const KeyId = (await kms.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!.KeyId!;
    for (let i = 0; i < 3; i++) {
      const { Signature } = await kms.sign({ KeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' });
      await kms.verify({ KeyId, Message: message, Signature, SigningAlgorithm: 'ECDSA_SHA_256' });
    }
    expect([provider.signs, provider.verifies]).toEqual([3, 3]);
  });

  it('an instance whose sign and verify are replaced is called through them', async () => {
    const provider = new MemoryProvider();
    const kms = new Kms({ provider });
    const KeyId = (await kms.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!.KeyId!;
    const fixed = new Uint8Array([1, 2, 3]);
    provider.sign = async () => fixed;
    provider.verify = async () => false;
    expect((await kms.sign({ KeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' })).Signature).toEqual(fixed);
    await expect(kms.verify({ KeyId, Message: message, Signature: fixed, SigningAlgorithm: 'ECDSA_SHA_256' })).rejects.toMatchObject({
      name: 'KMSInvalidSignatureException',
    });
  });
});
