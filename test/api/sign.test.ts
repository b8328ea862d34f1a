// Asymmetric signing keys through Kms: Sign, Verify, GetPublicKey, every spec and algorithm, with
// OpenSSL (node:crypto) verifying every signature from nothing but GetPublicKey's output.
import { constants, createHash, createPublicKey, verify as opensslVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Kms, type KeySpec, type SigningAlgorithmSpec } from 'kmsbox';
import { SIGNING } from '../../src/crypto/signatures.js';
import { newStore } from '../providers/file-fixtures.js';
import { rejects, utf8 } from './helpers.js';

const SPECS: Array<[KeySpec, SigningAlgorithmSpec[]]> = [
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
];

/** OpenSSL's verdict on a signature of `message`, from the SPKI alone. */
function openssl(spki: Uint8Array, algorithm: SigningAlgorithmSpec, message: Uint8Array, signature: Uint8Array): boolean {
  const a = SIGNING[algorithm]!;
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  switch (a.scheme) {
    case 'pss':
      return opensslVerify(a.hash, message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: a.digestBytes }, signature);
    case 'pkcs1':
      return opensslVerify(a.hash, message, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
    case 'ecdsa':
      return opensslVerify(a.hash, message, { key, dsaEncoding: 'der' }, signature);
    default:
      return opensslVerify(null, message, key, signature);
  }
}

