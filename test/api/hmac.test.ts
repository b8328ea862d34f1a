// HMAC keys: CreateKey, GenerateMac, VerifyMac (https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateMac.html), on every provider.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Kms, MemoryProvider, WebCryptoProvider, type KeyMaterialProvider } from 'kmsbox';
import { newStore } from '../providers/file-fixtures.js';
import { rejects, utf8 } from './helpers.js';

const SPECS = [
  ['HMAC_224', 'HMAC_SHA_224', 28],
  ['HMAC_256', 'HMAC_SHA_256', 32],
  ['HMAC_384', 'HMAC_SHA_384', 48],
  ['HMAC_512', 'HMAC_SHA_512', 64],
] as const;

const providers: Array<[string, () => KeyMaterialProvider, readonly string[]]> = [
  ['memory', () => new MemoryProvider(), ['HMAC_224', 'HMAC_256', 'HMAC_384', 'HMAC_512']],
  ['file', () => newStore().open(), ['HMAC_224', 'HMAC_256', 'HMAC_384', 'HMAC_512']],
  ['webcrypto', () => new WebCryptoProvider(), ['HMAC_256', 'HMAC_384', 'HMAC_512']],
];

describe.each(providers)('HMAC keys on %s', (_, makeProvider, supported) => {
  it.each(SPECS)('%s: metadata, GenerateMac, VerifyMac', async (spec, algorithm, size) => {
    const kms = new Kms({ provider: makeProvider() });
    if (!supported.includes(spec)) {
      await rejects(
        () => kms.createKey({ KeySpec: spec, KeyUsage: 'GENERATE_VERIFY_MAC' }),
        'UnsupportedOperationException',
        new RegExp(spec),
      );
      return;
    }
    const { KeyMetadata: md } = await kms.createKey({ KeySpec: spec, KeyUsage: 'GENERATE_VERIFY_MAC' });
    expect(md).toMatchObject({ KeySpec: spec, CustomerMasterKeySpec: spec, KeyUsage: 'GENERATE_VERIFY_MAC', MacAlgorithms: [algorithm] });
    expect(md).not.toHaveProperty('EncryptionAlgorithms');
    expect(md).not.toHaveProperty('CurrentKeyMaterialId'); // AWS-recorded: HMAC keys report none
    const Message = new Uint8Array(randomBytes(100));
    const out = await kms.generateMac({ KeyId: md!.KeyId, Message, MacAlgorithm: algorithm });
    expect([out.KeyId, out.MacAlgorithm, out.Mac!.length]).toEqual([md!.Arn, algorithm, size]);
    // The same key and message always give the same MAC; another message does not.
    expect((await kms.generateMac({ KeyId: md!.KeyId, Message, MacAlgorithm: algorithm })).Mac).toEqual(out.Mac);
    expect((await kms.generateMac({ KeyId: md!.KeyId, Message: utf8('other'), MacAlgorithm: algorithm })).Mac).not.toEqual(out.Mac);
    const ok = await kms.verifyMac({ KeyId: md!.KeyId, Message, MacAlgorithm: algorithm, Mac: out.Mac });
    expect([ok.KeyId, ok.MacValid, ok.MacAlgorithm]).toEqual([md!.Arn, true, algorithm]);
    const flipped = Uint8Array.from(out.Mac!);
    flipped[0]! ^= 1;
    await rejects(
      () => kms.verifyMac({ KeyId: md!.KeyId, Message, MacAlgorithm: algorithm, Mac: flipped }),
      'KMSInvalidMacException',
      'The MAC is not valid for this message, key and MAC algorithm.',
    );
    await rejects(
      () => kms.verifyMac({ KeyId: md!.KeyId, Message: utf8('changed'), MacAlgorithm: algorithm, Mac: out.Mac }),
      'KMSInvalidMacException',
      'The MAC is not valid for this message, key and MAC algorithm.',
    );
    await rejects(
      () => kms.verifyMac({ KeyId: md!.KeyId, Message, MacAlgorithm: algorithm, Mac: out.Mac!.subarray(1) }),
      'KMSInvalidMacException',
      'The MAC is not valid for this message, key and MAC algorithm.',
    );
  });
});

