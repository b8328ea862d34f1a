/**
 * Hostile input to every Kms method (the README's "Errors"): arbitrary values, Uint8Arrays, and objects with
 * the operation's real member names holding wrong-typed, out-of-range or (sometimes) valid
 * values. Every rejection must be a KMSServiceException whose name is one of the AWS names in
 * EXCEPTIONS — never a TypeError, RangeError or plain Error, and never KMSInternalException,
 * which is how Kms reports a raw error that escaped an operation. No call may hang, and the
 * store must stay healthy (readable by every read operation, JSON-safe) after any call.
 * Run counts scale with FUZZ_RUNS (see fuzz.ts).
 */
import util from 'node:util';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import * as kmsbox from 'kmsbox';
import { EXCEPTIONS, KMSServiceException, Kms } from 'kmsbox';
import { runs, timeout } from './fuzz.js';

const CALL_TIMEOUT_MS = 5_000;

/** Every public async method of Kms (the AWS operations), found on the prototype. */
const METHODS = Object.getOwnPropertyNames(Kms.prototype).filter((name) => {
  const d = Object.getOwnPropertyDescriptor(Kms.prototype, name);
  return (
    !['constructor', 'send', 'invoke', 'withPrincipal', 'withRegion', 'withAccount', 'setIdentityPolicies', 'getIdentityPolicies'].includes(
      name,
    ) && typeof d?.value === 'function'
  );
});

