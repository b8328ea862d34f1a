// GenerateDataKeyPair(WithoutPlaintext): node:crypto loads both halves and they match; the sealed
// private key decrypts (with the context) to the same PKCS#8; wrong context fails.
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Kms, type DataKeyPairSpec } from 'kmsbox';
import { newStore } from '../providers/file-fixtures.js';
import { rejects, utf8 } from './helpers.js';

const SPECS: DataKeyPairSpec[] = [
  'RSA_2048',
  'RSA_3072',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'ECC_NIST_EDWARDS25519',
];

describe('GenerateDataKeyPair', () => {
  it.each(SPECS)('%s: PKCS#8 private key and SPKI public key that node:crypto loads and that match', async (KeyPairSpec) => {
    const kms = new Kms();
    const { KeyMetadata: md } = await kms.createKey();
    const ctx = { purpose: 'data key pair' };
    const out = await kms.generateDataKeyPair({ KeyId: md!.KeyId, KeyPairSpec, EncryptionContext: ctx });
    expect([out.KeyId, out.KeyPairSpec, out.KeyMaterialId]).toEqual([md!.Arn, KeyPairSpec, md!.CurrentKeyMaterialId]);
    const priv = createPrivateKey({ key: Buffer.from(out.PrivateKeyPlaintext!), format: 'der', type: 'pkcs8' });
    const pub = createPublicKey({ key: Buffer.from(out.PublicKey!), format: 'der', type: 'spki' });
    expect(createPublicKey(priv).export({ type: 'spki', format: 'der' }).equals(Buffer.from(out.PublicKey!))).toBe(true);
    const hash = KeyPairSpec === 'ECC_NIST_EDWARDS25519' ? null : 'sha256';
    expect(verify(hash, Buffer.from('m'), pub, sign(hash, Buffer.from('m'), priv))).toBe(true);
    const { Plaintext } = await kms.decrypt({ CiphertextBlob: out.PrivateKeyCiphertextBlob, EncryptionContext: ctx });
    expect(Plaintext).toEqual(out.PrivateKeyPlaintext);
    await rejects(
      () => kms.decrypt({ CiphertextBlob: out.PrivateKeyCiphertextBlob }),
      'InvalidCiphertextException',
      'The ciphertext is not valid for this key and encryption context, or it was altered.',
    );
  });

  it('WithoutPlaintext returns the public key and the sealed private key only; the pair matches', async () => {
    const kms = new Kms({ provider: newStore().open() });
    const { KeyMetadata: md } = await kms.createKey();
    const out = await kms.generateDataKeyPairWithoutPlaintext({ KeyId: md!.KeyId, KeyPairSpec: 'ECC_NIST_P256' });
    expect(out).not.toHaveProperty('PrivateKeyPlaintext');
    const { Plaintext } = await kms.decrypt({ CiphertextBlob: out.PrivateKeyCiphertextBlob });
    const priv = createPrivateKey({ key: Buffer.from(Plaintext!), format: 'der', type: 'pkcs8' });
    expect(createPublicKey(priv).export({ type: 'spki', format: 'der' }).equals(Buffer.from(out.PublicKey!))).toBe(true);
  });

  it('rules: a symmetric wrapping key, a known spec, DryRun', async () => {
    const kms = new Kms();
    const sym = (await kms.createKey()).KeyMetadata!;
    const signing = (await kms.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!;
    await rejects(
      () => kms.generateDataKeyPair({ KeyId: signing.KeyId, KeyPairSpec: 'RSA_2048' }),
      'InvalidKeyUsageException',
      `${signing.Arn} key usage is SIGN_VERIFY which is not valid for GenerateDataKeyPair.`,
    );
    await rejects(() => kms.generateDataKeyPair({ KeyId: sym.KeyId, KeyPairSpec: 'SM2' }), 'UnsupportedOperationException');
    await rejects(
      () => kms.generateDataKeyPair({ KeyId: sym.KeyId, KeyPairSpec: 'RSA_1024' as never }),
      'ValidationException',
      /at 'keyPairSpec'/,
    );
    await rejects(() => kms.generateDataKeyPair({ KeyId: sym.KeyId } as never), 'ValidationException', /Value null at 'keyPairSpec'/);
    await rejects(
      () => kms.generateDataKeyPairWithoutPlaintext({ KeyId: sym.KeyId, KeyPairSpec: 'ECC_NIST_P256', DryRun: true }),
      'DryRunOperationException',
      'The request would have succeeded, but the DryRun option is set.',
    );
    await kms.disableKey({ KeyId: sym.KeyId });
    await rejects(() => kms.generateDataKeyPair({ KeyId: sym.KeyId, KeyPairSpec: 'ECC_NIST_P256' }), 'DisabledException');
    void utf8;
  });
});
