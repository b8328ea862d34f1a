// Issue #13 §4: every AWS KMS operation and enum value of the installed @aws-sdk/client-kms, derived
// from the SDK itself (not from a list written here), reaches kmsbox through the real SDK client and
// is answered: a result or one of the SDK's modeled exceptions, never UnknownOperationException.
// What kmsbox refuses on purpose is one table below, each with its reason (docs/aws-behaviour.md,
// "What kmsbox does not implement").
import * as sdk from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import * as kmsboxExports from 'kmsbox';
import { createRequestHandler, Kms } from 'kmsbox';
import { OPERATION_NAMES, UNIMPLEMENTED_OPERATIONS } from '../../src/api/operations.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const clientFor = (kms: Kms) =>
  new sdk.KMSClient({ region: 'us-east-1', credentials, requestHandler: createRequestHandler(kms), maxAttempts: 1 });

/** Any SDK command class; its input is checked by kmsbox, not by the compiler, here. */
type CommandClass = new (input: never) => unknown;
type SendableCommand = Parameters<sdk.KMSClient['send']>[0];
const sdkRecord = sdk as unknown as Record<string, unknown>;
const COMMANDS: [string, CommandClass][] = Object.entries(sdkRecord)
  .filter(([name, value]) => /^[A-Z]\w+Command$/.test(name) && typeof value === 'function')
  .map(([name, value]) => [name.slice(0, -'Command'.length), value as CommandClass]);
/** The errors every AWS JSON service may answer, outside each service's model (AWS "Common Errors"). */
const COMMON_ERRORS = ['ValidationException', 'AccessDeniedException'];
const isModeledException = (name: string): boolean => {
  if (COMMON_ERRORS.includes(name)) return true;
  const value = sdkRecord[name];
  return typeof value === 'function' && value.prototype instanceof sdk.KMSServiceException;
};

/** What a request answered: its result, or the name and message of the exception the SDK raised. */
async function answer(client: sdk.KMSClient, command: CommandClass, input: Record<string, unknown>) {
  try {
    await client.send(new (command as unknown as new (i: Record<string, unknown>) => SendableCommand)(input));
    return { ok: true as const };
  } catch (e) {
    expect(e, 'the SDK raises its own exception classes, never a raw error').toBeInstanceOf(sdk.KMSServiceException);
    const error = e as sdk.KMSServiceException;
    expect(isModeledException(error.name), `${error.name} is one of the SDK's modeled exceptions or a common error`).toBe(true);
    expect(error.message.length).toBeGreaterThan(0);
    return { ok: false as const, name: error.name, message: error.message };
  }
}

describe('every operation of @aws-sdk/client-kms reaches kmsbox', () => {
  it('the SDK has the commands the table and the unimplemented list account for', () => {
    // A new SDK operation fails here until it is in the table or in UNIMPLEMENTED_OPERATIONS.
    expect(COMMANDS.map(([name]) => name).sort()).toEqual([...OPERATION_NAMES, ...UNIMPLEMENTED_OPERATIONS].sort());
    expect(COMMANDS.length).toBe(56); // @aws-sdk/client-kms 3.1164
  });

  it.each(COMMANDS)('%s answers a result or a modeled exception, never UnknownOperationException', async (name, command) => {
    const kms = new Kms();
    const client = clientFor(kms);
    const { KeyMetadata } = await kms.createKey({});
    for (const input of [{}, { KeyId: KeyMetadata!.KeyId }]) {
      const out = await answer(client, command, input);
      if (!out.ok) expect(out.name).not.toBe('UnknownOperationException');
      if (UNIMPLEMENTED_OPERATIONS.includes(name)) {
        expect(out).toEqual({ ok: false, name: 'UnsupportedOperationException', message: `kmsbox does not implement ${name} yet.` });
      } else if (!out.ok) {
        // An implemented operation may be UnsupportedOperationException as AWS's is (GetPublicKey on a
        // symmetric key), never kmsbox's "does not implement".
        expect(out.message).not.toMatch(/does not implement/);
      }
    }
  });
});