/** The request members of each operation (AWS SDK v3 field names). */
const FIELDS: Record<string, readonly string[]> = {
  cancelKeyDeletion: ['KeyId'],
  createAlias: ['AliasName', 'TargetKeyId'],
  createKey: [
    'Policy',
    'Description',
    'KeyUsage',
    'CustomerMasterKeySpec',
    'KeySpec',
    'Origin',
    'CustomKeyStoreId',
    'BypassPolicyLockoutSafetyCheck',
    'Tags',
    'MultiRegion',
    'XksKeyId',
  ],
  decrypt: ['CiphertextBlob', 'EncryptionContext', 'GrantTokens', 'KeyId', 'EncryptionAlgorithm', 'Recipient', 'DryRun', 'DryRunModifiers'],
  deleteAlias: ['AliasName'],
  describeKey: ['KeyId', 'GrantTokens'],
  disableKey: ['KeyId'],
  disableKeyRotation: ['KeyId'],
  enableKey: ['KeyId'],
  enableKeyRotation: ['KeyId', 'RotationPeriodInDays'],
  encrypt: ['KeyId', 'Plaintext', 'EncryptionContext', 'GrantTokens', 'EncryptionAlgorithm', 'DryRun'],
  generateDataKey: ['KeyId', 'EncryptionContext', 'NumberOfBytes', 'KeySpec', 'GrantTokens', 'Recipient', 'DryRun'],
  generateDataKeyWithoutPlaintext: ['KeyId', 'EncryptionContext', 'KeySpec', 'NumberOfBytes', 'GrantTokens', 'DryRun'],
  generateRandom: ['NumberOfBytes', 'CustomKeyStoreId', 'Recipient'],
  generateMac: ['Message', 'KeyId', 'MacAlgorithm', 'GrantTokens', 'DryRun'],
  verifyMac: ['Message', 'KeyId', 'MacAlgorithm', 'Mac', 'GrantTokens', 'DryRun'],
  sign: ['KeyId', 'Message', 'MessageType', 'SigningAlgorithm', 'GrantTokens', 'DryRun'],
  verify: ['KeyId', 'Message', 'MessageType', 'Signature', 'SigningAlgorithm', 'GrantTokens', 'DryRun'],
  getPublicKey: ['KeyId', 'GrantTokens'],
  deriveSharedSecret: ['KeyId', 'KeyAgreementAlgorithm', 'PublicKey', 'GrantTokens', 'DryRun', 'Recipient'],
  generateDataKeyPair: ['EncryptionContext', 'KeyId', 'KeyPairSpec', 'GrantTokens', 'Recipient', 'DryRun'],
  generateDataKeyPairWithoutPlaintext: ['EncryptionContext', 'KeyId', 'KeyPairSpec', 'GrantTokens', 'DryRun'],
  getKeyRotationStatus: ['KeyId'],
  listAliases: ['KeyId', 'Limit', 'Marker'],
  listKeyRotations: ['KeyId', 'IncludeKeyMaterial', 'Limit', 'Marker'],
  listKeys: ['Limit', 'Marker'],
  listResourceTags: ['KeyId', 'Limit', 'Marker'],
  reEncrypt: [
    'CiphertextBlob',
    'SourceEncryptionContext',
    'SourceKeyId',
    'DestinationKeyId',
    'DestinationEncryptionContext',
    'SourceEncryptionAlgorithm',
    'DestinationEncryptionAlgorithm',
    'GrantTokens',
    'DryRun',
    'DryRunModifiers',
  ],
  rotateKeyOnDemand: ['KeyId'],
  scheduleKeyDeletion: ['KeyId', 'PendingWindowInDays'],
  tagResource: ['KeyId', 'Tags'],
  untagResource: ['KeyId', 'TagKeys'],
  updateAlias: ['AliasName', 'TargetKeyId'],
  updateKeyDescription: ['KeyId', 'Description'],
  getKeyPolicy: ['KeyId', 'PolicyName'],
  putKeyPolicy: ['KeyId', 'PolicyName', 'Policy', 'BypassPolicyLockoutSafetyCheck'],
  listKeyPolicies: ['KeyId', 'Limit', 'Marker'],
  createGrant: ['KeyId', 'GranteePrincipal', 'RetiringPrincipal', 'Operations', 'Constraints', 'GrantTokens', 'Name', 'DryRun'],
  listGrants: ['Limit', 'Marker', 'KeyId', 'GrantId', 'GranteePrincipal'],
  listRetirableGrants: ['Limit', 'Marker', 'RetiringPrincipal'],
  retireGrant: ['GrantToken', 'KeyId', 'GrantId', 'DryRun'],
  revokeGrant: ['KeyId', 'GrantId', 'DryRun'],
  replicateKey: ['KeyId', 'ReplicaRegion', 'Policy', 'BypassPolicyLockoutSafetyCheck', 'Description', 'Tags'],
  getParametersForImport: ['KeyId', 'WrappingAlgorithm', 'WrappingKeySpec'],
  importKeyMaterial: [
    'KeyId',
    'ImportToken',
    'EncryptedKeyMaterial',
    'ValidTo',
    'ExpirationModel',
    'ImportType',
    'KeyMaterialDescription',
    'KeyMaterialId',
  ],
  deleteImportedKeyMaterial: ['KeyId', 'KeyMaterialId'],
  updatePrimaryRegion: ['KeyId', 'PrimaryRegion'],
  describeCustomKeyStores: ['CustomKeyStoreId', 'CustomKeyStoreName', 'Limit', 'Marker'],
  updateCustomKeyStore: [
    'CustomKeyStoreId',
    'NewCustomKeyStoreName',
    'KeyStorePassword',
    'CloudHsmClusterId',
    'XksProxyUriEndpoint',
    'XksProxyUriPath',
    'XksProxyVpcEndpointServiceName',
    'XksProxyVpcEndpointServiceOwner',
    'XksProxyAuthenticationCredential',
    'XksProxyConnectivity',
  ],
  deleteCustomKeyStore: ['CustomKeyStoreId'],
  disconnectCustomKeyStore: ['CustomKeyStoreId'],
  connectCustomKeyStore: ['CustomKeyStoreId'],
};

