// Multi-Region keys: ReplicateKey and UpdatePrimaryRegion over one provider seen from several
// regions (kms.withRegion), cross-region decryption, the shared rotation, deletion of a primary
// that still has replicas, authorization and audit; and ReplicateKey under the real AWS SDK client.
import { KMSClient, ReplicateKeyCommand, DecryptCommand as SdkDecryptCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { createRequestHandler, Kms, ManualClock, MemoryAuditSink, type KeyMetadata } from 'kmsbox';
import { rejects, utf8 } from './helpers.js';

const A = '111122223333';
const APP = `arn:aws:iam::${A}:role/app`;
const DAY = 86_400_000;
const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });

async function setup(options: ConstructorParameters<typeof Kms>[0] = {}) {
  const clock = new ManualClock(new Date('2026-05-01T12:00:00Z'));
  const us = new Kms({ clock, ...options });
  const eu = us.withRegion('eu-west-1');
  const { KeyMetadata } = await us.createKey({ MultiRegion: true, Description: 'primary' });
  return { clock, us, eu, primary: KeyMetadata! };
}

async function replicated(options: ConstructorParameters<typeof Kms>[0] = {}) {
  const s = await setup(options);
  const out = await s.us.replicateKey({ KeyId: s.primary.KeyId, ReplicaRegion: 'eu-west-1' });
  return { ...s, out, replica: out.ReplicaKeyMetadata! };
}

const config = (md: KeyMetadata | undefined) => md!.MultiRegionConfiguration;

