// Answers that used to differ from responses recorded from real AWS KMS (issue 13 §3), through Kms
// and through the real @aws-sdk/client-kms, and a scan that no error of any operation has an empty
// message (whatever way its input fails: shape, key existence, key state, usage, spec).
import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import {
  CreateKeyCommand,
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  DisabledException,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  KMSClient,
  ReplicateKeyCommand,
  RotateKeyOnDemandCommand,
  UnsupportedOperationException,
} from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { createRequestHandler, Kms, KMSServiceException, ManualClock } from 'kmsbox';
import { rejects, utf8 } from './helpers.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

function setup(region = 'us-east-1') {
  const kms = new Kms({ clock: new ManualClock(new Date('2026-05-01T12:00:00Z')), region });
  const client = (k: Kms, r: string) => new KMSClient({ region: r, credentials, requestHandler: createRequestHandler(k), maxAttempts: 1 });
  return { kms, client: client(kms, region), clientFor: client };
}

function wrap(publicKey: Uint8Array, material: Uint8Array): Uint8Array {
  const key = createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' });
  return new Uint8Array(publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, material));
}

const VALID_TO_MESSAGE = 'A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES';

describe('ImportKeyMaterial without ExpirationModel or ValidTo (AWS-recorded: the default model is KEY_MATERIAL_EXPIRES)', () => {
  it('Kms: ValidationException, and the key stays PendingImport', async () => {
    const { kms } = setup();
    const { KeyMetadata } = await kms.createKey({ Origin: 'EXTERNAL' });
    const KeyId = KeyMetadata!.KeyId!;
    const p = await kms.getParametersForImport({ KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
    const material = randomBytes(32);
    await rejects(
      () => kms.importKeyMaterial({ KeyId, ImportToken: p.ImportToken, EncryptedKeyMaterial: wrap(p.PublicKey!, material) }),
      'ValidationException',
      VALID_TO_MESSAGE,
    );
    await rejects(
      () =>
        kms.importKeyMaterial({
          KeyId,
          ImportToken: p.ImportToken,
          EncryptedKeyMaterial: wrap(p.PublicKey!, material),
          ExpirationModel: 'KEY_MATERIAL_EXPIRES',
        }),
      'ValidationException',
      VALID_TO_MESSAGE,
    );
    expect((await kms.describeKey({ KeyId })).KeyMetadata!.KeyState).toBe('PendingImport');
    // ValidTo alone: the default model, expiring.
    const ValidTo = new Date('2026-06-01T00:00:00Z');
    await kms.importKeyMaterial({ KeyId, ImportToken: p.ImportToken, EncryptedKeyMaterial: wrap(p.PublicKey!, material), ValidTo });
    expect((await kms.describeKey({ KeyId })).KeyMetadata).toMatchObject({
      KeyState: 'Enabled',
      ExpirationModel: 'KEY_MATERIAL_EXPIRES',
      ValidTo,
    });
  });

  it("the real SDK: ValidationException with AWS's message", async () => {
    const { client } = setup();
    const { KeyMetadata } = await client.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }));
    const p = await client.send(
      new GetParametersForImportCommand({
        KeyId: KeyMetadata!.KeyId,
        WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
        WrappingKeySpec: 'RSA_2048',
      }),
    );
    const err = await client
      .send(
        new ImportKeyMaterialCommand({
          KeyId: KeyMetadata!.KeyId,
          ImportToken: p.ImportToken,
          EncryptedKeyMaterial: wrap(p.PublicKey!, randomBytes(32)),
        }),
      )
      .catch((e: unknown) => e);
    expect((err as Error).name).toBe('ValidationException'); // not a modeled exception: the SDK makes a KMSServiceException
    expect((err as Error).message).toBe(VALID_TO_MESSAGE);
  });
});

describe('DescribeKey after DeleteImportedKeyMaterial still shows CurrentKeyMaterialId (AWS-recorded)', () => {
  it('through the real SDK', async () => {
    const { client } = setup();
    const { KeyMetadata } = await client.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }));
    const KeyId = KeyMetadata!.KeyId!;
    expect(KeyMetadata!.CurrentKeyMaterialId).toBeUndefined(); // nothing imported yet
    const p = await client.send(
      new GetParametersForImportCommand({ KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }),
    );
    const imported = await client.send(
      new ImportKeyMaterialCommand({
        KeyId,
        ImportToken: p.ImportToken,
        EncryptedKeyMaterial: wrap(p.PublicKey!, randomBytes(32)),
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      }),
    );
    await client.send(new DeleteImportedKeyMaterialCommand({ KeyId }));
    const md = (await client.send(new DescribeKeyCommand({ KeyId }))).KeyMetadata!;
    expect(md.KeyState).toBe('PendingImport');
    expect(md.CurrentKeyMaterialId).toBe(imported.KeyMaterialId);
    expect(md.ExpirationModel).toBeUndefined();
  });
});