/** Method families: each gets its share of the run budget (≤ 300 runs per family). */
const FAMILIES: Record<string, readonly string[]> = {
  crypto: ['encrypt', 'decrypt', 'reEncrypt', 'generateDataKey', 'generateDataKeyWithoutPlaintext', 'generateRandom'],
  keys: [
    'createKey',
    'describeKey',
    'listKeys',
    'updateKeyDescription',
    'enableKey',
    'disableKey',
    'scheduleKeyDeletion',
    'cancelKeyDeletion',
  ],
  aliases: ['createAlias', 'updateAlias', 'deleteAlias', 'listAliases'],
  rotation: ['enableKeyRotation', 'disableKeyRotation', 'getKeyRotationStatus', 'rotateKeyOnDemand', 'listKeyRotations'],
  tags: ['tagResource', 'untagResource', 'listResourceTags'],
  mac: ['generateMac', 'verifyMac'],
  signing: ['sign', 'verify', 'getPublicKey', 'deriveSharedSecret', 'generateDataKeyPair', 'generateDataKeyPairWithoutPlaintext'],
  policies: ['getKeyPolicy', 'putKeyPolicy', 'listKeyPolicies'],
  grants: ['createGrant', 'listGrants', 'listRetirableGrants', 'retireGrant', 'revokeGrant'],
  multiRegion: ['replicateKey', 'updatePrimaryRegion'],
  imports: ['getParametersForImport', 'importKeyMaterial', 'deleteImportedKeyMaterial'],
  customKeyStores: [
    'describeCustomKeyStores',
    'updateCustomKeyStore',
    'deleteCustomKeyStore',
    'disconnectCustomKeyStore',
    'connectCustomKeyStore',
  ],
};
const FAMILY_BUDGET = 300;

// ---------------------------------------------------------------------------------------------
// values

const loneSurrogates = ['\uD800', 'a\uDC00', '\uDFFFz', 'x\uD83D'];

/** Single wrong values: every type, boundary numbers and strings, odd objects. */
const leaf: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.anything({
      maxDepth: 1,
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
    }),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(
      NaN,
      Infinity,
      -Infinity,
      -0,
      -1,
      0,
      0.5,
      1.5,
      6,
      7,
      31,
      89,
      91,
      2560,
      2561,
      1024,
      1025,
      4096,
      4097,
      6144,
      6145,
      2 ** 31,
      2 ** 32,
      2 ** 53,
      Number.MAX_SAFE_INTEGER + 2,
      Number.MAX_VALUE,
      10n,
      -1n,
      '',
      ' ',
      '0',
      'true',
      'null',
      'undefined',
      '__proto__',
      'constructor',
      'toString',
      'alias/',
      'alias/aws/x',
      'aws:tag',
      'arn:aws:kms:us-east-1:111122223333:key/',
      'a'.repeat(2049),
      'a'.repeat(8193),
      '\u0000',
      ...loneSurrogates,
      null,
      undefined,
      null,
      undefined,
      true,
      false,
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom<() => unknown>(
        () => Symbol('junk'),
        () => () => 'a function',
        () => new ArrayBuffer(8),
        () => new DataView(new ArrayBuffer(4)),
        () => new Int8Array(3),
        () => new Uint16Array(2),
        () => Buffer.from('a buffer'),
        () => new Uint8Array(0),
        () => new Uint8Array(4097),
        () => new Uint8Array(6145),
        () => new Uint8Array(70_000),
        () => Object.create(null),
        () => JSON.parse('{"__proto__":"x"}'),
        () => ({ length: 5 }),
        () => new Error('an error'),
        () => new Date(NaN),
        () => new Map([['a', 'b']]),
        () => Promise.resolve('a promise'),
        () => ({ then: () => undefined }),
        () => ({ a: 1 }),
        () => ({ a: null }),
        () => ({ [loneSurrogates[0]!]: 'v' }),
        () => ({ TagKey: 'k', TagValue: 'v' }),
      )
      .map((make) => make()),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
);