describe('HMAC rules', () => {
  it('AWS messages for wrong algorithm, wrong usage, missing KeyUsage, enum typos', async () => {
    const kms = new Kms();
    const mac = (await kms.createKey({ KeySpec: 'HMAC_224', KeyUsage: 'GENERATE_VERIFY_MAC' })).KeyMetadata!;
    const sym = (await kms.createKey()).KeyMetadata!;
    await rejects(
      () => kms.generateMac({ KeyId: mac.KeyId, Message: utf8('m'), MacAlgorithm: 'HMAC_SHA_256' }),
      'InvalidKeyUsageException',
      'Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224.',
    );
    await rejects(
      () => kms.generateMac({ KeyId: sym.KeyId, Message: utf8('m'), MacAlgorithm: 'HMAC_SHA_256' }),
      'InvalidKeyUsageException',
      `${sym.Arn} key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac.`,
    );
    await rejects(
      () => kms.encrypt({ KeyId: mac.KeyId, Plaintext: utf8('m') }),
      'InvalidKeyUsageException',
      `${mac.Arn} key usage is GENERATE_VERIFY_MAC which is not valid for Encrypt.`,
    );
    await rejects(() => kms.generateDataKey({ KeyId: mac.KeyId, KeySpec: 'AES_256' }), 'InvalidKeyUsageException');
    await rejects(
      () => kms.createKey({ KeySpec: 'HMAC_256' }),
      'ValidationException',
      'You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.',
    );
    await rejects(
      () => kms.createKey({ KeySpec: 'HMAC_256', KeyUsage: 'ENCRYPT_DECRYPT' }),
      'ValidationException',
      'KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec HMAC_256',
    );
    await rejects(
      () => kms.generateMac({ KeyId: mac.KeyId, Message: utf8('m'), MacAlgorithm: 'HMAC_SHA_1' as never }),
      'ValidationException',
      "1 validation error detected: Value 'HMAC_SHA_1' at 'macAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]",
    );
    await rejects(
      () => kms.generateMac({ KeyId: 'key_id', Message: utf8('m'), MacAlgorithm: 'HMAC_SHA_224' }),
      'NotFoundException',
      "Invalid keyId 'key_id'",
    );
    await rejects(
      () => kms.generateMac({ KeyId: mac.KeyId, Message: new Uint8Array(4097), MacAlgorithm: 'HMAC_SHA_224' }),
      'ValidationException',
      /at 'message'.*less than or equal to 4096/,
    );
    await rejects(
      () => kms.generateMac({ KeyId: mac.KeyId, Message: utf8('m'), MacAlgorithm: 'HMAC_SHA_224', DryRun: true }),
      'DryRunOperationException',
    );
  });

  it('rotation does not apply; disabled and pending-deletion keys refuse', async () => {
    const kms = new Kms();
    const mac = (await kms.createKey({ KeySpec: 'HMAC_512', KeyUsage: 'GENERATE_VERIFY_MAC' })).KeyMetadata!;
    await rejects(
      () => kms.rotateKeyOnDemand({ KeyId: mac.KeyId }),
      'UnsupportedOperationException',
      `${mac.Arn} has key spec HMAC_512, which does not support key rotation: only symmetric encryption keys (SYMMETRIC_DEFAULT) rotate.`,
    );
    await rejects(() => kms.enableKeyRotation({ KeyId: mac.KeyId }), 'UnsupportedOperationException');
    await kms.disableKey({ KeyId: mac.KeyId });
    await rejects(
      () => kms.generateMac({ KeyId: mac.KeyId, Message: utf8('m'), MacAlgorithm: 'HMAC_SHA_512' }),
      'DisabledException',
      `${mac.Arn} is disabled.`,
    );
    await kms.scheduleKeyDeletion({ KeyId: mac.KeyId });
    await rejects(
      () => kms.verifyMac({ KeyId: mac.KeyId, Message: utf8('m'), MacAlgorithm: 'HMAC_SHA_512', Mac: new Uint8Array(64) }),
      'KMSInvalidStateException',
      `${mac.Arn} is pending deletion.`,
    );
  });
});