describe.each(SPECS)('%s signing keys', (spec, algorithms) => {
  it('GetPublicKey and DescribeKey report what AWS reports; every signature verifies in kmsbox and in OpenSSL', async () => {
    const kms = new Kms();
    const { KeyMetadata: md } = await kms.createKey({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY' });
    expect(md).toMatchObject({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: algorithms });
    expect(md).not.toHaveProperty('CurrentKeyMaterialId');
    const pub = await kms.getPublicKey({ KeyId: md!.KeyId });
    expect(pub).toMatchObject({ KeyId: md!.Arn, KeySpec: spec, KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: algorithms });
    expect(createPublicKey({ key: Buffer.from(pub.PublicKey!), format: 'der', type: 'spki' }).type).toBe('public');
    const message = utf8('a message to sign, from kmsbox');
    for (const algorithm of algorithms) {
      const a = SIGNING[algorithm]!;
      const digest = new Uint8Array(createHash(a.hash).update(message).digest());
      const modes =
        algorithm === 'ED25519_SHA_512'
          ? (['RAW'] as const)
          : algorithm === 'ED25519_PH_SHA_512'
            ? (['DIGEST'] as const)
            : (['RAW', 'DIGEST'] as const);
      for (const MessageType of modes) {
        const Message = MessageType === 'RAW' ? message : digest;
        const { Signature, SigningAlgorithm, KeyId } = await kms.sign({
          KeyId: md!.KeyId,
          Message,
          MessageType,
          SigningAlgorithm: algorithm,
        });
        expect([KeyId, SigningAlgorithm]).toEqual([md!.Arn, algorithm]);
        const ok = await kms.verify({ KeyId: md!.KeyId, Message, MessageType, Signature, SigningAlgorithm: algorithm });
        expect([ok.SignatureValid, ok.KeyId]).toEqual([true, md!.Arn]);
        // OpenSSL checks it over the original message: a DIGEST signature is a signature of the message.
        if (algorithm !== 'ED25519_PH_SHA_512')
          expect(openssl(pub.PublicKey!, algorithm, message, Signature!), `${algorithm} ${MessageType}`).toBe(true);
        const bad = Uint8Array.from(Signature!);
        bad[bad.length - 2]! ^= 1;
        await rejects(
          () => kms.verify({ KeyId: md!.KeyId, Message, MessageType, Signature: bad, SigningAlgorithm: algorithm }),
          'KMSInvalidSignatureException',
          'The signature is not valid for this message, key and signing algorithm.',
        );
        const otherMessage = MessageType === 'RAW' ? utf8('another message') : new Uint8Array(digest.length).fill(7);
        await rejects(
          () => kms.verify({ KeyId: md!.KeyId, Message: otherMessage, MessageType, Signature, SigningAlgorithm: algorithm }),
          'KMSInvalidSignatureException',
          'The signature is not valid for this message, key and signing algorithm.',
        );
      }
    }
  });
});

describe('signing rules', () => {
  it('AWS messages for digest length, wrong algorithm, wrong usage; unsupported usages and specs say so', async () => {
    const kms = new Kms();
    const p256 = (await kms.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!;
    const sym = (await kms.createKey()).KeyMetadata!;
    await rejects(
      () => kms.sign({ KeyId: p256.KeyId, Message: new Uint8Array(31), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }),
      'ValidationException',
      'Digest is invalid length for algorithm ECDSA_SHA_256.',
    );
    await rejects(
      () => kms.sign({ KeyId: p256.KeyId, Message: utf8('m'), SigningAlgorithm: 'ECDSA_SHA_384' }),
      'InvalidKeyUsageException',
      'Algorithm ECDSA_SHA_384 is incompatible with key spec ECC_NIST_P256.',
    );
    await rejects(
      () => kms.sign({ KeyId: sym.KeyId, Message: utf8('m'), SigningAlgorithm: 'ECDSA_SHA_256' }),
      'InvalidKeyUsageException',
      `${sym.Arn} key usage is ENCRYPT_DECRYPT which is not valid for Sign.`,
    );
    await rejects(
      () => kms.verify({ KeyId: sym.KeyId, Message: utf8('m'), Signature: utf8('s'), SigningAlgorithm: 'ECDSA_SHA_256' }),
      'InvalidKeyUsageException',
      `${sym.Arn} key usage is ENCRYPT_DECRYPT which is not valid for Verify.`,
    );
    await rejects(
      () => kms.encrypt({ KeyId: p256.KeyId, Plaintext: utf8('m') }),
      'InvalidKeyUsageException',
      `${p256.Arn} key usage is SIGN_VERIFY which is not valid for Encrypt.`,
    );
    await rejects(
      () => kms.verify({ KeyId: p256.KeyId, Message: utf8('m'), Signature: utf8('junk, not DER'), SigningAlgorithm: 'ECDSA_SHA_256' }),
      'KMSInvalidSignatureException',
      'The signature is not valid for this message, key and signing algorithm.',
    );
    await rejects(
      () => kms.sign({ KeyId: p256.KeyId, Message: new Uint8Array(4097), SigningAlgorithm: 'ECDSA_SHA_256' }),
      'ValidationException',
      /at 'message'/,
    );
    await rejects(
      () => kms.sign({ KeyId: p256.KeyId, Message: utf8('m'), SigningAlgorithm: 'ECDSA_SHA_256', DryRun: true }),
      'DryRunOperationException',
    );
    await rejects(() => kms.getPublicKey({ KeyId: sym.KeyId }), 'UnsupportedOperationException');
    await rejects(
      () => kms.rotateKeyOnDemand({ KeyId: p256.KeyId }),
      'UnsupportedOperationException',
      `${p256.Arn} has key spec ECC_NIST_P256, which does not support key rotation: only symmetric encryption keys (SYMMETRIC_DEFAULT) rotate.`,
    );
    const ed = (await kms.createKey({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!;
    await rejects(
      () => kms.sign({ KeyId: ed.KeyId, Message: new Uint8Array(64), MessageType: 'DIGEST', SigningAlgorithm: 'ED25519_SHA_512' }),
      'ValidationException',
    );
    await rejects(() => kms.sign({ KeyId: ed.KeyId, Message: utf8('m'), SigningAlgorithm: 'ED25519_PH_SHA_512' }), 'ValidationException');
    await rejects(
      () => kms.createKey({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'KEY_AGREEMENT' }),
      'ValidationException',
      'KeyUsage KEY_AGREEMENT is not compatible with KeySpec ECC_SECG_P256K1',
    );
  });

  it('a FileProvider keeps signing keys: the same public key and valid signatures after reopening', async () => {
    const store = newStore();
    const kms = new Kms({ provider: store.open() });
    const { KeyMetadata: md } = await kms.createKey({ KeySpec: 'ECC_NIST_P384', KeyUsage: 'SIGN_VERIFY' });
    const before = await kms.getPublicKey({ KeyId: md!.KeyId });
    const { Signature } = await kms.sign({ KeyId: md!.KeyId, Message: utf8('kept'), SigningAlgorithm: 'ECDSA_SHA_384' });
    const reopened = new Kms({ provider: store.open() });
    expect((await reopened.getPublicKey({ KeyId: md!.KeyId })).PublicKey).toEqual(before.PublicKey);
    expect(
      (await reopened.verify({ KeyId: md!.KeyId, Message: utf8('kept'), Signature, SigningAlgorithm: 'ECDSA_SHA_384' })).SignatureValid,
    ).toBe(true);
  });
});