/** Wrong values for list and structure members: lists of wrong items, holes, huge lengths, tag-like objects. */
const tagLike = fc.dictionary(
  fc.constantFrom('TagKey', 'TagValue', 'KeyEncryptionAlgorithm', 'AttestationDocument', '__proto__', 'a'),
  leaf,
  {
    maxKeys: 3,
  },
);
const junk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: leaf },
  { weight: 1, arbitrary: fc.array(leaf, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.sparseArray(fc.oneof(leaf, fc.string({ maxLength: 3 })), { maxLength: 4 }) },
  { weight: 1, arbitrary: tagLike },
  {
    weight: 1,
    arbitrary: fc.array(fc.oneof(tagLike, fc.record({ TagKey: fc.string({ maxLength: 4 }), TagValue: fc.string({ maxLength: 4 }) })), {
      maxLength: 3,
    }),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<() => unknown>(
        () => [null],
        () => [undefined],
        () => [, 'after a hole'],
        () => [, { TagKey: 'k', TagValue: 'v' }],
        () => Array(3),
        () => Array(2 ** 32 - 1),
        () => Object.assign(Array(2 ** 32 - 1), { 5: 'x' }),
        () => Array(11).fill('t'),
        () => [{ TagKey: 'k' }],
        () => [{ TagKey: 5, TagValue: {} }],
        () => [{ TagKey: 'aws:x', TagValue: 'v' }],
        () => [
          { TagKey: 'dup', TagValue: '1' },
          { TagKey: 'dup', TagValue: '2' },
        ],
        () => Array.from({ length: 51 }, (_, i) => ({ TagKey: `k${i}`, TagValue: 'v' })),
        () => Array.from({ length: 5000 }, (_, i) => ({ TagKey: `k${i}`, TagValue: 'v' })),
      )
      .map((make) => make()),
  },
);

interface World {
  kms: Kms;
  keyId: string;
  keyArn: string;
  otherKeyId: string;
  externalKeyId: string;
  blob: Uint8Array;
}