describe('ReplicateKey', () => {
  it("makes a replica with the same mrk- id, its own ARN, and the primary's spec, usage, origin and material", async () => {
    const { us, eu, primary, out, replica } = await replicated();
    expect(primary.KeyId).toMatch(/^mrk-[0-9a-f]{32}$/);
    expect(replica.KeyId).toBe(primary.KeyId);
    expect(replica.Arn).toBe(`arn:aws:kms:eu-west-1:${A}:key/${primary.KeyId}`);
    expect(replica.Arn).not.toBe(primary.Arn);
    expect(replica).toMatchObject({
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      Origin: 'AWS_KMS',
      MultiRegion: true,
      // AWS-recorded: the response shows the replica as it is created, without a current material id.
      KeyState: 'Creating',
      Enabled: false,
      // AWS does not copy the description.
      Description: '',
    });
    expect(replica).not.toHaveProperty('CurrentKeyMaterialId');
    // kmsbox's replica is usable at once: DescribeKey shows it Enabled, with the primary's material.
    expect((await eu.describeKey({ KeyId: replica.KeyId })).KeyMetadata).toMatchObject({
      KeyState: 'Enabled',
      Enabled: true,
      CurrentKeyMaterialId: primary.CurrentKeyMaterialId,
    });
    // No Policy given: the default key policy, as a JSON string.
    expect(JSON.parse(out.ReplicaPolicy!)).toEqual({
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: [
        {
          Sid: 'Enable IAM User Permissions',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${A}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    });
    expect(out).not.toHaveProperty('ReplicaTags'); // AWS omits it when there are none
    // The primary is untouched, and keeps its own description.
    expect((await us.describeKey({ KeyId: primary.KeyId })).KeyMetadata!.Description).toBe('primary');
  });

  it("takes the replica's own policy, description and tags", async () => {
    const { us, eu, primary } = await setup();
    const policy = doc({ Sid: 'root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: 'kms:*', Resource: '*' });
    const out = await us.replicateKey({
      KeyId: primary.Arn,
      ReplicaRegion: 'eu-west-1',
      Policy: policy,
      Description: 'eu copy',
      Tags: [{ TagKey: 'team', TagValue: 'eu' }],
    });
    expect(out.ReplicaPolicy).toBe(policy);
    expect(out.ReplicaTags).toEqual([{ TagKey: 'team', TagValue: 'eu' }]);
    expect(out.ReplicaKeyMetadata!.Description).toBe('eu copy');
    expect((await eu.getKeyPolicy({ KeyId: primary.KeyId })).Policy).toBe(policy);
    expect((await eu.listResourceTags({ KeyId: primary.KeyId })).Tags).toEqual([{ TagKey: 'team', TagValue: 'eu' }]);
    expect((await us.listResourceTags({ KeyId: primary.KeyId })).Tags).toEqual([]);
    // The replica is listed in its region.
    expect((await eu.listKeys()).Keys).toEqual([{ KeyId: primary.KeyId, KeyArn: out.ReplicaKeyMetadata!.Arn }]);
  });

  it('a ciphertext from the primary decrypts with the replica, and the reverse', async () => {
    const { us, eu, primary, replica } = await replicated();
    const fromUs = await us.encrypt({ KeyId: primary.KeyId, Plaintext: utf8('made in us-east-1'), EncryptionContext: { app: 'x' } });
    const inEu = await eu.decrypt({ CiphertextBlob: fromUs.CiphertextBlob, EncryptionContext: { app: 'x' } });
    expect(text(inEu.Plaintext)).toBe('made in us-east-1');
    expect(inEu.KeyId).toBe(replica.Arn);
    const fromEu = await eu.encrypt({ KeyId: `mrk-${primary.KeyId!.slice(4)}`, Plaintext: utf8('made in eu-west-1') });
    expect(fromEu.KeyId).toBe(replica.Arn);
    const inUs = await us.decrypt({ CiphertextBlob: fromEu.CiphertextBlob });
    expect(text(inUs.Plaintext)).toBe('made in eu-west-1');
    expect(inUs.KeyId).toBe(primary.Arn);
    // The context still binds across regions.
    await rejects(
      () => eu.decrypt({ CiphertextBlob: fromUs.CiphertextBlob, EncryptionContext: { app: 'y' } }),
      'InvalidCiphertextException',
    );
    // Data keys too: generated under the replica, unwrapped by the primary.
    const dk = await eu.generateDataKey({ KeyId: primary.KeyId, KeySpec: 'AES_256' });
    expect((await us.decrypt({ CiphertextBlob: dk.CiphertextBlob })).Plaintext).toEqual(dk.Plaintext);
  });

  it('DescribeKey reports the same MultiRegionConfiguration from the primary and every replica', async () => {
    const { us, eu, primary, replica } = await replicated();
    const ap = us.withRegion('ap-southeast-2');
    const third = (await us.replicateKey({ KeyId: primary.KeyId, ReplicaRegion: 'ap-southeast-2' })).ReplicaKeyMetadata!;
    const expected = {
      PrimaryKey: { Arn: primary.Arn, Region: 'us-east-1' },
      ReplicaKeys: [
        { Arn: third.Arn, Region: 'ap-southeast-2' },
        { Arn: replica.Arn, Region: 'eu-west-1' },
      ],
    };
    expect(config((await us.describeKey({ KeyId: primary.KeyId })).KeyMetadata)).toEqual({ MultiRegionKeyType: 'PRIMARY', ...expected });
    expect(config((await eu.describeKey({ KeyId: primary.KeyId })).KeyMetadata)).toEqual({ MultiRegionKeyType: 'REPLICA', ...expected });
    expect(config((await ap.describeKey({ KeyId: replica.KeyId })).KeyMetadata)).toEqual({ MultiRegionKeyType: 'REPLICA', ...expected });
    // ReplicateKey's own answer already shows the replica in the set.
    expect(config(third)).toEqual({ MultiRegionKeyType: 'REPLICA', ...expected });
  });

  it("refuses a second replica in the same region, a single-Region key, a replica, the key's own region and another partition", async () => {
    const { us, eu, primary, replica } = await replicated();
    await rejects(
      () => us.replicateKey({ KeyId: primary.KeyId, ReplicaRegion: 'eu-west-1' }),
      'AlreadyExistsException',
      new RegExp(replica.Arn!),
    );
    const single = (await us.createKey({})).KeyMetadata!;
    await rejects(
      () => us.replicateKey({ KeyId: single.KeyId, ReplicaRegion: 'eu-west-1' }),
      'UnsupportedOperationException',
      `${single.Arn} is not a multi-region primary key.`,
    );
    // AWS-recorded: ReplicateKey of a replica.
    await rejects(
      () => eu.replicateKey({ KeyId: replica.KeyId, ReplicaRegion: 'us-west-2' }),
      'UnsupportedOperationException',
      `${replica.Arn} is not a multi-region primary key.`,
    );
    // Whatever ReplicaRegion says: the key is checked first (not a ValidationException about the Region).
    for (const ReplicaRegion of ['eu-west-1', 'us-east-1', 'cn-north-1']) {
      await rejects(
        () => eu.replicateKey({ KeyId: replica.KeyId, ReplicaRegion }),
        'UnsupportedOperationException',
        `${replica.Arn} is not a multi-region primary key.`,
      );
    }
    await rejects(() => us.replicateKey({ KeyId: primary.KeyId, ReplicaRegion: 'us-east-1' }), 'ValidationException', /another Region/);
    await rejects(() => us.replicateKey({ KeyId: primary.KeyId, ReplicaRegion: 'cn-north-1' }), 'ValidationException', /partition/);
    await rejects(() => us.replicateKey({ KeyId: primary.KeyId, ReplicaRegion: 'Mars' }), 'ValidationException', /replicaRegion/);
    await rejects(() => us.replicateKey({ KeyId: primary.KeyId } as never), 'ValidationException');
    // None of the refusals left a key behind.
    await rejects(() => us.withRegion('us-west-2').describeKey({ KeyId: primary.KeyId }), 'NotFoundException');
  });

  it("follows the primary's key state: Disabled → DisabledException, pending deletion → KMSInvalidStateException", async () => {
    const { us, primary } = await setup();
    await us.disableKey({ KeyId: primary.KeyId });
    await rejects(
      () => us.replicateKey({ KeyId: primary.KeyId, ReplicaRegion: 'eu-west-1' }),
      'DisabledException',
      `${primary.Arn} is disabled.`,
    );
    await us.scheduleKeyDeletion({ KeyId: primary.KeyId, PendingWindowInDays: 7 });
    await rejects(
      () => us.replicateKey({ KeyId: primary.KeyId, ReplicaRegion: 'eu-west-1' }),
      'KMSInvalidStateException',
      `${primary.Arn} is pending deletion.`,
    );
  });

  it('replicates asymmetric keys: a signature from the replica verifies with the primary', async () => {
    const us = new Kms();
    const eu = us.withRegion('eu-west-1');
    const { KeyMetadata } = await us.createKey({ MultiRegion: true, KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const out = await us.replicateKey({ KeyId: KeyMetadata!.KeyId, ReplicaRegion: 'eu-west-1' });
    expect(out.ReplicaKeyMetadata).toMatchObject({
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      SigningAlgorithms: KeyMetadata!.SigningAlgorithms,
    });
    const { Signature } = await eu.sign({ KeyId: KeyMetadata!.KeyId, Message: utf8('m'), SigningAlgorithm: 'ECDSA_SHA_256' });
    expect(
      (await us.verify({ KeyId: KeyMetadata!.KeyId, Message: utf8('m'), Signature, SigningAlgorithm: 'ECDSA_SHA_256' })).SignatureValid,
    ).toBe(true);
    expect((await eu.getPublicKey({ KeyId: KeyMetadata!.KeyId })).PublicKey).toEqual(
      (await us.getPublicKey({ KeyId: KeyMetadata!.KeyId })).PublicKey,
    );
  });
});

describe('UpdatePrimaryRegion', () => {
  it('makes the replica the primary and the old primary a replica, seen the same from both regions', async () => {
    const { us, eu, primary, replica } = await replicated();
    const out = await us.updatePrimaryRegion({ KeyId: primary.KeyId, PrimaryRegion: 'eu-west-1' });
    expect(Object.keys(out).filter((k) => k !== '$metadata')).toEqual([]);
    const expected = { PrimaryKey: { Arn: replica.Arn, Region: 'eu-west-1' }, ReplicaKeys: [{ Arn: primary.Arn, Region: 'us-east-1' }] };
    expect(config((await us.describeKey({ KeyId: primary.KeyId })).KeyMetadata)).toEqual({ MultiRegionKeyType: 'REPLICA', ...expected });
    expect(config((await eu.describeKey({ KeyId: primary.KeyId })).KeyMetadata)).toEqual({ MultiRegionKeyType: 'PRIMARY', ...expected });
    // Now only eu-west-1 can replicate, and us-east-1 can no longer update the primary.
    await rejects(() => us.replicateKey({ KeyId: primary.KeyId, ReplicaRegion: 'us-west-2' }), 'UnsupportedOperationException');
    await rejects(
      () => us.updatePrimaryRegion({ KeyId: primary.KeyId, PrimaryRegion: 'eu-west-1' }),
      'UnsupportedOperationException',
      `${primary.Arn} is not a multi-region primary key.`,
    );
    expect(
      (await eu.replicateKey({ KeyId: primary.KeyId, ReplicaRegion: 'us-west-2' })).ReplicaKeyMetadata!.MultiRegionConfiguration!
        .PrimaryKey,
    ).toEqual({ Arn: replica.Arn, Region: 'eu-west-1' });
    // And back again.
    await eu.updatePrimaryRegion({ KeyId: replica.Arn, PrimaryRegion: 'us-east-1' });
    expect(config((await us.describeKey({ KeyId: primary.KeyId })).KeyMetadata)!.MultiRegionKeyType).toBe('PRIMARY');
  });

  it("refuses a region without a replica, the primary's own region, a single-Region key and a disabled replica", async () => {
    const { us, eu, primary, replica } = await replicated();
    await rejects(
      () => us.updatePrimaryRegion({ KeyId: primary.KeyId, PrimaryRegion: 'ap-south-1' }),
      'NotFoundException',
      `Key 'arn:aws:kms:ap-south-1:${A}:key/${primary.KeyId}' does not exist`,
    );
    await rejects(() => us.updatePrimaryRegion({ KeyId: primary.KeyId, PrimaryRegion: 'us-east-1' }), 'ValidationException');
    const single = (await us.createKey({})).KeyMetadata!;
    await rejects(() => us.updatePrimaryRegion({ KeyId: single.KeyId, PrimaryRegion: 'eu-west-1' }), 'UnsupportedOperationException');
    await eu.disableKey({ KeyId: replica.KeyId });
    await rejects(
      () => us.updatePrimaryRegion({ KeyId: primary.KeyId, PrimaryRegion: 'eu-west-1' }),
      'DisabledException',
      `${replica.Arn} is disabled.`,
    );
    expect(config((await us.describeKey({ KeyId: primary.KeyId })).KeyMetadata)!.MultiRegionKeyType).toBe('PRIMARY');
  });
});

describe('rotation of multi-Region keys', () => {
  it('rotating the primary on demand gives every replica the new material; ciphertexts cross both ways', async () => {
    const { us, eu, primary } = await replicated();
    const before = await us.encrypt({ KeyId: primary.KeyId, Plaintext: utf8('old material') });
    await us.rotateKeyOnDemand({ KeyId: primary.KeyId });
    const usMd = (await us.describeKey({ KeyId: primary.KeyId })).KeyMetadata!;
    const euMd = (await eu.describeKey({ KeyId: primary.KeyId })).KeyMetadata!;
    expect(usMd.CurrentKeyMaterialId).not.toBe(primary.CurrentKeyMaterialId);
    expect(euMd.CurrentKeyMaterialId).toBe(usMd.CurrentKeyMaterialId);
    const afterUs = await us.encrypt({ KeyId: primary.KeyId, Plaintext: utf8('new in us') });
    const afterEu = await eu.encrypt({ KeyId: primary.KeyId, Plaintext: utf8('new in eu') });
    expect(text((await eu.decrypt({ CiphertextBlob: afterUs.CiphertextBlob })).Plaintext)).toBe('new in us');
    expect(text((await us.decrypt({ CiphertextBlob: afterEu.CiphertextBlob })).Plaintext)).toBe('new in eu');
    expect((await eu.decrypt({ CiphertextBlob: afterEu.CiphertextBlob })).KeyMaterialId ?? usMd.CurrentKeyMaterialId).toBe(
      usMd.CurrentKeyMaterialId,
    );
    expect(text((await eu.decrypt({ CiphertextBlob: before.CiphertextBlob })).Plaintext)).toBe('old material');
    const rotations = (await eu.listKeyRotations({ KeyId: primary.KeyId })).Rotations!;
    expect(rotations.map((r) => [r.KeyMaterialId, r.RotationType])).toEqual([[usMd.CurrentKeyMaterialId, 'ON_DEMAND']]);
  });

  it('refuses rotation settings and on-demand rotation on a replica; automatic rotation set on the primary reaches it', async () => {
    const { clock, us, eu, primary, replica } = await replicated();
    await rejects(() => eu.rotateKeyOnDemand({ KeyId: replica.KeyId }), 'UnsupportedOperationException', /replica/);
    await rejects(() => eu.enableKeyRotation({ KeyId: replica.KeyId }), 'UnsupportedOperationException', /replica/);
    await rejects(() => eu.disableKeyRotation({ KeyId: replica.KeyId }), 'UnsupportedOperationException', /replica/);
    await us.enableKeyRotation({ KeyId: primary.KeyId, RotationPeriodInDays: 90 });
    expect(await eu.getKeyRotationStatus({ KeyId: replica.KeyId })).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 90 });
    clock.advance(91 * DAY);
    // Touching the replica alone brings the automatic rotation due on the set.
    const euMd = (await eu.describeKey({ KeyId: replica.KeyId })).KeyMetadata!;
    expect(euMd.CurrentKeyMaterialId).not.toBe(primary.CurrentKeyMaterialId);
    expect((await us.describeKey({ KeyId: primary.KeyId })).KeyMetadata!.CurrentKeyMaterialId).toBe(euMd.CurrentKeyMaterialId);
    const c = await eu.encrypt({ KeyId: replica.KeyId, Plaintext: utf8('after automatic rotation') });
    expect(text((await us.decrypt({ CiphertextBlob: c.CiphertextBlob })).Plaintext)).toBe('after automatic rotation');
    await us.disableKeyRotation({ KeyId: primary.KeyId });
    expect((await eu.getKeyRotationStatus({ KeyId: replica.KeyId })).KeyRotationEnabled).toBe(false);
  });
});

describe('deletion of multi-Region keys', () => {
  it('a primary with replicas is not deleted: PendingReplicaDeletion until its last replica is gone', async () => {
    const { clock, us, eu, primary, replica } = await replicated();
    const c = await us.encrypt({ KeyId: primary.KeyId, Plaintext: utf8('survives in eu') });
    const scheduled = await us.scheduleKeyDeletion({ KeyId: primary.KeyId, PendingWindowInDays: 7 });
    expect(scheduled).toMatchObject({ KeyId: primary.Arn, KeyState: 'PendingReplicaDeletion', PendingWindowInDays: 7 });
    expect(scheduled.DeletionDate).toBeUndefined();
    const md = (await us.describeKey({ KeyId: primary.KeyId })).KeyMetadata!;
    expect(md).toMatchObject({ KeyState: 'PendingReplicaDeletion', Enabled: false, PendingDeletionWindowInDays: 7 });
    expect(md.DeletionDate).toBeUndefined();
    await rejects(
      () => us.encrypt({ KeyId: primary.KeyId, Plaintext: utf8('x') }),
      'KMSInvalidStateException',
      `${primary.Arn} is pending deletion.`,
    );
    await rejects(() => us.replicateKey({ KeyId: primary.KeyId, ReplicaRegion: 'us-west-2' }), 'KMSInvalidStateException');
    // Long past the window, the primary is still there, and the replica still works.
    clock.advance(60 * DAY);
    expect((await us.describeKey({ KeyId: primary.KeyId })).KeyMetadata!.KeyState).toBe('PendingReplicaDeletion');
    expect((await us.listKeys()).Keys!.map((k) => k.KeyId)).toContain(primary.KeyId);
    expect(text((await eu.decrypt({ CiphertextBlob: c.CiphertextBlob })).Plaintext)).toBe('survives in eu');
    // A replica is deleted independently; when the last one goes, the primary's window starts.
    const replicaDue = (await eu.scheduleKeyDeletion({ KeyId: replica.KeyId, PendingWindowInDays: 7 })).DeletionDate!;
    expect((await eu.describeKey({ KeyId: replica.KeyId })).KeyMetadata!.KeyState).toBe('PendingDeletion');
    clock.advance(7 * DAY + 1);
    await rejects(() => eu.describeKey({ KeyId: replica.KeyId }), 'NotFoundException');
    const waiting = (await us.describeKey({ KeyId: primary.KeyId })).KeyMetadata!;
    expect(waiting.KeyState).toBe('PendingDeletion');
    expect(waiting.DeletionDate!.getTime()).toBe(replicaDue.getTime() + 7 * DAY);
    expect(waiting.MultiRegionConfiguration!.ReplicaKeys).toEqual([]);
    clock.advance(7 * DAY + 1);
    await rejects(() => us.describeKey({ KeyId: primary.KeyId }), 'NotFoundException');
  });

  it('deleting a replica keeps the shared material: the primary still decrypts, and a new replica works', async () => {
    const { clock, us, eu, primary } = await replicated();
    const c = await eu.encrypt({ KeyId: primary.KeyId, Plaintext: utf8('from the replica') });
    await eu.scheduleKeyDeletion({ KeyId: primary.KeyId, PendingWindowInDays: 7 });
    clock.advance(8 * DAY);
    // The replica is gone (kmsbox answers a ciphertext of an unknown key with InvalidCiphertextException).
    await rejects(() => eu.describeKey({ KeyId: primary.KeyId }), 'NotFoundException');
    await rejects(() => eu.decrypt({ CiphertextBlob: c.CiphertextBlob }), 'InvalidCiphertextException');
    expect(text((await us.decrypt({ CiphertextBlob: c.CiphertextBlob })).Plaintext)).toBe('from the replica');
    expect(config((await us.describeKey({ KeyId: primary.KeyId })).KeyMetadata)!.ReplicaKeys).toEqual([]);
    await us.replicateKey({ KeyId: primary.KeyId, ReplicaRegion: 'eu-west-1' });
    expect(text((await eu.decrypt({ CiphertextBlob: c.CiphertextBlob })).Plaintext)).toBe('from the replica');
    // A primary without replicas is scheduled for deletion as any key.
    await eu.scheduleKeyDeletion({ KeyId: primary.KeyId, PendingWindowInDays: 7 });
    clock.advance(8 * DAY);
    expect((await us.scheduleKeyDeletion({ KeyId: primary.KeyId, PendingWindowInDays: 7 })).KeyState).toBe('PendingDeletion');
  });
});

describe('authorization and audit', () => {
  it('a principal without kms:ReplicateKey is denied; with it (and kms:CreateKey) allowed; kms:ReplicaRegion conditions apply', async () => {
    const sink = new MemoryAuditSink();
    const { us, primary } = await setup({
      audit: sink,
      identityPolicies: { [APP]: [doc({ Effect: 'Allow', Action: ['kms:DescribeKey', 'kms:CreateKey'], Resource: '*' })] },
    });
    const app = us.withPrincipal(APP);
    const denied = await rejects(() => app.replicateKey({ KeyId: primary.KeyId, ReplicaRegion: 'eu-west-1' }), 'AccessDeniedException');
    expect(denied.message).toBe(
      `User: ${APP} is not authorized to perform: kms:ReplicateKey on resource: ${primary.Arn} because no identity-based policy allows the kms:ReplicateKey action`,
    );
    await rejects(() => us.withRegion('eu-west-1').describeKey({ KeyId: primary.KeyId }), 'NotFoundException');
    expect(sink.events.at(-2)).toMatchObject({
      eventName: 'ReplicateKey',
      errorCode: 'AccessDeniedException',
      readOnly: false,
      userIdentity: { arn: APP },
    });

    us.setIdentityPolicies(APP, [
      doc({
        Effect: 'Allow',
        Action: 'kms:ReplicateKey',
        Resource: primary.Arn,
        Condition: { StringEquals: { 'kms:ReplicaRegion': 'eu-west-1' } },
      }),
    ]);
    // kms:ReplicateKey alone is not enough: the replica is a new key (kms:CreateKey, IAM).
    await rejects(() => app.replicateKey({ KeyId: primary.KeyId, ReplicaRegion: 'eu-west-1' }), 'AccessDeniedException', /kms:CreateKey/);
    us.setIdentityPolicies(APP, [
      doc(
        {
          Effect: 'Allow',
          Action: 'kms:ReplicateKey',
          Resource: primary.Arn,
          Condition: { StringEquals: { 'kms:ReplicaRegion': 'eu-west-1' } },
        },
        { Effect: 'Allow', Action: 'kms:CreateKey', Resource: '*' },
      ),
    ]);
    await rejects(
      () => app.replicateKey({ KeyId: primary.KeyId, ReplicaRegion: 'us-west-2' }),
      'AccessDeniedException',
      /kms:ReplicateKey/,
    );
    const out = await app.replicateKey({ KeyId: primary.KeyId, ReplicaRegion: 'eu-west-1' });
    const event = sink.events.at(-1)!;
    expect(event).toMatchObject({
      eventName: 'ReplicateKey',
      readOnly: false,
      requestParameters: { keyId: primary.KeyId, replicaRegion: 'eu-west-1' },
    });
    expect(event.errorCode).toBeUndefined();
    expect(event.resources!.map((r) => r.ARN).sort()).toEqual([out.ReplicaKeyMetadata!.Arn, primary.Arn].sort());
  });

  it('UpdatePrimaryRegion needs kms:UpdatePrimaryRegion on the primary and on the replica', async () => {
    const { us, eu, primary, replica } = await replicated();
    const policyFor = (arns: string[]) => [doc({ Effect: 'Allow', Action: 'kms:UpdatePrimaryRegion', Resource: arns })];
    us.setIdentityPolicies(APP, policyFor([primary.Arn!]));
    await rejects(
      () => us.withPrincipal(APP).updatePrimaryRegion({ KeyId: primary.KeyId, PrimaryRegion: 'eu-west-1' }),
      'AccessDeniedException',
      new RegExp(`on resource: ${replica.Arn}`),
    );
    expect(config((await eu.describeKey({ KeyId: primary.KeyId })).KeyMetadata)!.MultiRegionKeyType).toBe('REPLICA');
    us.setIdentityPolicies(APP, policyFor([primary.Arn!, replica.Arn!]));
    await us.withPrincipal(APP).updatePrimaryRegion({ KeyId: primary.KeyId, PrimaryRegion: 'eu-west-1' });
    expect(config((await eu.describeKey({ KeyId: primary.KeyId })).KeyMetadata)!.MultiRegionKeyType).toBe('PRIMARY');
  });
});

describe('under the AWS SDK v3 client', () => {
  it("ReplicateKey through the wire protocol; the replica region's client decrypts the primary's ciphertext", async () => {
    const kms = new Kms();
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
    const usClient = new KMSClient({ region: 'us-east-1', credentials, requestHandler: createRequestHandler(kms), maxAttempts: 1 });
    const euClient = new KMSClient({ region: 'eu-west-1', credentials, requestHandler: createRequestHandler(kms), maxAttempts: 1 });
    const { KeyMetadata } = await kms.createKey({ MultiRegion: true });
    const out = await usClient.send(
      new ReplicateKeyCommand({
        KeyId: KeyMetadata!.KeyId,
        ReplicaRegion: 'eu-west-1',
        Description: 'via sdk',
        Tags: [{ TagKey: 'k', TagValue: 'v' }],
      }),
    );
    expect(out.ReplicaKeyMetadata).toMatchObject({
      KeyId: KeyMetadata!.KeyId,
      Arn: `arn:aws:kms:eu-west-1:${A}:key/${KeyMetadata!.KeyId}`,
      Description: 'via sdk',
      MultiRegionConfiguration: { MultiRegionKeyType: 'REPLICA', PrimaryKey: { Arn: KeyMetadata!.Arn, Region: 'us-east-1' } },
    });
    expect(out.ReplicaKeyMetadata!.CreationDate).toBeInstanceOf(Date);
    expect(typeof out.ReplicaPolicy).toBe('string');
    expect(JSON.parse(out.ReplicaPolicy!).Id).toBe('key-default-1');
    expect(out.ReplicaTags).toEqual([{ TagKey: 'k', TagValue: 'v' }]);
    const enc = await kms.encrypt({ KeyId: KeyMetadata!.KeyId, Plaintext: utf8('over the wire') });
    const dec = await euClient.send(new SdkDecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(text(dec.Plaintext)).toBe('over the wire');
    expect(dec.KeyId).toBe(out.ReplicaKeyMetadata!.Arn);
    const again = await usClient
      .send(new ReplicateKeyCommand({ KeyId: KeyMetadata!.KeyId, ReplicaRegion: 'eu-west-1' }))
      .catch((e: unknown) => e);
    expect((again as Error).name).toBe('AlreadyExistsException');
  });
});

describe('multi-Region keys: what is not shared', () => {
  it("a primary's alias is not an alias of its replica (kms:ResourceAliases)", async () => {
    const policy = doc({
      Effect: 'Allow',
      Action: 'kms:Encrypt',
      Resource: '*',
      Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/us-prod' } },
    });
    const us = new Kms({ identityPolicies: { [APP]: [policy] } });
    const eu = us.withRegion('eu-west-1');
    const id = (await us.createKey({ MultiRegion: true })).KeyMetadata!.KeyId!;
    await us.replicateKey({ KeyId: id, ReplicaRegion: 'eu-west-1' });
    await us.createAlias({ AliasName: 'alias/us-prod', TargetKeyId: id });
    expect((await us.withPrincipal(APP).encrypt({ KeyId: id, Plaintext: utf8('x') })).KeyId).toMatch(/us-east-1/);
    expect((await eu.listAliases({ KeyId: id })).Aliases).toEqual([]);
    await rejects(() => eu.withPrincipal(APP).encrypt({ KeyId: id, Plaintext: utf8('x') }), 'AccessDeniedException');
  });

  it('a primary waiting for its replicas starts its own window when the last replica was due, not when a request noticed', async () => {
    const clock = new ManualClock(new Date('2026-05-01T00:00:00Z'));
    const us = new Kms({ clock });
    const eu = us.withRegion('eu-west-1');
    const id = (await us.createKey({ MultiRegion: true })).KeyMetadata!.KeyId!;
    await us.replicateKey({ KeyId: id, ReplicaRegion: 'eu-west-1' });
    await us.scheduleKeyDeletion({ KeyId: id, PendingWindowInDays: 7 });
    const { DeletionDate } = await eu.scheduleKeyDeletion({ KeyId: id, PendingWindowInDays: 7 });
    clock.advance(8 * DAY); // the replica was due a day ago; nothing has looked since
    const md = (await us.describeKey({ KeyId: id })).KeyMetadata!;
    expect(md.KeyState).toBe('PendingDeletion');
    expect(md.DeletionDate!.getTime()).toBe(DeletionDate!.getTime() + 7 * DAY);
    clock.advance(60 * DAY); // long past both windows: the primary is gone too
    await rejects(() => us.describeKey({ KeyId: id }), 'NotFoundException');
  });
});