describe('every enum value of @aws-sdk/client-kms', () => {
  const sdkEnums = Object.entries(sdkRecord).filter(
    (entry): entry is [string, Record<string, string>] =>
      typeof entry[1] === 'object' && entry[1] !== null && Object.values(entry[1]).every((v) => typeof v === 'string'),
  );
  // Enums of features kmsbox answers as absent: it has no custom key stores (docs/aws-behaviour.md#custom-key-stores)
  // and does not implement GetKeyLastUsage.
  const notExported = [
    'ConnectionErrorCodeType',
    'ConnectionStateType',
    'CustomKeyStoreType',
    'KeyLastUsageTrackingOperation',
    'XksProxyConnectivityType',
  ];

  it('kmsbox exports each enum with exactly the SDK values (but those of features it answers as absent)', () => {
    const mine = kmsboxExports as unknown as Record<string, unknown>;
    expect(sdkEnums.length).toBeGreaterThan(20);
    for (const [name, values] of sdkEnums) {
      if (notExported.includes(name)) {
        expect(mine[name], name).toBeUndefined();
        continue;
      }
      expect(Object.values(mine[name] as Record<string, string>).sort(), name).toEqual(Object.values(values).sort());
    }
  });
});

/**
 * Values kmsbox refuses on purpose, each with the answer and why (docs/aws-behaviour.md, "What kmsbox
 * does not implement"). Every other value the probes below carry is accepted.
 */
const SM2 = 'SM2 (ShangMi) exists only in the AWS China Regions, which kmsbox does not model';
const ML_KEM = 'ML-KEM keys (Encapsulate, Decapsulate) are not implemented';
const CUSTOM_KEY_STORES = 'kmsbox has no custom key stores';
const unsupported = (reason: string, message: string) => ({ exception: 'UnsupportedOperationException', message, reason });
const REFUSED_ON_PURPOSE: Record<string, { exception: string; message: string; reason: string }> = {
  'KeySpec.SM2': unsupported(SM2, 'KeySpec SM2 is not supported by kmsbox (China Regions only).'),
  'CustomerMasterKeySpec.SM2': unsupported(SM2, 'KeySpec SM2 is not supported by kmsbox (China Regions only).'),
  'KeySpec.ML_KEM_512': unsupported(ML_KEM, 'KeyUsage ENCAPSULATE_DECAPSULATE for KeySpec ML_KEM_512 is not supported by kmsbox yet.'),
  'KeySpec.ML_KEM_768': unsupported(ML_KEM, 'KeyUsage ENCAPSULATE_DECAPSULATE for KeySpec ML_KEM_768 is not supported by kmsbox yet.'),
  'KeySpec.ML_KEM_1024': unsupported(ML_KEM, 'KeyUsage ENCAPSULATE_DECAPSULATE for KeySpec ML_KEM_1024 is not supported by kmsbox yet.'),
  'KeyUsageType.ENCAPSULATE_DECAPSULATE': unsupported(
    ML_KEM,
    'KeyUsage ENCAPSULATE_DECAPSULATE for KeySpec ML_KEM_768 is not supported by kmsbox yet.',
  ),
  'OriginType.AWS_CLOUDHSM': unsupported(CUSTOM_KEY_STORES, 'Origin AWS_CLOUDHSM needs a custom key store, which kmsbox does not support.'),
  'OriginType.EXTERNAL_KEY_STORE': unsupported(
    CUSTOM_KEY_STORES,
    'Origin EXTERNAL_KEY_STORE needs a custom key store, which kmsbox does not support.',
  ),
  'DataKeyPairSpec.SM2': unsupported(SM2, 'KeyPairSpec SM2 is not supported by kmsbox (China Regions only).'),
  'DataKeyPairSpec.ML_KEM_512': unsupported(ML_KEM, 'KeyPairSpec ML_KEM_512 is not supported by kmsbox yet.'),
  'DataKeyPairSpec.ML_KEM_768': unsupported(ML_KEM, 'KeyPairSpec ML_KEM_768 is not supported by kmsbox yet.'),
  'DataKeyPairSpec.ML_KEM_1024': unsupported(ML_KEM, 'KeyPairSpec ML_KEM_1024 is not supported by kmsbox yet.'),
  'WrappingKeySpec.SM2': unsupported(SM2, 'The SM2PKE wrapping algorithm and SM2 wrapping keys are supported in China Regions only.'),
  'AlgorithmSpec.SM2PKE': unsupported(SM2, 'The SM2PKE wrapping algorithm and SM2 wrapping keys are supported in China Regions only.'),
  // As AWS: RSAES_PKCS1_V1_5 wrapping was withdrawn (API_GetParametersForImport.html, WrappingAlgorithm).
  'AlgorithmSpec.RSAES_PKCS1_V1_5': {
    exception: 'ValidationException',
    message:
      'The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported. Use RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1, RSA_AES_KEY_WRAP_SHA_256 or RSA_AES_KEY_WRAP_SHA_1.',
    reason: 'AWS KMS no longer supports it',
  },
  // The SM2 algorithms need an SM2 key, which CreateKey refuses; on any other key they are AWS's InvalidKeyUsageException.
  'EncryptionAlgorithmSpec.SM2PKE': {
    exception: 'InvalidKeyUsageException',
    message: 'Algorithm SM2PKE is incompatible with key spec RSA_2048.',
    reason: SM2,
  },
  'SigningAlgorithmSpec.SM2DSA': {
    exception: 'InvalidKeyUsageException',
    message: 'Algorithm SM2DSA is incompatible with key spec ECC_NIST_P256.',
    reason: SM2,
  },
};