/** Valid (or nearly valid) values per member, so calls also get past validation into the operation. */
function goodValues(w: World): Record<string, readonly unknown[]> {
  const keyRefs = [
    w.keyId,
    w.keyArn,
    'alias/bad-input',
    w.keyArn.replace(`key/${w.keyId}`, 'alias/bad-input'),
    w.otherKeyId,
    w.externalKeyId,
    `mrk-${'0'.repeat(32)}`,
  ];
  return {
    KeyId: keyRefs,
    TargetKeyId: keyRefs,
    SourceKeyId: keyRefs,
    DestinationKeyId: keyRefs,
    AliasName: ['alias/bad-input', 'alias/another', 'alias/aws/reserved', 'bad-input', 'alias/with space'],
    Plaintext: [new Uint8Array(5), new Uint8Array(4096)],
    CiphertextBlob: [w.blob, w.blob.subarray(0, 70), new Uint8Array(64), new Uint8Array(6144)],
    EncryptionContext: [{ a: 'b' }, {}, { c: '' }],
    SourceEncryptionContext: [{ a: 'b' }, {}],
    DestinationEncryptionContext: [{ a: 'b' }, {}],
    GrantTokens: [['token'], [], Array(10).fill('t')],
    EncryptionAlgorithm: ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_256', 'SM2PKE'],
    SourceEncryptionAlgorithm: ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1'],
    DestinationEncryptionAlgorithm: ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1'],
    DryRun: [true, false],
    DryRunModifiers: [['IGNORE_CIPHERTEXT'], []],
    NumberOfBytes: [1, 32, 1024],
    KeySpec: ['AES_256', 'AES_128', 'SYMMETRIC_DEFAULT', 'HMAC_256', 'RSA_2048', 'ECC_NIST_P256', 'ML_DSA_44'],
    KeyUsage: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT'],
    CustomerMasterKeySpec: ['SYMMETRIC_DEFAULT', 'RSA_2048'],
    Policy: ['{}', '[]', 'not json', '{"Version":"2012-10-17","Statement":[]}', `{"a":"${'x'.repeat(33_000)}"}`],
    Description: ['a description', ''],
    Origin: ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM'],
    WrappingAlgorithm: ['RSAES_OAEP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_1', 'RSAES_PKCS1_V1_5', 'SM2PKE'],
    WrappingKeySpec: ['RSA_2048', 'SM2'],
    ImportToken: [new Uint8Array(33), new Uint8Array(1)],
    EncryptedKeyMaterial: [new Uint8Array(256), new Uint8Array(6144)],
    ValidTo: [new Date(Date.now() + 86_400_000), new Date(0), new Date(Number.NaN)],
    ExpirationModel: ['KEY_MATERIAL_EXPIRES', 'KEY_MATERIAL_DOES_NOT_EXPIRE'],
    ImportType: ['NEW_KEY_MATERIAL', 'EXISTING_KEY_MATERIAL'],
    KeyMaterialDescription: ['desc', ''],
    KeyMaterialId: ['a'.repeat(64), 'xyz'],
    CustomKeyStoreId: ['cks-1234567890abcdef0'],
    XksKeyId: ['xks-key'],
    BypassPolicyLockoutSafetyCheck: [true],
    MultiRegion: [true, false],
    ReplicaRegion: ['eu-west-1', 'us-east-1', 'cn-north-1', 'Mars'],
    PrimaryRegion: ['eu-west-1', 'us-east-1'],
    Tags: [[{ TagKey: 'k', TagValue: 'v' }], []],
    TagKeys: [['k'], ['aws:k'], []],
    Limit: [1, 50, 1000],
    Marker: ['keys:abc', 'aliases:alias%2Fa', 'tags:k', 'rotations:0', 'bogus', 'keys:%E0%A4%A'],
    RotationPeriodInDays: [90, 365, 2560],
    PendingWindowInDays: [7, 30],
    IncludeKeyMaterial: ['ALL_KEY_MATERIAL', 'ROTATIONS_ONLY'],
    Recipient: [{ KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: new Uint8Array(4) }, {}],
  };
}

/** One member's value: something from the junk pool, or the n-th good value for the member. */
type Slot = { junk: unknown } | { good: number };
const slot: fc.Arbitrary<Slot> = fc.oneof(
  { weight: 3, arbitrary: junk.map((value) => ({ junk: value })) },
  { weight: 2, arbitrary: fc.nat().map((good) => ({ good })) },
);

/** A whole input: arbitrary, or shaped like the operation's request. */
type InputPlan =
  | { kind: 'raw'; value: unknown }
  | { kind: 'shaped'; members: Array<[string, Slot]>; extra: Array<[string, unknown]>; nullProto: boolean };

function planArb(method: string): fc.Arbitrary<InputPlan> {
  const fields = FIELDS[method] ?? [];
  const members = fc
    .shuffledSubarray([...fields], { minLength: 0 })
    .chain((names) => fc.tuple(...names.map((n) => slot.map((s) => [n, s] as [string, Slot]))));
  const shaped = fc.record({
    kind: fc.constant('shaped' as const),
    members: members.map((m) => [...m]),
    extra: fc.array(fc.tuple(fc.constantFrom('Unknown', 'keyId', 'KEYID', '__proto__', 'constructor'), junk), { maxLength: 2 }),
    nullProto: fc.boolean(),
  });
  return fc.oneof(
    { weight: 1, arbitrary: fc.oneof(junk, fc.constant({})).map((value) => ({ kind: 'raw' as const, value })) },
    { weight: 4, arbitrary: shaped },
  );
}