describe('RotateKeyOnDemand checks the key state first (AWS-recorded)', () => {
  it('a disabled RSA key: DisabledException "<arn> is disabled.", through Kms and the real SDK', async () => {
    const { kms, client } = setup();
    const rsa = (await kms.createKey({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!;
    await kms.disableKey({ KeyId: rsa.KeyId! });
    await rejects(() => kms.rotateKeyOnDemand({ KeyId: rsa.KeyId! }), 'DisabledException', `${rsa.Arn} is disabled.`);
    const err = await client.send(new RotateKeyOnDemandCommand({ KeyId: rsa.KeyId })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DisabledException);
    expect((err as Error).message).toBe(`${rsa.Arn} is disabled.`);
    // Enabled again: the spec refusal, with a message.
    await kms.enableKey({ KeyId: rsa.KeyId! });
    const unsupported = await client.send(new RotateKeyOnDemandCommand({ KeyId: rsa.KeyId })).catch((e: unknown) => e);
    expect(unsupported).toBeInstanceOf(UnsupportedOperationException);
    expect((unsupported as Error).message).toBe(
      `${rsa.Arn} has key spec RSA_2048, which does not support key rotation: only symmetric encryption keys (SYMMETRIC_DEFAULT) rotate.`,
    );
  });

  it('every rotation operation: a disabled key of any origin or spec is DisabledException; pending deletion is KMSInvalidStateException', async () => {
    const { kms } = setup();
    const keys = [
      (await kms.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!,
      (await kms.createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' })).KeyMetadata!,
      (await kms.createKey({})).KeyMetadata!,
    ];
    for (const k of keys) {
      await kms.disableKey({ KeyId: k.KeyId! });
      for (const op of ['rotateKeyOnDemand', 'enableKeyRotation', 'disableKeyRotation'] as const) {
        await rejects(() => kms[op]({ KeyId: k.KeyId! }), 'DisabledException', `${k.Arn} is disabled.`);
      }
      // The read-only ones accept a disabled key (key-state table), so they answer for its spec.
      if (k.KeySpec !== 'SYMMETRIC_DEFAULT')
        await rejects(
          () => kms.getKeyRotationStatus({ KeyId: k.KeyId! }),
          'UnsupportedOperationException',
          /does not support key rotation/,
        );
      await kms.scheduleKeyDeletion({ KeyId: k.KeyId!, PendingWindowInDays: 7 });
      await rejects(() => kms.rotateKeyOnDemand({ KeyId: k.KeyId! }), 'KMSInvalidStateException', `${k.Arn} is pending deletion.`);
    }
  });
});

describe('ReplicateKey (AWS-recorded)', () => {
  it('on a replica: UnsupportedOperationException "<arn> is not a multi-region primary key.", whatever ReplicaRegion names', async () => {
    const { kms, clientFor } = setup();
    const primary = (await kms.createKey({ MultiRegion: true })).KeyMetadata!;
    await kms.replicateKey({ KeyId: primary.KeyId!, ReplicaRegion: 'eu-west-1' });
    const eu = kms.withRegion('eu-west-1');
    const replicaArn = `arn:aws:kms:eu-west-1:111122223333:key/${primary.KeyId}`;
    for (const ReplicaRegion of ['eu-west-1', 'us-east-1', 'ap-southeast-2']) {
      await rejects(
        () => eu.replicateKey({ KeyId: primary.KeyId!, ReplicaRegion }),
        'UnsupportedOperationException',
        `${replicaArn} is not a multi-region primary key.`,
      );
      const err = await clientFor(eu, 'eu-west-1')
        .send(new ReplicateKeyCommand({ KeyId: primary.KeyId, ReplicaRegion }))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnsupportedOperationException);
      expect((err as Error).message).toBe(`${replicaArn} is not a multi-region primary key.`);
    }
  });

  it('the response shows the replica Creating, not Enabled, without CurrentKeyMaterialId or ReplicaTags; DescribeKey then shows it Enabled', async () => {
    const { kms, client, clientFor } = setup();
    const primary = (await client.send(new CreateKeyCommand({ MultiRegion: true }))).KeyMetadata!;
    const out = await client.send(new ReplicateKeyCommand({ KeyId: primary.KeyId, ReplicaRegion: 'eu-west-1' }));
    expect(out.ReplicaKeyMetadata).toMatchObject({
      KeyState: 'Creating',
      Enabled: false,
      Arn: `arn:aws:kms:eu-west-1:111122223333:key/${primary.KeyId}`,
    });
    expect(out.ReplicaKeyMetadata).not.toHaveProperty('CurrentKeyMaterialId');
    expect(out).not.toHaveProperty('ReplicaTags');
    const md = (await clientFor(kms.withRegion('eu-west-1'), 'eu-west-1').send(new DescribeKeyCommand({ KeyId: primary.KeyId })))
      .KeyMetadata!;
    expect(md).toMatchObject({ KeyState: 'Enabled', Enabled: true, CurrentKeyMaterialId: primary.CurrentKeyMaterialId });
    // With tags, ReplicaTags lists them.
    const tagged = await client.send(
      new ReplicateKeyCommand({ KeyId: primary.KeyId, ReplicaRegion: 'ap-southeast-2', Tags: [{ TagKey: 't', TagValue: 'v' }] }),
    );
    expect(tagged.ReplicaTags).toEqual([{ TagKey: 't', TagValue: 'v' }]);
  });
});

// ---------------------------------------------------------------------------------------------
// No exception has an empty message.

/** Every public operation method of Kms, found on the prototype (as test/property/bad-input does). */
const METHODS = Object.getOwnPropertyNames(Kms.prototype).filter((name) => {
  const d = Object.getOwnPropertyDescriptor(Kms.prototype, name);
  return (
    !['constructor', 'send', 'invoke', 'withPrincipal', 'withRegion', 'withAccount', 'setIdentityPolicies', 'getIdentityPolicies'].includes(
      name,
    ) && typeof d?.value === 'function'
  );
});

const JUNK = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
const PRINCIPAL = 'arn:aws:iam::111122223333:role/scan';

/** A well-formed request of each operation naming the key `k` (when it takes one). */
const REQUESTS: Record<string, (k: string) => Record<string, unknown>> = {
  cancelKeyDeletion: (k) => ({ KeyId: k }),
  createAlias: (k) => ({ AliasName: 'alias/scan', TargetKeyId: k }),
  createKey: () => ({ KeySpec: 'RSA_2048', KeyUsage: 'GENERATE_VERIFY_MAC' }),
  decrypt: (k) => ({ CiphertextBlob: JUNK, KeyId: k }),
  deleteAlias: () => ({ AliasName: 'alias/none' }),
  describeKey: (k) => ({ KeyId: k }),
  disableKey: (k) => ({ KeyId: k }),
  disableKeyRotation: (k) => ({ KeyId: k }),
  enableKey: (k) => ({ KeyId: k }),
  enableKeyRotation: (k) => ({ KeyId: k }),
  encrypt: (k) => ({ KeyId: k, Plaintext: utf8('p') }),
  generateDataKey: (k) => ({ KeyId: k, KeySpec: 'AES_256' }),
  generateDataKeyWithoutPlaintext: (k) => ({ KeyId: k, KeySpec: 'AES_256' }),
  generateRandom: () => ({ NumberOfBytes: 0 }),
  generateMac: (k) => ({ KeyId: k, Message: utf8('m'), MacAlgorithm: 'HMAC_SHA_256' }),
  verifyMac: (k) => ({ KeyId: k, Message: utf8('m'), MacAlgorithm: 'HMAC_SHA_256', Mac: new Uint8Array(32) }),
  sign: (k) => ({ KeyId: k, Message: utf8('m'), SigningAlgorithm: 'ECDSA_SHA_256' }),
  verify: (k) => ({ KeyId: k, Message: utf8('m'), Signature: JUNK, SigningAlgorithm: 'ECDSA_SHA_256' }),
  getPublicKey: (k) => ({ KeyId: k }),
  deriveSharedSecret: (k) => ({ KeyId: k, KeyAgreementAlgorithm: 'ECDH', PublicKey: JUNK }),
  generateDataKeyPair: (k) => ({ KeyId: k, KeyPairSpec: 'ECC_NIST_P256' }),
  generateDataKeyPairWithoutPlaintext: (k) => ({ KeyId: k, KeyPairSpec: 'ECC_NIST_P256' }),
  getKeyRotationStatus: (k) => ({ KeyId: k }),
  listAliases: (k) => ({ KeyId: k }),
  listKeyRotations: (k) => ({ KeyId: k }),
  listKeys: () => ({ Limit: 0 }),
  listResourceTags: (k) => ({ KeyId: k }),
  reEncrypt: (k) => ({ CiphertextBlob: JUNK, DestinationKeyId: k }),
  rotateKeyOnDemand: (k) => ({ KeyId: k }),
  scheduleKeyDeletion: (k) => ({ KeyId: k, PendingWindowInDays: 7 }),
  tagResource: (k) => ({ KeyId: k, Tags: [{ TagKey: 'aws:reserved', TagValue: 'v' }] }),
  untagResource: (k) => ({ KeyId: k, TagKeys: ['t'] }),
  updateAlias: (k) => ({ AliasName: 'alias/none', TargetKeyId: k }),
  updateKeyDescription: (k) => ({ KeyId: k, Description: 'd' }),
  getKeyPolicy: (k) => ({ KeyId: k, PolicyName: 'other' }),
  putKeyPolicy: (k) => ({ KeyId: k, PolicyName: 'default', Policy: '{' }),
  listKeyPolicies: (k) => ({ KeyId: k }),
  createGrant: (k) => ({ KeyId: k, GranteePrincipal: PRINCIPAL, Operations: ['Encrypt'] }),
  listGrants: (k) => ({ KeyId: k }),
  listRetirableGrants: () => ({ RetiringPrincipal: PRINCIPAL }),
  retireGrant: (k) => ({ KeyId: k, GrantId: '0'.repeat(64) }),
  revokeGrant: (k) => ({ KeyId: k, GrantId: '0'.repeat(64) }),
  replicateKey: (k) => ({ KeyId: k, ReplicaRegion: 'eu-west-1' }),
  getParametersForImport: (k) => ({ KeyId: k, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }),
  importKeyMaterial: (k) => ({ KeyId: k, ImportToken: JUNK, EncryptedKeyMaterial: JUNK, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }),
  deleteImportedKeyMaterial: (k) => ({ KeyId: k }),
  updatePrimaryRegion: (k) => ({ KeyId: k, PrimaryRegion: 'eu-west-1' }),
  describeCustomKeyStores: (k) => ({ CustomKeyStoreId: k }),
  updateCustomKeyStore: (k) => ({ CustomKeyStoreId: k }),
  deleteCustomKeyStore: (k) => ({ CustomKeyStoreId: k }),
  disconnectCustomKeyStore: (k) => ({ CustomKeyStoreId: k }),
  connectCustomKeyStore: (k) => ({ CustomKeyStoreId: k }),
};

/** Keys in the ways a request can fail on its key: state, usage, spec, origin. */
async function scanKeys(kms: Kms): Promise<string[]> {
  const id = async (input: Parameters<Kms['createKey']>[0]) => (await kms.createKey(input)).KeyMetadata!.KeyId!;
  const disabled = await id({});
  await kms.disableKey({ KeyId: disabled });
  const disabledSigning = await id({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
  await kms.disableKey({ KeyId: disabledSigning });
  const deleting = await id({});
  await kms.scheduleKeyDeletion({ KeyId: deleting, PendingWindowInDays: 7 });
  return [
    await id({}),
    disabled,
    disabledSigning,
    deleting,
    await id({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }),
    await id({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }),
    await id({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' }),
    await id({ Origin: 'EXTERNAL' }),
    await id({ MultiRegion: true }),
    '00000000-0000-0000-0000-000000000000', // no such key
    'not a key id',
  ];
}

describe('no exception has an empty message', () => {
  it('every operation is in the scan', () => {
    expect(METHODS.filter((m) => !(m in REQUESTS))).toEqual([]);
  });

  it('every operation, with no input, a wrong input, and each kind of key: every error is a KMSServiceException with a message', async () => {
    const failures: string[] = [];
    let errors = 0;
    for (const method of METHODS) {
      const kms = new Kms({ clock: new ManualClock(new Date('2026-05-01T12:00:00Z')) });
      const keys = await scanKeys(kms);
      const request = REQUESTS[method]!;
      const inputs: unknown[] = [{}, { KeyId: 42 }, ...keys.map((k) => request(k))];
      for (const input of inputs) {
        try {
          await (kms as unknown as Record<string, (i: unknown) => Promise<unknown>>)[method]!(input);
        } catch (e) {
          errors++;
          if (!(e instanceof KMSServiceException))
            failures.push(`${method}(${JSON.stringify(input)}): not a KMSServiceException: ${String(e)}`);
          else if (e.message.length === 0) failures.push(`${method}(${JSON.stringify(input)}): ${e.name} with an empty message`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(errors).toBeGreaterThan(METHODS.length * 5); // the scan did reach the failing paths
  });
});
