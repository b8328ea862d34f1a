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

type CommandClass = new (input: Record<string, unknown>) => Parameters<sdk.KMSClient['send']>[0];
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
    await client.send(new command(input));
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
 * Values kmsbox refuses on purpose, each with the exception it answers and why. Every other value
 * the probes below reach is accepted.
 */
const REFUSED_ON_PURPOSE: Record<string, { exception: string; reason: string }> = {
  'KeySpec.SM2': { exception: 'UnsupportedOperationException', reason: 'SM2 keys exist only in AWS China Regions' },
  'KeySpec.ML_KEM_512': { exception: 'UnsupportedOperationException', reason: 'ML-KEM keys (Encapsulate/Decapsulate) are not implemented' },
  'KeySpec.ML_KEM_768': { exception: 'UnsupportedOperationException', reason: 'ML-KEM keys (Encapsulate/Decapsulate) are not implemented' },
  'KeySpec.ML_KEM_1024': {
    exception: 'UnsupportedOperationException',
    reason: 'ML-KEM keys (Encapsulate/Decapsulate) are not implemented',
  },
  'KeyUsageType.ENCAPSULATE_DECAPSULATE': { exception: 'UnsupportedOperationException', reason: 'ML-KEM keys are not implemented' },
  'OriginType.AWS_CLOUDHSM': { exception: 'UnsupportedOperationException', reason: 'no custom key stores' },
  'OriginType.EXTERNAL_KEY_STORE': { exception: 'UnsupportedOperationException', reason: 'no custom key stores' },
};

/** One probe per enum: a request through the SDK that carries the value where AWS reads it. */
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
const PROBES: Record<string, (value: string) => Record<string, unknown> & { command: CommandClass }> = {
  KeySpec: (v) => ({ command: sdk.CreateKeyCommand, KeySpec: v, KeyUsage: KEY_USAGE_OF_SPEC(v) }),
  KeyUsageType: (v) => ({ command: sdk.CreateKeyCommand, KeyUsage: v, KeySpec: SPEC_OF_USAGE[v] }),
  OriginType: (v) => ({ command: sdk.CreateKeyCommand, Origin: v }),
};

describe.each(Object.keys(PROBES))('%s: each value accepted, or refused on purpose', (enumName) => {
  const values = Object.values(sdkRecord[enumName] as Record<string, string>);
  it.each(values)('%s', { timeout: 60_000 }, async (value) => {
    const { command, ...input } = PROBES[enumName]!(value);
    const out = await answer(clientFor(new Kms()), command, input);
    const refused = REFUSED_ON_PURPOSE[`${enumName}.${value}`];
    if (refused === undefined) expect(out).toEqual({ ok: true });
    else expect(out).toEqual({ ok: false, name: refused.exception, message: expect.any(String) });
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
