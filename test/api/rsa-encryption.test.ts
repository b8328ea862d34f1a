// Encrypt/Decrypt/ReEncrypt with RSA ENCRYPT_DECRYPT keys: AWS's limits and messages, and
// node:crypto encrypting to our GetPublicKey output for our Decrypt to open.
import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Kms, type KeySpec } from 'kmsbox';
import { rejects, utf8 } from './helpers.js';

const LIMITS: Array<[KeySpec, 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256', number]> = [
  ['RSA_2048', 'RSAES_OAEP_SHA_1', 214],
  ['RSA_2048', 'RSAES_OAEP_SHA_256', 190],
  ['RSA_3072', 'RSAES_OAEP_SHA_1', 342],
  ['RSA_3072', 'RSAES_OAEP_SHA_256', 318],
  ['RSA_4096', 'RSAES_OAEP_SHA_1', 470],
  ['RSA_4096', 'RSAES_OAEP_SHA_256', 446],
];

describe('RSA encryption keys', () => {
  it.each(LIMITS)(
    "%s with %s: up to %i bytes, AWS's message above; node:crypto encrypts to us",
    async (KeySpec, EncryptionAlgorithm, limit) => {
      const kms = new Kms();
      const { KeyMetadata: md } = await kms.createKey({ KeySpec, KeyUsage: 'ENCRYPT_DECRYPT' });
      expect(md).toMatchObject({ KeyUsage: 'ENCRYPT_DECRYPT', EncryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] });
      const Plaintext = new Uint8Array(randomBytes(limit));
      const enc = await kms.encrypt({ KeyId: md!.KeyId, Plaintext, EncryptionAlgorithm });
      expect([enc.KeyId, enc.EncryptionAlgorithm, enc.CiphertextBlob!.length]).toEqual([
        md!.Arn,
        EncryptionAlgorithm,
        Number(KeySpec.slice(4)) / 8,
      ]);
      const dec = await kms.decrypt({ CiphertextBlob: enc.CiphertextBlob, KeyId: md!.KeyId, EncryptionAlgorithm });
      expect(dec.Plaintext).toEqual(Plaintext);
      expect([dec.KeyId, dec.EncryptionAlgorithm]).toEqual([md!.Arn, EncryptionAlgorithm]);
      await rejects(
        () => kms.encrypt({ KeyId: md!.KeyId, Plaintext: new Uint8Array(limit + 1), EncryptionAlgorithm }),
        'ValidationException',
        `Algorithm ${EncryptionAlgorithm} and key spec ${KeySpec} cannot encrypt data larger than ${limit} bytes.`,
      );
      // An outside party encrypts with nothing but GetPublicKey's output.
      const { PublicKey } = await kms.getPublicKey({ KeyId: md!.KeyId });
      const key = createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' });
      const theirs = publicEncrypt(
        { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: EncryptionAlgorithm === 'RSAES_OAEP_SHA_1' ? 'sha1' : 'sha256' },
        utf8('from node:crypto'),
      );
      expect(
        new TextDecoder().decode((await kms.decrypt({ CiphertextBlob: theirs, KeyId: md!.KeyId, EncryptionAlgorithm })).Plaintext),
      ).toBe('from node:crypto');
    },
  );

  it('Decrypt needs the KeyId and the algorithm; anything wrong is InvalidCiphertextException', async () => {
    const kms = new Kms();
    const { KeyMetadata: md } = await kms.createKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
    const enc = await kms.encrypt({ KeyId: md!.KeyId, Plaintext: utf8('secret'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' });
    await rejects(
      () => kms.decrypt({ CiphertextBlob: enc.CiphertextBlob }),
      'InvalidCiphertextException',
      'The ciphertext is not valid for this key and encryption context, or it was altered.',
    );
    await rejects(
      () => kms.decrypt({ CiphertextBlob: enc.CiphertextBlob, KeyId: md!.KeyId }),
      'InvalidKeyUsageException',
      'Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.',
    );
    await rejects(
      () => kms.decrypt({ CiphertextBlob: enc.CiphertextBlob, KeyId: md!.KeyId, EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' }),
      'InvalidCiphertextException',
      'The ciphertext is not valid for this key and encryption context, or it was altered.',
    );
    const tampered = Uint8Array.from(enc.CiphertextBlob!);
    tampered[100]! ^= 1;
    await rejects(
      () => kms.decrypt({ CiphertextBlob: tampered, KeyId: md!.KeyId, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }),
      'InvalidCiphertextException',
      'The ciphertext is not valid for this key and encryption context, or it was altered.',
    );
    await rejects(
      () => kms.encrypt({ KeyId: md!.KeyId, Plaintext: utf8('x') }),
      'InvalidKeyUsageException',
      'Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.',
    );
    await rejects(
      () =>
        kms.encrypt({ KeyId: md!.KeyId, Plaintext: utf8('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256', EncryptionContext: { a: 'b' } }),
      'ValidationException',
      'EncryptionContext is not supported for asymmetric KMS keys.',
    );
    await rejects(() => kms.generateDataKey({ KeyId: md!.KeyId, KeySpec: 'AES_256' }), 'InvalidKeyUsageException');
    const signing = (await kms.createKey({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!;
    await rejects(
      () => kms.encrypt({ KeyId: signing.KeyId, Plaintext: utf8('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }),
      'InvalidKeyUsageException',
      `${signing.Arn} key usage is SIGN_VERIFY which is not valid for Encrypt.`,
    );
  });

  it('ReEncrypt moves ciphertexts between RSA and symmetric keys', async () => {
    const kms = new Kms();
    const rsa = (await kms.createKey({ KeySpec: 'RSA_3072', KeyUsage: 'ENCRYPT_DECRYPT' })).KeyMetadata!;
    const rsa2 = (await kms.createKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' })).KeyMetadata!;
    const sym = (await kms.createKey()).KeyMetadata!;
    const enc = await kms.encrypt({ KeyId: rsa.KeyId, Plaintext: utf8('moving'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' });
    const toRsa = await kms.reEncrypt({
      CiphertextBlob: enc.CiphertextBlob,
      SourceKeyId: rsa.KeyId,
      SourceEncryptionAlgorithm: 'RSAES_OAEP_SHA_1',
      DestinationKeyId: rsa2.KeyId,
      DestinationEncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
    });
    expect([toRsa.SourceKeyId, toRsa.KeyId, toRsa.SourceEncryptionAlgorithm, toRsa.DestinationEncryptionAlgorithm]).toEqual([
      rsa.Arn,
      rsa2.Arn,
      'RSAES_OAEP_SHA_1',
      'RSAES_OAEP_SHA_256',
    ]);
    const toSym = await kms.reEncrypt({
      CiphertextBlob: toRsa.CiphertextBlob,
      SourceKeyId: rsa2.KeyId,
      SourceEncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
      DestinationKeyId: sym.KeyId,
      DestinationEncryptionContext: { k: 'v' },
    });
    expect([toSym.DestinationEncryptionAlgorithm, toSym.DestinationKeyMaterialId]).toEqual(['SYMMETRIC_DEFAULT', sym.CurrentKeyMaterialId]);
    const back = await kms.reEncrypt({
      CiphertextBlob: toSym.CiphertextBlob,
      SourceEncryptionContext: { k: 'v' },
      DestinationKeyId: rsa.KeyId,
      DestinationEncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
    });
    const { Plaintext } = await kms.decrypt({
      CiphertextBlob: back.CiphertextBlob,
      KeyId: rsa.KeyId,
      EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
    });
    expect(new TextDecoder().decode(Plaintext)).toBe('moving');
  });
});