function buildInput(plan: InputPlan, w: World): unknown {
  if (plan.kind === 'raw') return plan.value;
  const good = goodValues(w);
  const input: Record<string, unknown> = plan.nullProto ? Object.create(null) : {};
  for (const [name, s] of plan.members) {
    const pool = good[name] ?? [undefined];
    input[name] = 'junk' in s ? s.junk : pool[s.good % pool.length];
  }
  for (const [name, value] of plan.extra)
    Object.defineProperty(input, name, { value, enumerable: true, configurable: true, writable: true });
  return input;
}

// ---------------------------------------------------------------------------------------------
// checks

async function world(): Promise<World> {
  const kms = new Kms();
  const { KeyMetadata } = await kms.createKey({ Description: 'bad-input', Tags: [{ TagKey: 'k', TagValue: 'v' }] });
  // A multi-Region key, so ReplicateKey and UpdatePrimaryRegion get past the key checks too.
  const other = await kms.createKey({ MultiRegion: true });
  await kms.createAlias({ AliasName: 'alias/bad-input', TargetKeyId: KeyMetadata!.KeyId! });
  // A key for imported material (PendingImport), so the import operations get past the key checks too.
  const external = await kms.createKey({ Origin: 'EXTERNAL' });
  const { CiphertextBlob } = await kms.encrypt({
    KeyId: KeyMetadata!.KeyId!,
    Plaintext: new Uint8Array([1, 2, 3]),
    EncryptionContext: { a: 'b' },
  });
  return {
    kms,
    keyId: KeyMetadata!.KeyId!,
    keyArn: KeyMetadata!.Arn!,
    otherKeyId: other.KeyMetadata!.KeyId!,
    externalKeyId: external.KeyMetadata!.KeyId!,
    blob: CiphertextBlob!,
  };
}

function show(value: unknown): string {
  return util.inspect(value, { depth: 3, maxArrayLength: 8, maxStringLength: 60, breakLength: Infinity });
}

