// Bounds on the maps and lists in a request (issue 11 §2). AWS documents none for the encryption
// context: kmsbox bounds its size as the AWS Encryption SDK serializes it (2-byte count, 2-byte
// lengths, UTF-8) at 2^16 − 1 bytes (MAX_MAP_SERIALIZED_BYTES). Lists the model leaves unbounded
// are capped at MAX_LIST_ITEMS; GrantTokens at AWS's 10. The same answers in-process and through
// the real AWS SDK over kmsbox's wire protocol.
import { EncryptCommand, KMSClient, KMSServiceException as SdkException } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { createRequestHandler, Kms } from 'kmsbox';
import { MAX_LIST_ITEMS, MAX_MAP_SERIALIZED_BYTES } from '../../src/api/validate.js';
import { rejects, utf8 } from './helpers.js';

const LIMIT = 65_535;
const tooBig = (path: string) =>
  `1 validation error detected: Value at '${path}' failed to satisfy constraint: Member must have length less than or equal to ${LIMIT} bytes when serialized`;

/** A one-pair context of exactly `bytes` serialized bytes: 2 (count) + 2 + 1 (key 'k') + 2 + value. */
function contextOf(bytes: number, unit = 'v', unitBytes = 1): Record<string, string> {
  const valueBytes = bytes - 7;
  const whole = Math.floor(valueBytes / unitBytes);
  return { k: unit.repeat(whole) + 'v'.repeat(valueBytes - whole * unitBytes) };
}

/** `n` small pairs: far past the limit in count (the 65,520-pair request). */
function manyPairs(n: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) out[`k${i.toString(36)}`] = 'v';
  return out;
}

async function setup() {
  const kms = new Kms();
  const key = (await kms.createKey()).KeyMetadata!;
  const pair = (await kms.createKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' })).KeyMetadata!;
  return { kms, key, pair };
}

describe('the encryption context is bounded at 2^16 − 1 serialized bytes', () => {
  it('is the Encryption SDK header bound', () => {
    expect(MAX_MAP_SERIALIZED_BYTES).toBe(2 ** 16 - 1);
  });

  it.each([
    ['ASCII', 'v', 1],
    ['2-byte UTF-8 (é)', 'é', 2],
    ['3-byte UTF-8 (€)', '€', 3],
    ['4-byte UTF-8 (😀, a surrogate pair)', '😀', 4],
  ])('counts UTF-8 bytes: %s at the limit round-trips, one byte more is ValidationException', async (_, unit, unitBytes) => {
    const { kms, key } = await setup();
    const atLimit = contextOf(LIMIT, unit, unitBytes);
    const { CiphertextBlob } = await kms.encrypt({ KeyId: key.KeyId, Plaintext: utf8('at the limit'), EncryptionContext: atLimit });
    expect(new TextDecoder().decode((await kms.decrypt({ CiphertextBlob, EncryptionContext: atLimit })).Plaintext)).toBe('at the limit');
    await rejects(
      () => kms.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x'), EncryptionContext: contextOf(LIMIT + 1, unit, unitBytes) }),
      'ValidationException',
      tooBig('encryptionContext'),
    );
  });

  it('counts 4 length bytes per pair and 2 for the count', async () => {
    const { kms, key } = await setup();
    // 2 + (2 + 1 + 2 + a) + (2 + 1 + 2 + b) = 65,535 when a + b = 65,523.
    const two = (a: number, b: number) => ({ a: 'x'.repeat(a), b: 'y'.repeat(b) });
    await kms.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x'), EncryptionContext: two(30_000, 35_523) });
    await rejects(
      () => kms.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x'), EncryptionContext: two(30_000, 35_524) }),
      'ValidationException',
      tooBig('encryptionContext'),
    );
    // Keys count as much as values.
    await kms.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x'), EncryptionContext: { ['k'.repeat(65_529)]: '' } });
    await rejects(
      () => kms.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x'), EncryptionContext: { ['k'.repeat(65_530)]: '' } }),
      'ValidationException',
      tooBig('encryptionContext'),
    );
  });

  it('refuses 65,520 small pairs without echoing them, and keeps serving', async () => {
    const { kms, key } = await setup();
    const e = await rejects(
      () => kms.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x'), EncryptionContext: manyPairs(65_520) }),
      'ValidationException',
      tooBig('encryptionContext'),
    );
    expect(e.message.length).toBeLessThan(200);
    await kms.encrypt({ KeyId: key.KeyId, Plaintext: utf8('ok'), EncryptionContext: { small: 'context' } });
  });

  it('applies to every member that takes a context', async () => {
    const { kms, key } = await setup();
    const big = contextOf(LIMIT + 1);
    const { CiphertextBlob } = await kms.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') });
    const cases: Array<[string, () => Promise<unknown>]> = [
      ['encryptionContext', () => kms.decrypt({ CiphertextBlob, EncryptionContext: big })],
      ['encryptionContext', () => kms.generateDataKey({ KeyId: key.KeyId, KeySpec: 'AES_256', EncryptionContext: big })],
      ['encryptionContext', () => kms.generateDataKeyWithoutPlaintext({ KeyId: key.KeyId, KeySpec: 'AES_256', EncryptionContext: big })],
      ['encryptionContext', () => kms.generateDataKeyPair({ KeyId: key.KeyId, KeyPairSpec: 'ECC_NIST_P256', EncryptionContext: big })],
      [
        'encryptionContext',
        () => kms.generateDataKeyPairWithoutPlaintext({ KeyId: key.KeyId, KeyPairSpec: 'ECC_NIST_P256', EncryptionContext: big }),
      ],
      ['sourceEncryptionContext', () => kms.reEncrypt({ CiphertextBlob, SourceEncryptionContext: big, DestinationKeyId: key.KeyId })],
      [
        'destinationEncryptionContext',
        () => kms.reEncrypt({ CiphertextBlob, DestinationKeyId: key.KeyId, DestinationEncryptionContext: big }),
      ],
      [
        'constraints.encryptionContextSubset',
        () =>
          kms.createGrant({
            KeyId: key.KeyId,
            GranteePrincipal: 'arn:aws:iam::111122223333:role/app',
            Operations: ['Decrypt'],
            Constraints: { EncryptionContextSubset: big },
          }),
      ],
      [
        'constraints.encryptionContextEquals',
        () =>
          kms.createGrant({
            KeyId: key.KeyId,
            GranteePrincipal: 'arn:aws:iam::111122223333:role/app',
            Operations: ['Decrypt'],
            Constraints: { EncryptionContextEquals: big },
          }),
      ],
    ];
    for (const [path, call] of cases) await rejects(call, 'ValidationException', tooBig(path));
  });

  it('through the real AWS SDK over the wire protocol: the same ValidationException, the boundary accepted', async () => {
    const { kms, key } = await setup();
    const client = new KMSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      requestHandler: createRequestHandler(kms),
      maxAttempts: 1,
    });
    const ok = await client.send(
      new EncryptCommand({ KeyId: key.KeyId, Plaintext: utf8('x'), EncryptionContext: contextOf(LIMIT, '€', 3) }),
    );
    expect(ok.CiphertextBlob!.length).toBeGreaterThan(0);
    for (const context of [contextOf(LIMIT + 1, '€', 3), manyPairs(65_520)]) {
      const e = await client
        .send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: utf8('x'), EncryptionContext: context }))
        .catch((x: unknown) => x);
      // The SDK models no ValidationException class: it is its base exception, named as AWS names it.
      expect(e).toBeInstanceOf(SdkException);
      const { name, message, $metadata } = e as SdkException;
      expect([name, message, $metadata.httpStatusCode]).toEqual(['ValidationException', tooBig('encryptionContext'), 400]);
    }
    client.destroy();
  });
});

