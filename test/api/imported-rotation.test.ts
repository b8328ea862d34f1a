// On-demand rotation of imported symmetric keys (issue 13 §2): ImportKeyMaterial with ImportType
// NEW_KEY_MATERIAL stages new material (one at a time), RotateKeyOnDemand makes it current,
// ListKeyRotations lists it, and ciphertexts under earlier material still decrypt. AWS's messages
// are the recorded ones (docs/aws-behaviour.md#recorded-aws-answers).
import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  KMSClient,
  KMSInvalidStateException,
  ListKeyRotationsCommand,
  RotateKeyOnDemandCommand,
} from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { createRequestHandler, Kms, ManualClock } from 'kmsbox';
import { rejects, utf8 } from './helpers.js';

const START = new Date('2026-03-01T00:00:00Z');
const DAY = 86_400_000;

function wrap(publicKey: Uint8Array, material: Uint8Array): Uint8Array {
  const key = createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' });
  return new Uint8Array(publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, material));
}

type ImportExtra = Omit<Parameters<Kms['importKeyMaterial']>[0], 'KeyId' | 'ImportToken' | 'EncryptedKeyMaterial'>;

async function put(kms: Kms, keyId: string, material: Uint8Array, extra: ImportExtra = {}) {
  const p = await kms.getParametersForImport({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
  return kms.importKeyMaterial({
    KeyId: keyId,
    ImportToken: p.ImportToken,
    EncryptedKeyMaterial: wrap(p.PublicKey!, material),
    ...(extra.ValidTo ? {} : { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }),
    ...extra,
  });
}

async function imported() {
  const clock = new ManualClock(START);
  const kms = new Kms({ clock });
  const { KeyMetadata } = await kms.createKey({ Origin: 'EXTERNAL' });
  const keyId = KeyMetadata!.KeyId!;
  const arn = KeyMetadata!.Arn!;
  const m1 = randomBytes(32);
  const first = await put(kms, keyId, m1);
  return { kms, clock, keyId, arn, m1, first: first.KeyMaterialId! };
}

describe('RotateKeyOnDemand on an imported symmetric key', () => {
  it('AWS-recorded messages: pending import, then nothing pending rotation', async () => {
    const kms = new Kms();
    const { KeyMetadata } = await kms.createKey({ Origin: 'EXTERNAL' });
    await rejects(
      () => kms.rotateKeyOnDemand({ KeyId: KeyMetadata!.KeyId! }),
      'KMSInvalidStateException',
      `${KeyMetadata!.Arn} is pending import.`,
    );
    await put(kms, KeyMetadata!.KeyId!, randomBytes(32));
    await rejects(
      () => kms.rotateKeyOnDemand({ KeyId: KeyMetadata!.KeyId! }),
      'KMSInvalidStateException',
      `No available key material pending rotation for the key: ${KeyMetadata!.Arn}.`,
    );
  });

  it('NEW_KEY_MATERIAL is staged (not used), RotateKeyOnDemand makes it current; old ciphertexts decrypt with their material', async () => {
    const { kms, keyId, arn, first } = await imported();
    const before = await kms.encrypt({ KeyId: keyId, Plaintext: utf8('under the first material') });
    const staged = await put(kms, keyId, randomBytes(32), { ImportType: 'NEW_KEY_MATERIAL' });
    expect(staged).toMatchObject({ KeyId: arn, KeyMaterialId: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(staged.KeyMaterialId).not.toBe(first);
    // Staged only: the key still encrypts under the first material.
    expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata).toMatchObject({ KeyState: 'Enabled', CurrentKeyMaterialId: first });
    const during = await kms.encrypt({ KeyId: keyId, Plaintext: utf8('x') });
    expect((await kms.decrypt({ CiphertextBlob: during.CiphertextBlob! })).KeyMaterialId).toBe(first);

    expect(await kms.rotateKeyOnDemand({ KeyId: keyId })).toMatchObject({ KeyId: arn });
    expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata!.CurrentKeyMaterialId).toBe(staged.KeyMaterialId);
    const after = await kms.encrypt({ KeyId: keyId, Plaintext: utf8('under the second') });
    expect(await kms.decrypt({ CiphertextBlob: before.CiphertextBlob! })).toMatchObject({
      Plaintext: utf8('under the first material'),
      KeyMaterialId: first,
    });
    expect(await kms.decrypt({ CiphertextBlob: after.CiphertextBlob! })).toMatchObject({
      Plaintext: utf8('under the second'),
      KeyMaterialId: staged.KeyMaterialId,
    });
    // Nothing is pending any more.
    await rejects(
      () => kms.rotateKeyOnDemand({ KeyId: keyId }),
      'KMSInvalidStateException',
      `No available key material pending rotation for the key: ${arn}.`,
    );
    // Automatic rotation stays refused for imported keys; the status reads as off.
    await rejects(
      () => kms.enableKeyRotation({ KeyId: keyId }),
      'UnsupportedOperationException',
      `${arn} origin is EXTERNAL which is not valid for this operation.`,
    );
    const status = await kms.getKeyRotationStatus({ KeyId: keyId });
    expect([status.KeyId, status.KeyRotationEnabled, status.RotationPeriodInDays, status.NextRotationDate]).toEqual([
      arn,
      false,
      undefined,
      undefined,
    ]);
  });

  it('one material pending at a time: another is KMSInvalidStateException (AWS-recorded); the same one again is a re-import', async () => {
    const { kms, keyId, arn, m1 } = await imported();
    const m2 = randomBytes(32);
    const staged = await put(kms, keyId, m2, { ImportType: 'NEW_KEY_MATERIAL' });
    const m3 = randomBytes(32);
    const err = await rejects(() => put(kms, keyId, m3, { ImportType: 'NEW_KEY_MATERIAL' }), 'KMSInvalidStateException');
    expect(err.message).toMatch(
      new RegExp(
        `^New key material \\(id: [0-9a-f]{64}\\) cannot be imported into KMS key ${arn}, because another key material \\(id: ${staged.KeyMaterialId}\\) is pending rotation\\.$`,
      ),
    );
    expect(err.message).not.toContain(`(id: ${staged.KeyMaterialId}) cannot`);
    // The same pending material again: accepted (with EXISTING_KEY_MATERIAL or NEW_KEY_MATERIAL).
    expect((await put(kms, keyId, m2, { ImportType: 'NEW_KEY_MATERIAL' })).KeyMaterialId).toBe(staged.KeyMaterialId);
    expect((await put(kms, keyId, m2)).KeyMaterialId).toBe(staged.KeyMaterialId);
    // Material already associated with the key is not new material.
    await rejects(
      () => put(kms, keyId, m1, { ImportType: 'NEW_KEY_MATERIAL' }),
      'IncorrectKeyMaterialException',
      `The key material is already associated with ${arn}; import it again with ImportType EXISTING_KEY_MATERIAL.`,
    );
    // Unrelated material without NEW_KEY_MATERIAL is still IncorrectKeyMaterialException.
    await rejects(
      () => put(kms, keyId, m3),
      'IncorrectKeyMaterialException',
      `The key material is not the key material that was previously imported into ${arn}.`,
    );
    await kms.rotateKeyOnDemand({ KeyId: keyId });
    // Now m3 can be staged.
    await put(kms, keyId, m3, { ImportType: 'NEW_KEY_MATERIAL' });
  });

  it('ListKeyRotations: the rotation as ON_DEMAND with its KeyMaterialId; ALL_KEY_MATERIAL adds the first and the pending material', async () => {
    const { kms, clock, keyId, first } = await imported();
    const second = (await put(kms, keyId, randomBytes(32), { ImportType: 'NEW_KEY_MATERIAL' })).KeyMaterialId!;
    clock.advance(DAY);
    await kms.rotateKeyOnDemand({ KeyId: keyId });
    const validTo = new Date(START.getTime() + 30 * DAY);
    const third = (
      await put(kms, keyId, randomBytes(32), { ImportType: 'NEW_KEY_MATERIAL', ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: validTo })
    ).KeyMaterialId!;
    const rotationsOnly = await kms.listKeyRotations({ KeyId: keyId });
    expect({ ...rotationsOnly, $metadata: undefined }).toEqual({
      $metadata: undefined,
      Rotations: [
        {
          KeyId: keyId,
          KeyMaterialId: second,
          KeyMaterialState: 'CURRENT',
          ImportState: 'IMPORTED',
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
          RotationDate: new Date(START.getTime() + DAY),
          RotationType: 'ON_DEMAND',
        },
      ],
      Truncated: false,
    });
    const all = await kms.listKeyRotations({ KeyId: keyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' });
    expect(all.Rotations).toEqual([
      {
        KeyId: keyId,
        KeyMaterialId: first,
        KeyMaterialState: 'NON_CURRENT',
        ImportState: 'IMPORTED',
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      },
      {
        KeyId: keyId,
        KeyMaterialId: second,
        KeyMaterialState: 'CURRENT',
        ImportState: 'IMPORTED',
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        RotationDate: new Date(START.getTime() + DAY),
        RotationType: 'ON_DEMAND',
      },
      {
        KeyId: keyId,
        KeyMaterialId: third,
        KeyMaterialState: 'PENDING_ROTATION',
        ImportState: 'IMPORTED',
        ExpirationModel: 'KEY_MATERIAL_EXPIRES',
        ValidTo: validTo,
      },
    ]);
    // Rotating in expiring material: the key's material now expires then (kmsbox: one expiration per key).
    await kms.rotateKeyOnDemand({ KeyId: keyId });
    expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata).toMatchObject({
      ExpirationModel: 'KEY_MATERIAL_EXPIRES',
      ValidTo: validTo,
      CurrentKeyMaterialId: third,
    });
    clock.set(validTo);
    expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata).toMatchObject({ KeyState: 'PendingImport', CurrentKeyMaterialId: third });
  });

  it('pending material that expires is dropped; the key is unchanged', async () => {
    const { kms, clock, keyId, arn, first } = await imported();
    const validTo = new Date(START.getTime() + 10 * DAY);
    await put(kms, keyId, randomBytes(32), { ImportType: 'NEW_KEY_MATERIAL', ValidTo: validTo });
    clock.set(validTo);
    expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata).toMatchObject({ KeyState: 'Enabled', CurrentKeyMaterialId: first });
    await rejects(
      () => kms.rotateKeyOnDemand({ KeyId: keyId }),
      'KMSInvalidStateException',
      `No available key material pending rotation for the key: ${arn}.`,
    );
    expect(
      (await kms.listKeyRotations({ KeyId: keyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' })).Rotations!.map((r) => r.KeyMaterialId),
    ).toEqual([first]);
  });

  it('DeleteImportedKeyMaterial: the pending material alone by its KeyMaterialId; associated material makes the key PendingImport until each is back', async () => {
    const { kms, keyId, arn, m1, first } = await imported();
    const m2 = randomBytes(32);
    const second = (await put(kms, keyId, m2, { ImportType: 'NEW_KEY_MATERIAL' })).KeyMaterialId!;
    // Deleting the pending material: the key stays Enabled, nothing is pending any more.
    expect(await kms.deleteImportedKeyMaterial({ KeyId: keyId, KeyMaterialId: second })).toMatchObject({
      KeyId: arn,
      KeyMaterialId: second,
    });
    expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata!.KeyState).toBe('Enabled');
    await rejects(
      () => kms.rotateKeyOnDemand({ KeyId: keyId }),
      'KMSInvalidStateException',
      `No available key material pending rotation for the key: ${arn}.`,
    );
    // Stage again (different material may take its place), rotate, encrypt under each.
    await put(kms, keyId, m2, { ImportType: 'NEW_KEY_MATERIAL' });
    const old = await kms.encrypt({ KeyId: keyId, Plaintext: utf8('old') });
    await kms.rotateKeyOnDemand({ KeyId: keyId });
    const current = await kms.encrypt({ KeyId: keyId, Plaintext: utf8('new') });
    // An unknown KeyMaterialId is NotFound.
    await rejects(
      () => kms.deleteImportedKeyMaterial({ KeyId: keyId, KeyMaterialId: 'c'.repeat(64) }),
      'NotFoundException',
      `Key material ${'c'.repeat(64)} is not associated with ${arn}.`,
    );
    // Deleting the earlier (non-current) material: PendingImport, and its id is what the response names.
    expect(await kms.deleteImportedKeyMaterial({ KeyId: keyId, KeyMaterialId: first })).toMatchObject({ KeyId: arn, KeyMaterialId: first });
    expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata).toMatchObject({
      KeyState: 'PendingImport',
      CurrentKeyMaterialId: second,
    });
    const listed = await kms.listKeyRotations({ KeyId: keyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' });
    expect(listed.Rotations!.map((r) => [r.KeyMaterialId, r.ImportState])).toEqual([
      [first, 'PENDING_IMPORT'],
      [second, 'PENDING_IMPORT'],
    ]);
    await rejects(() => kms.decrypt({ CiphertextBlob: current.CiphertextBlob! }), 'KMSInvalidStateException', `${arn} is pending import.`);
    // One re-imported: still PendingImport; both: Enabled, and both ciphertexts decrypt.
    expect((await put(kms, keyId, m2, { KeyMaterialId: second })).KeyMaterialId).toBe(second);
    expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata!.KeyState).toBe('PendingImport');
    expect(
      (await kms.listKeyRotations({ KeyId: keyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' })).Rotations!.map((r) => r.ImportState),
    ).toEqual(['PENDING_IMPORT', 'IMPORTED']);
    await put(kms, keyId, m1, { ImportType: 'EXISTING_KEY_MATERIAL' });
    expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata!.KeyState).toBe('Enabled');
    expect((await kms.decrypt({ CiphertextBlob: old.CiphertextBlob! })).Plaintext).toEqual(utf8('old'));
    expect((await kms.decrypt({ CiphertextBlob: current.CiphertextBlob! })).Plaintext).toEqual(utf8('new'));
  });

  it('KeyMaterialDescription: listed per material; a re-import without one keeps it, with one replaces it', async () => {
    const clock = new ManualClock(START);
    const kms = new Kms({ clock });
    const { KeyMetadata } = await kms.createKey({ Origin: 'EXTERNAL' });
    const keyId = KeyMetadata!.KeyId!;
    const m1 = randomBytes(32);
    const m2 = randomBytes(32);
    await put(kms, keyId, m1, { KeyMaterialDescription: 'first: from HSM A' });
    await put(kms, keyId, m2, { ImportType: 'NEW_KEY_MATERIAL', KeyMaterialDescription: 'second' });
    const descriptions = async () =>
      (await kms.listKeyRotations({ KeyId: keyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' })).Rotations!.map(
        (r) => r.KeyMaterialDescription,
      );
    expect(await descriptions()).toEqual(['first: from HSM A', 'second']);
    await put(kms, keyId, m2); // the pending material again, no description: kept
    await put(kms, keyId, m1); // the same for associated material
    expect(await descriptions()).toEqual(['first: from HSM A', 'second']);
    await kms.rotateKeyOnDemand({ KeyId: keyId });
    await put(kms, keyId, m1, { KeyMaterialDescription: 'first renamed' });
    expect(await descriptions()).toEqual(['first renamed', 'second']);
    // A key without descriptions lists none.
    const plain = (await kms.createKey({ Origin: 'EXTERNAL' })).KeyMetadata!.KeyId!;
    await put(kms, plain, randomBytes(32));
    expect((await kms.listKeyRotations({ KeyId: plain, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' })).Rotations![0]).not.toHaveProperty(
      'KeyMaterialDescription',
    );
  });

  it('HMAC keys take no ImportType; asymmetric/HMAC rotation keeps its message', async () => {
    const kms = new Kms();
    const { KeyMetadata } = await kms.createKey({ Origin: 'EXTERNAL', KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    await put(kms, KeyMetadata!.KeyId!, randomBytes(32));
    await rejects(
      () => put(kms, KeyMetadata!.KeyId!, randomBytes(32), { ImportType: 'NEW_KEY_MATERIAL' }),
      'ValidationException',
      'ImportType and KeyMaterialId are only valid for symmetric encryption keys.',
    );
    await rejects(
      () => kms.rotateKeyOnDemand({ KeyId: KeyMetadata!.KeyId! }),
      'UnsupportedOperationException',
      `${KeyMetadata!.Arn} has key spec HMAC_256, which does not support key rotation: only symmetric encryption keys (SYMMETRIC_DEFAULT) rotate.`,
    );
  });
});

describe('through the real @aws-sdk/client-kms', () => {
  it('NEW_KEY_MATERIAL, RotateKeyOnDemand, ListKeyRotations and the AWS-recorded KMSInvalidStateException', async () => {
    const kms = new Kms({ clock: new ManualClock(START) });
    const client = new KMSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      requestHandler: createRequestHandler(kms),
      maxAttempts: 1,
    });
    const { KeyMetadata } = await client.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }));
    const KeyId = KeyMetadata!.KeyId!;
    const send = async (material: Uint8Array, ImportType?: 'NEW_KEY_MATERIAL') => {
      const p = await client.send(
        new GetParametersForImportCommand({ KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }),
      );
      return client.send(
        new ImportKeyMaterialCommand({
          KeyId,
          ImportToken: p.ImportToken,
          EncryptedKeyMaterial: wrap(p.PublicKey!, material),
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
          ...(ImportType ? { ImportType } : {}),
        }),
      );
    };
    const first = await send(randomBytes(32));
    const noneErr = await client.send(new RotateKeyOnDemandCommand({ KeyId })).catch((e: unknown) => e);
    expect(noneErr).toBeInstanceOf(KMSInvalidStateException);
    expect((noneErr as Error).message).toBe(`No available key material pending rotation for the key: ${KeyMetadata!.Arn}.`);
    const before = await client.send(new EncryptCommand({ KeyId, Plaintext: utf8('a') }));
    const second = await send(randomBytes(32), 'NEW_KEY_MATERIAL');
    const twice = await send(randomBytes(32), 'NEW_KEY_MATERIAL').catch((e: unknown) => e);
    expect(twice).toBeInstanceOf(KMSInvalidStateException);
    expect((twice as Error).message).toMatch(/because another key material \(id: [0-9a-f]{64}\) is pending rotation\.$/);
    const all = await client.send(new ListKeyRotationsCommand({ KeyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }));
    expect(all.Rotations!.map((r) => r.KeyMaterialState)).toEqual(['CURRENT', 'PENDING_ROTATION']);
    await client.send(new RotateKeyOnDemandCommand({ KeyId }));
    const md = (await client.send(new DescribeKeyCommand({ KeyId }))).KeyMetadata!;
    expect(md.CurrentKeyMaterialId).toBe(second.KeyMaterialId);
    const listed = await client.send(new ListKeyRotationsCommand({ KeyId }));
    expect(listed.Rotations).toEqual([
      expect.objectContaining({
        KeyMaterialId: second.KeyMaterialId,
        KeyMaterialState: 'CURRENT',
        RotationType: 'ON_DEMAND',
        ImportState: 'IMPORTED',
      }),
    ]);
    const out = await client.send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob! }));
    expect(out.KeyMaterialId).toBe(first.KeyMaterialId);
  });
});