function expectAwsError(error: unknown, context: string): void {
  const e = error as KMSServiceException;
  const detail = () =>
    `${context} rejected with ${e?.constructor?.name}/${String(e?.name)}: ${String(e?.message)}` +
    (e?.cause !== undefined ? ` (cause: ${String((e.cause as Error)?.stack ?? e.cause)})` : '');
  if (!(error instanceof KMSServiceException)) expect.fail(`not a KMSServiceException: ${detail()}`);
  if (!Object.hasOwn(EXCEPTIONS, e.name)) expect.fail(`not an AWS exception name: ${detail()}`);
  if (e.name === 'KMSInternalException') expect.fail(`internal error (a raw error escaped the operation): ${detail()}`);
  const cls = EXCEPTIONS[e.name as keyof typeof EXCEPTIONS];
  if (Object.getPrototypeOf(e) !== cls.prototype) expect.fail(`not a real ${e.name} instance: ${detail()}`);
  expect(e).toBeInstanceOf(Error);
  expect(typeof e.message).toBe('string');
  expect(e.$fault).toBe(cls.fault);
  expect(e.$metadata.httpStatusCode).toBe(cls.fault === 'client' ? 400 : e.$metadata.httpStatusCode);
  expect(typeof e.$metadata.requestId).toBe('string');
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

async function settle(call: () => unknown, context: string): Promise<Outcome> {
  let promise: unknown;
  try {
    promise = call();
  } catch (error) {
    return expect.fail(`${context} threw synchronously: ${String(error)}`);
  }
  if (!(promise instanceof Promise)) return expect.fail(`${context} did not return a promise`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), CALL_TIMEOUT_MS);
  });
  try {
    const result = await Promise.race([
      promise.then(
        (value: unknown): Outcome => ({ ok: true, value }),
        (error: unknown): Outcome => ({ ok: false, error }),
      ),
      hang,
    ]);
    if (result === 'hung') return expect.fail(`${context} did not settle within ${CALL_TIMEOUT_MS} ms`);
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/** Calls `kms[method](input)`: it resolves, or rejects with a proper AWS exception. */
async function callAndCheck(kms: Kms, method: string, input: unknown): Promise<Outcome> {
  const context = `${method}(${show(input)})`;
  const outcome = await settle(() => (kms as unknown as Record<string, (i: unknown) => unknown>)[method]!.call(kms, input), context);
  if (!outcome.ok) expectAwsError(outcome.error, context);
  else expect(outcome.value, context).toMatchObject({ $metadata: { httpStatusCode: 200 } });
  return outcome;
}

/** After any call, the store is still sound: every read operation works on every key, and the records are JSON-safe. */
async function expectHealthy(w: World, after: string): Promise<void> {
  const state = await w.kms.provider.read((s) => s);
  expect(JSON.parse(JSON.stringify(state)), `records are JSON-safe after ${after}`).toEqual(state);
  const ctx = `after ${after}:`;
  const keys = await callAndCheck(w.kms, 'listKeys', { Limit: 1000 });
  await callAndCheck(w.kms, 'listAliases', {});
  if (!keys.ok) return;
  for (const { KeyId } of (keys.value as { Keys: Array<{ KeyId: string }> }).Keys) {
    for (const method of ['describeKey', 'listResourceTags', 'getKeyRotationStatus', 'listKeyRotations', 'listAliases']) {
      const outcome = await settle(
        () => (w.kms as unknown as Record<string, (i: unknown) => Promise<unknown>>)[method]!({ KeyId }),
        `${ctx} ${method}`,
      );
      if (!outcome.ok) expectAwsError(outcome.error, `${ctx} ${method}(${KeyId})`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// tests

test('the member table covers every Kms method, and every method is in a family', () => {
  expect(Object.keys(FIELDS).sort()).toEqual([...METHODS].sort());
  expect(Object.values(FAMILIES).flat().sort()).toEqual([...METHODS].sort());
});

describe.each(Object.entries(FAMILIES))('bad input to the %s methods', (_family, methods) => {
  const perMethod = Math.max(1, Math.floor(FAMILY_BUDGET / methods.length));
  test.each(methods)(
    '%s',
    async (method) => {
      await fc.assert(
        fc.asyncProperty(planArb(method), async (plan) => {
          const w = await world();
          const input = buildInput(plan, w);
          await callAndCheck(w.kms, method, input);
          await expectHealthy(w, `${method}(${show(input)})`);
        }),
        { numRuns: runs(perMethod) },
      );
    },
    timeout(30_000),
  );
});

describe('bad input to send', () => {
  const commandClasses = Object.entries(kmsbox)
    .filter(([name, value]) => name.endsWith('Command') && name !== 'KmsCommand' && typeof value === 'function')
    .map(([, value]) => value as new (input: unknown) => object);

  test('exported command classes cover every method', () => {
    expect(commandClasses.length).toBe(METHODS.length);
  });

  test(
    'arbitrary commands and command objects with arbitrary input',
    async () => {
      class EncryptCommand {
        constructor(readonly input: unknown) {}
      }
      class NotACommand {
        constructor(readonly input: unknown) {}
      }
      const command = fc.oneof(
        junk,
        fc
          .tuple(fc.constantFrom(...commandClasses, EncryptCommand, NotACommand), fc.oneof(junk, fc.constant({})))
          .map(([Cls, input]) => new Cls(input)),
        fc.record({ input: junk }),
        fc.constantFrom(
          { constructor: { name: 'EncryptCommand' }, input: {} },
          { constructor: null },
          { constructor: { name: 5 } },
          Object.create(null),
        ),
      );
      const w = await world();
      await fc.assert(
        fc.asyncProperty(command, async (cmd) => {
          const context = `send(${show(cmd)})`;
          const outcome = await settle(() => w.kms.send(cmd as { input?: unknown }), context);
          if (!outcome.ok) expectAwsError(outcome.error, context);
        }),
        { numRuns: runs(300) },
      );
      await expectHealthy(w, 'send');
    },
    timeout(30_000),
  );
});