describe(`lists the model leaves unbounded are capped at ${MAX_LIST_ITEMS} items; GrantTokens at 10`, () => {
  const over = (path: string, max: number) =>
    `1 validation error detected: Value at '${path}' failed to satisfy constraint: Member must have length less than or equal to ${max}`;
  const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ TagKey: `t${i}`, TagValue: 'v' }));

  it('is 1000', () => {
    expect(MAX_LIST_ITEMS).toBe(1000);
  });

  it('refuses one item past the cap in every such list', async () => {
    const { kms, key } = await setup();
    const { CiphertextBlob } = await kms.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') });
    const cases: Array<[string, number, () => Promise<unknown>]> = [
      ['tags', 1000, () => kms.createKey({ Tags: tags(1001) })],
      ['tags', 1000, () => kms.tagResource({ KeyId: key.KeyId, Tags: tags(1001) })],
      ['tagKeys', 1000, () => kms.untagResource({ KeyId: key.KeyId, TagKeys: Array.from({ length: 1001 }, (_, i) => `t${i}`) })],
      [
        'operations',
        1000,
        () =>
          kms.createGrant({
            KeyId: key.KeyId,
            GranteePrincipal: 'arn:aws:iam::111122223333:role/app',
            Operations: Array(1001).fill('Decrypt'),
          }),
      ],
      [
        'dryRunModifiers',
        1000,
        () => kms.decrypt({ CiphertextBlob, DryRun: true, DryRunModifiers: Array(1001).fill('IGNORE_CIPHERTEXT') }),
      ],
      [
        'dryRunModifiers',
        1000,
        () =>
          kms.reEncrypt({
            CiphertextBlob,
            DestinationKeyId: key.KeyId,
            DryRun: true,
            DryRunModifiers: Array(1001).fill('IGNORE_CIPHERTEXT'),
          }),
      ],
      ['grantTokens', 10, () => kms.describeKey({ KeyId: key.KeyId, GrantTokens: Array(11).fill('t') })],
    ];
    for (const [path, max, call] of cases) await rejects(call, 'ValidationException', over(path, max));
    // At the cap the shape is valid (what follows is the operation's own rule, not the list bound).
    await kms.untagResource({ KeyId: key.KeyId, TagKeys: Array.from({ length: 1000 }, (_, i) => `t${i}`) });
    await rejects(() => kms.tagResource({ KeyId: key.KeyId, Tags: tags(1000) }), 'TagException', 'Too many tags');
  });
});