type Probe = (kms: Kms, value: string) => Promise<{ command: CommandClass; input: Record<string, unknown> }>;
const keyId = async (kms: Kms, KeySpec: string, KeyUsage: string, Origin?: string): Promise<string> =>
  (await kms.createKey({ KeySpec, KeyUsage, ...(Origin ? { Origin } : {}) } as Parameters<Kms['createKey']>[0])).KeyMetadata!.KeyId!;
const KEY_USAGE_OF_SPEC = (spec: string): string =>
  spec.startsWith('HMAC')
    ? 'GENERATE_VERIFY_MAC'
    : spec.startsWith('ML_KEM')
      ? 'ENCAPSULATE_DECAPSULATE'
      : spec === 'SYMMETRIC_DEFAULT' || spec.startsWith('RSA')
        ? 'ENCRYPT_DECRYPT'
        : 'SIGN_VERIFY';
const SPEC_OF_USAGE: Record<string, string> = {
  ENCRYPT_DECRYPT: 'SYMMETRIC_DEFAULT',
  SIGN_VERIFY: 'ECC_NIST_P256',
  GENERATE_VERIFY_MAC: 'HMAC_256',
  KEY_AGREEMENT: 'ECC_NIST_P256',
  ENCAPSULATE_DECAPSULATE: 'ML_KEM_768',
};
/** The key spec each signing algorithm needs (SM2DSA: an SM2 key, which kmsbox does not create; P-256 stands in). */
const SIGNING_KEY: Record<string, string> = {
  ECDSA_SHA_256: 'ECC_NIST_P256',
  ECDSA_SHA_384: 'ECC_NIST_P384',
  ECDSA_SHA_512: 'ECC_NIST_P521',
  ED25519_SHA_512: 'ECC_NIST_EDWARDS25519',
  ED25519_PH_SHA_512: 'ECC_NIST_EDWARDS25519',
  ML_DSA_SHAKE_256: 'ML_DSA_44',
  SM2DSA: 'ECC_NIST_P256',
};
/** One probe per enum: a request through the SDK that carries the value where AWS reads it. */
const PROBES: Record<string, Probe> = {
  KeySpec: async (_, v) => ({ command: sdk.CreateKeyCommand, input: { KeySpec: v, KeyUsage: KEY_USAGE_OF_SPEC(v) } }),
  CustomerMasterKeySpec: async (_, v) => ({
    command: sdk.CreateKeyCommand,
    input: { CustomerMasterKeySpec: v, KeyUsage: KEY_USAGE_OF_SPEC(v) },
  }),
  KeyUsageType: async (_, v) => ({ command: sdk.CreateKeyCommand, input: { KeyUsage: v, KeySpec: SPEC_OF_USAGE[v] } }),
  OriginType: async (_, v) => ({ command: sdk.CreateKeyCommand, input: { Origin: v } }),
  DataKeySpec: async (kms, v) => ({
    command: sdk.GenerateDataKeyWithoutPlaintextCommand,
    input: { KeyId: await keyId(kms, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'), KeySpec: v },
  }),
  DataKeyPairSpec: async (kms, v) => ({
    command: sdk.GenerateDataKeyPairWithoutPlaintextCommand,
    input: { KeyId: await keyId(kms, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'), KeyPairSpec: v },
  }),
  EncryptionAlgorithmSpec: async (kms, v) => ({
    command: sdk.EncryptCommand,
    input: {
      KeyId: await keyId(kms, v === 'SYMMETRIC_DEFAULT' ? 'SYMMETRIC_DEFAULT' : 'RSA_2048', 'ENCRYPT_DECRYPT'),
      Plaintext: new Uint8Array([1]),
      EncryptionAlgorithm: v,
    },
  }),
  SigningAlgorithmSpec: async (kms, v) => ({
    command: sdk.SignCommand,
    input: {
      KeyId: await keyId(kms, SIGNING_KEY[v] ?? 'RSA_2048', 'SIGN_VERIFY'),
      ...(v === 'ED25519_PH_SHA_512' ? { Message: new Uint8Array(64), MessageType: 'DIGEST' } : { Message: new Uint8Array([1]) }),
      SigningAlgorithm: v,
    },
  }),
  MessageType: async (kms, v) => ({
    command: sdk.SignCommand,
    input: {
      KeyId: await keyId(kms, v === 'EXTERNAL_MU' ? 'ML_DSA_44' : 'ECC_NIST_P256', 'SIGN_VERIFY'),
      Message: new Uint8Array(v === 'RAW' ? 1 : v === 'DIGEST' ? 32 : 64),
      MessageType: v,
      SigningAlgorithm: v === 'EXTERNAL_MU' ? 'ML_DSA_SHAKE_256' : 'ECDSA_SHA_256',
    },
  }),
  MacAlgorithmSpec: async (kms, v) => ({
    command: sdk.GenerateMacCommand,
    input: {
      KeyId: await keyId(kms, `HMAC_${v.slice('HMAC_SHA_'.length)}`, 'GENERATE_VERIFY_MAC'),
      Message: new Uint8Array([1]),
      MacAlgorithm: v,
    },
  }),
  KeyAgreementAlgorithmSpec: async (kms, v) => {
    const other = await keyId(kms, 'ECC_NIST_P256', 'KEY_AGREEMENT');
    const { PublicKey } = await kms.getPublicKey({ KeyId: other });
    return {
      command: sdk.DeriveSharedSecretCommand,
      input: { KeyId: await keyId(kms, 'ECC_NIST_P256', 'KEY_AGREEMENT'), KeyAgreementAlgorithm: v, PublicKey },
    };
  },
  WrappingKeySpec: async (kms, v) => ({
    command: sdk.GetParametersForImportCommand,
    input: {
      KeyId: await keyId(kms, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'EXTERNAL'),
      WrappingKeySpec: v,
      WrappingAlgorithm: v === 'SM2' ? 'SM2PKE' : 'RSAES_OAEP_SHA_256',
    },
  }),
  AlgorithmSpec: async (kms, v) => ({
    command: sdk.GetParametersForImportCommand,
    input: {
      KeyId: await keyId(kms, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'EXTERNAL'),
      WrappingKeySpec: v === 'SM2PKE' ? 'SM2' : 'RSA_2048',
      WrappingAlgorithm: v,
    },
  }),
  IncludeKeyMaterial: async (kms, v) => ({
    command: sdk.ListKeyRotationsCommand,
    input: { KeyId: await keyId(kms, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'), IncludeKeyMaterial: v },
  }),
};

describe.each(Object.keys(PROBES))('%s: each value accepted, or refused on purpose', (enumName) => {
  const values = Object.values(sdkRecord[enumName] as Record<string, string>);
  it.each(values)('%s', { timeout: 60_000 }, async (value) => {
    const kms = new Kms();
    const { command, input } = await PROBES[enumName]!(kms, value);
    const out = await answer(clientFor(kms), command, input);
    const refused = REFUSED_ON_PURPOSE[`${enumName}.${value}`];
    if (refused === undefined) expect(out).toEqual({ ok: true });
    else expect(out).toEqual({ ok: false, name: refused.exception, message: refused.message });
  });
});

describe('GrantOperation: every value of the SDK is a valid grant operation', () => {
  const operations = Object.values(sdk.GrantOperation);
  const keyOf: Record<string, { KeySpec: string; KeyUsage: string }> = {
    symmetric: { KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' },
    signing: { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' },
    mac: { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' },
    agreement: { KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' },
  };
  it.each(operations)('%s passes the enum check; on a key that lacks it, the refusal names the key', async (operation) => {
    const kms = new Kms();
    const client = clientFor(kms);
    const outcomes: string[] = [];
    for (const spec of Object.values(keyOf)) {
      const { KeyMetadata } = await kms.createKey(spec as Parameters<Kms['createKey']>[0]);
      const out = await answer(client, sdk.CreateGrantCommand, {
        KeyId: KeyMetadata!.KeyId,
        GranteePrincipal: 'arn:aws:iam::111122223333:role/app',
        Operations: [operation],
      });
      if (out.ok) outcomes.push('granted');
      else {
        expect(out.name).toBe('ValidationException');
        expect(out.message).toBe(
          `Grant operations ${operation} are not valid for a key with KeySpec ${spec.KeySpec} and KeyUsage ${spec.KeyUsage}.`,
        );
        outcomes.push('not on this key');
      }
    }
    // Encapsulate and Decapsulate need an ML-KEM key, which kmsbox does not create.
    expect(outcomes.includes('granted')).toBe(!['Encapsulate', 'Decapsulate'].includes(operation));
  });
});

// https://docs.aws.amazon.com/kms/latest/APIReference/API_ListRetirableGrants.html: RetiringPrincipal
// is optional in the model since RetiringServicePrincipal joined it; a request names exactly one.
describe('ListRetirableGrants through the SDK', () => {
  const retiring = 'arn:aws:iam::111122223333:role/retirer';
  async function setUp() {
    const kms = new Kms();
    const { KeyMetadata } = await kms.createKey({});
    const { GrantId } = await kms.createGrant({
      KeyId: KeyMetadata!.KeyId,
      GranteePrincipal: 'arn:aws:iam::111122223333:role/app',
      RetiringPrincipal: retiring,
      Operations: ['Decrypt'],
    });
    return { client: clientFor(kms), GrantId };
  }

  it('lists the grants a RetiringPrincipal may retire', async () => {
    const { client, GrantId } = await setUp();
    const out = await client.send(new sdk.ListRetirableGrantsCommand({ RetiringPrincipal: retiring }));
    expect(out.Grants?.map((g) => g.GrantId)).toEqual([GrantId]);
    const other = await client.send(new sdk.ListRetirableGrantsCommand({ RetiringPrincipal: 'arn:aws:iam::111122223333:role/other' }));
    expect(other.Grants).toEqual([]);
  });

  it.each([
    ['neither principal', {}, 'Specify either RetiringPrincipal or RetiringServicePrincipal, but not both.'],
    [
      'both principals',
      { RetiringPrincipal: retiring, RetiringServicePrincipal: 'example.amazonaws.com' },
      'Specify either RetiringPrincipal or RetiringServicePrincipal, but not both.',
    ],
    [
      'a service principal (for callers in a service principal, which kmsbox never has)',
      { RetiringServicePrincipal: 'example.amazonaws.com' },
      'Service principals are not supported by kmsbox: use RetiringPrincipal.',
    ],
  ])('%s is ValidationException', async (_, input, message) => {
    const { client } = await setUp();
    expect(await answer(client, sdk.ListRetirableGrantsCommand, input)).toEqual({ ok: false, name: 'ValidationException', message });
  });

  it('the Kms method, called with no input, answers the same ValidationException', async () => {
    const error = await new Kms().listRetirableGrants().catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'ValidationException',
      message: 'Specify either RetiringPrincipal or RetiringServicePrincipal, but not both.',
    });
  });

  it('RetiringServicePrincipal is checked as a principal is (1 to 256 characters)', async () => {
    const { client } = await setUp();
    const out = await answer(client, sdk.ListRetirableGrantsCommand, { RetiringServicePrincipal: '' });
    expect(out).toMatchObject({
      ok: false,
      name: 'ValidationException',
      message: expect.stringContaining("at 'retiringServicePrincipal'"),
    });
  });
});

it('every value refused on purpose is one of the SDK and is reached by a probe', () => {
  for (const entry of Object.keys(REFUSED_ON_PURPOSE)) {
    const [enumName, value] = entry.split('.') as [string, string];
    expect(Object.keys(PROBES), entry).toContain(enumName);
    expect(Object.values(sdkRecord[enumName] as Record<string, string>), entry).toContain(value);
  }
});

// Request members of implemented operations that kmsbox refuses on purpose (Nitro Enclaves
// attestation; custom key stores): UnsupportedOperationException through the SDK.
describe('members refused on purpose', () => {
  const recipient = { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: new Uint8Array([1]) };
  const attestation = 'Recipient (Nitro Enclaves attestation) is not supported by kmsbox.';
  const cases: [string, string, (kms: Kms) => Promise<{ command: CommandClass; input: Record<string, unknown> }>][] = [
    [
      'GenerateRandom Recipient',
      attestation,
      async () => ({ command: sdk.GenerateRandomCommand, input: { NumberOfBytes: 16, Recipient: recipient } }),
    ],
    [
      'GenerateDataKey Recipient',
      attestation,
      async (kms) => ({
        command: sdk.GenerateDataKeyCommand,
        input: { KeyId: await keyId(kms, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'), KeySpec: 'AES_256', Recipient: recipient },
      }),
    ],
    [
      'Decrypt Recipient',
      attestation,
      async (kms) => {
        const KeyId = await keyId(kms, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT');
        const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: new Uint8Array([1]) });
        return { command: sdk.DecryptCommand, input: { CiphertextBlob, Recipient: recipient } };
      },
    ],
  ];
  it.each(cases)('%s', async (_, message, probe) => {
    const kms = new Kms();
    const { command, input } = await probe(kms);
    const out = await answer(clientFor(kms), command, input);
    expect(out).toEqual({ ok: false, name: 'UnsupportedOperationException', message });
  });
});

// A custom key store id anywhere is answered as an account without custom key stores would answer it.
describe('a custom key store id in CreateKey or GenerateRandom', () => {
  const notFound = 'Custom key store cks-1234567890abcdef0 does not exist in this account and Region.';
  it.each([
    [
      'CreateKey CustomKeyStoreId',
      sdk.CreateKeyCommand,
      { CustomKeyStoreId: 'cks-1234567890abcdef0' },
      'CustomKeyStoreNotFoundException',
      notFound,
    ],
    [
      'CreateKey Origin AWS_CLOUDHSM with a store id',
      sdk.CreateKeyCommand,
      { Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: 'cks-1234567890abcdef0' },
      'CustomKeyStoreNotFoundException',
      notFound,
    ],
    [
      'CreateKey Origin EXTERNAL_KEY_STORE with a store id and XksKeyId',
      sdk.CreateKeyCommand,
      { Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: 'cks-1234567890abcdef0', XksKeyId: 'k1' },
      'CustomKeyStoreNotFoundException',
      notFound,
    ],
    [
      'CreateKey Origin AWS_CLOUDHSM without a store id',
      sdk.CreateKeyCommand,
      { Origin: 'AWS_CLOUDHSM' },
      'UnsupportedOperationException',
      'Origin AWS_CLOUDHSM needs a custom key store, which kmsbox does not support.',
    ],
    [
      'CreateKey XksKeyId without a store id',
      sdk.CreateKeyCommand,
      { XksKeyId: 'k1' },
      'UnsupportedOperationException',
      'XksKeyId names a key in an external key store, which kmsbox does not support.',
    ],
    [
      'GenerateRandom CustomKeyStoreId',
      sdk.GenerateRandomCommand,
      { NumberOfBytes: 16, CustomKeyStoreId: 'cks-1234567890abcdef0' },
      'CustomKeyStoreNotFoundException',
      notFound,
    ],
  ] as const)('%s', async (_, command, input, name, message) => {
    const kms = new Kms();
    const out = await answer(clientFor(kms), command as unknown as CommandClass, { ...input });
    expect(out).toEqual({ ok: false, name, message });
    expect((await kms.listKeys({})).Keys).toEqual([]);
  });
});

describe('ListGrants GranteeServicePrincipal through the SDK', () => {
  it('matches no grant: kmsbox grants have no service principal grantees', async () => {
    const kms = new Kms();
    const { KeyMetadata } = await kms.createKey({});
    const KeyId = KeyMetadata!.KeyId!;
    await kms.createGrant({ KeyId, GranteePrincipal: 'arn:aws:iam::111122223333:role/app', Operations: ['Decrypt'] });
    const client = clientFor(kms);
    expect((await client.send(new sdk.ListGrantsCommand({ KeyId }))).Grants).toHaveLength(1);
    const out = await client.send(new sdk.ListGrantsCommand({ KeyId, GranteeServicePrincipal: 'example.amazonaws.com' }));
    expect(out.Grants).toEqual([]);
    expect(out.Truncated).toBe(false);
    const bad = await answer(client, sdk.ListGrantsCommand, { KeyId, GranteeServicePrincipal: '' });
    expect(bad).toMatchObject({ ok: false, name: 'ValidationException', message: expect.stringContaining("at 'granteeServicePrincipal'") });
  });
});
