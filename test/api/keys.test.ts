// Key lifecycle: CreateKey, DescribeKey, ListKeys, UpdateKeyDescription, Enable/Disable, deletion.
import { describe, expect, it } from 'vitest';
import { Kms, ManualClock, MemoryProvider } from 'kmsbox';
import { rejects, utf8 } from './helpers.js';

const ARN = /^arn:aws:kms:us-east-1:111122223333:key\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DAY = 86_400_000;

describe('CreateKey', () => {
  it('makes a symmetric key whose metadata has exactly the fields AWS reports', async () => {
    const clock = new ManualClock(new Date('2026-03-01T00:00:00Z'));
    const kms = new Kms({ clock });
    const { KeyMetadata: md } = await kms.createKey({ Description: 'app' });
    expect(md!.Arn).toMatch(ARN);
    expect(md!.Arn).toBe(`arn:aws:kms:us-east-1:111122223333:key/${md!.KeyId}`);
    expect(md!.CurrentKeyMaterialId).toMatch(/^[0-9a-f]{64}$/);
    expect(md).toEqual({
      AWSAccountId: '111122223333',
      KeyId: md!.KeyId,
      Arn: md!.Arn,
      CreationDate: new Date('2026-03-01T00:00:00Z'),
      Enabled: true,
      Description: 'app',
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: 'Enabled',
      Origin: 'AWS_KMS',
      KeyManager: 'CUSTOMER',
      CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      KeySpec: 'SYMMETRIC_DEFAULT',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
      MultiRegion: false,
      CurrentKeyMaterialId: md!.CurrentKeyMaterialId,
    });
  });

  it('uses the region and account it is given, and the empty description by default', async () => {
    const kms = new Kms({ region: 'eu-west-2', accountId: '123456789012' });
    const { KeyMetadata: md } = await kms.createKey();
    expect(md!.Arn).toBe(`arn:aws:kms:eu-west-2:123456789012:key/${md!.KeyId}`);
    expect(md!.Description).toBe('');
    expect(new Kms({ region: 'cn-north-1' }).region).toBe('cn-north-1');
    const cn = await new Kms({ region: 'cn-north-1' }).createKey();
    expect(cn.KeyMetadata!.Arn!.startsWith('arn:aws-cn:kms:cn-north-1:')).toBe(true);
  });

  it('MultiRegion gives an mrk- key that is its own primary', async () => {
    const { KeyMetadata: md } = await new Kms().createKey({ MultiRegion: true });
    expect(md!.KeyId).toMatch(/^mrk-[0-9a-f]{32}$/);
    expect(md!.MultiRegion).toBe(true);
    expect(md!.MultiRegionConfiguration).toEqual({
      MultiRegionKeyType: 'PRIMARY',
      PrimaryKey: { Arn: md!.Arn, Region: 'us-east-1' },
      ReplicaKeys: [],
    });
  });

  it('stores the default key policy AWS writes, or the given one', async () => {
    const kms = new Kms();
    const { KeyMetadata: md } = await kms.createKey();
    const record = await kms.provider.read((s) => s.keys[md!.Arn!]!);
    expect(JSON.parse(record.policy)).toEqual({
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: [
        {
          Sid: 'Enable IAM User Permissions',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::111122223333:root' },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    });
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: '111122223333' }, Action: 'kms:*', Resource: '*' }],
    });
    const { KeyMetadata: md2 } = await kms.createKey({ Policy: policy });
    expect((await kms.provider.read((s) => s.keys[md2!.Arn!]!)).policy).toBe(policy);
    await rejects(() => kms.createKey({ Policy: '{not json' }), 'MalformedPolicyDocumentException');
    await rejects(() => kms.createKey({ Policy: JSON.stringify({ Statement: [], pad: 'x'.repeat(33_000) }) }), 'LimitExceededException');
  });

  it('validates its input in AWS words', async () => {
    const kms = new Kms();
    await rejects(
      () => kms.createKey({ KeySpec: 'AES_256' as never }),
      'ValidationException',
      /^1 validation error detected: Value 'AES_256' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: \[SYMMETRIC_DEFAULT, /,
    );
    await rejects(() => kms.createKey({ KeyUsage: 'DECRYPT' as never }), 'ValidationException', /Value 'DECRYPT' at 'keyUsage'/);
    await rejects(
      () => kms.createKey({ KeySpec: 'HMAC_256' }),
      'ValidationException',
      'You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.',
    );
    await rejects(
      () => kms.createKey({ KeySpec: 'RSA_2048', KeyUsage: 'KEY_AGREEMENT' }),
      'ValidationException',
      'KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048',
    );
    await rejects(
      () => kms.createKey({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'SIGN_VERIFY' }),
      'ValidationException',
      'KeyUsage SIGN_VERIFY is not compatible with KeySpec SYMMETRIC_DEFAULT',
    );
    await rejects(
      () => kms.createKey({ KeySpec: 'SYMMETRIC_DEFAULT', CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT' }),
      'ValidationException',
      /CustomerMasterKeySpec is deprecated/,
    );
    await rejects(
      () => kms.createKey({ Description: 'd'.repeat(8193) }),
      'ValidationException',
      /at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192$/,
    );
    // Specs of later work answer UnsupportedOperationException until their provider support lands.
    await rejects(
      () => kms.createKey({ KeySpec: 'ML_KEM_768', KeyUsage: 'ENCAPSULATE_DECAPSULATE' }),
      'UnsupportedOperationException',
      /ENCAPSULATE_DECAPSULATE/,
    );
    await rejects(() => kms.createKey({ Origin: 'EXTERNAL_KEY_STORE' }), 'UnsupportedOperationException');
    await rejects(
      () => kms.createKey({ Origin: 'EXTERNAL', KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }),
      'UnsupportedOperationException',
    );
    expect((await kms.listKeys()).Keys).toEqual([]); // nothing half-made
  });
});

describe('DescribeKey and the four KeyId forms', () => {
  it('finds a key by id, key ARN, alias name and alias ARN', async () => {
    const kms = new Kms();
    const { KeyMetadata: md } = await kms.createKey();
    await kms.createAlias({ AliasName: 'alias/app', TargetKeyId: md!.KeyId });
    for (const KeyId of [md!.KeyId!, md!.Arn!, 'alias/app', 'arn:aws:kms:us-east-1:111122223333:alias/app']) {
      expect((await kms.describeKey({ KeyId })).KeyMetadata!.KeyId).toBe(md!.KeyId);
    }
  });

  it('answers NotFoundException with AWS messages for malformed, unknown and foreign ids', async () => {
    const kms = new Kms();
    for (const bad of ['fake-key-id', 'key_id', 'mrk-fake-key-id', '1234abcd12ab34cd56ef1234567890ab', 'alias/']) {
      await rejects(() => kms.describeKey({ KeyId: bad }), 'NotFoundException', `Invalid keyId '${bad}'`);
    }
    const unknown = '1234abcd-12ab-34cd-56ef-1234567890ab';
    const arn = `arn:aws:kms:us-east-1:111122223333:key/${unknown}`;
    await rejects(() => kms.describeKey({ KeyId: unknown }), 'NotFoundException', `Key '${arn}' does not exist`);
    await rejects(() => kms.describeKey({ KeyId: arn }), 'NotFoundException', `Key '${arn}' does not exist`);
    await rejects(() => kms.describeKey({ KeyId: `mrk-${'a'.repeat(32)}` }), 'NotFoundException', /does not exist$/);
    await rejects(
      () => kms.describeKey({ KeyId: `arn:aws:kms:eu-west-1:111122223333:key/${unknown}` }),
      'NotFoundException',
      'Invalid arn eu-west-1',
    );
    await rejects(
      () => kms.describeKey({ KeyId: 'alias/nope' }),
      'NotFoundException',
      'Alias arn:aws:kms:us-east-1:111122223333:alias/nope is not found.',
    );
  });

  it('a key of another region is invisible through its bare id', async () => {
    const provider = new Kms().provider;
    const east = new Kms({ provider });
    const west = new Kms({ provider, region: 'us-west-2' });
    const { KeyMetadata: md } = await east.createKey();
    await rejects(
      () => west.describeKey({ KeyId: md!.KeyId }),
      'NotFoundException',
      `Key 'arn:aws:kms:us-west-2:111122223333:key/${md!.KeyId}' does not exist`,
    );
    expect((await west.listKeys()).Keys).toEqual([]);
  });
});

describe('ListKeys', () => {
  it('pages with Limit and Marker, listing every key exactly once', async () => {
    const kms = new Kms();
    const ids = new Set<string>();
    for (let i = 0; i < 7; i++) ids.add((await kms.createKey()).KeyMetadata!.KeyId!);
    const seen: string[] = [];
    let Marker: string | undefined;
    let pages = 0;
    do {
      const page = await kms.listKeys({ Limit: 3, ...(Marker ? { Marker } : {}) });
      pages++;
      for (const k of page.Keys!) {
        expect(k.KeyArn).toBe(`arn:aws:kms:us-east-1:111122223333:key/${k.KeyId}`);
        seen.push(k.KeyId!);
      }
      expect(page.Truncated).toBe(page.NextMarker !== undefined);
      Marker = page.NextMarker;
    } while (Marker);
    expect(pages).toBe(3);
    expect(new Set(seen)).toEqual(ids);
    expect(seen.length).toBe(7);
    expect((await kms.listKeys()).Keys!.length).toBe(7);
  });

  it('refuses a bad Limit or Marker', async () => {
    const kms = new Kms();
    await rejects(() => kms.listKeys({ Limit: 0 }), 'ValidationException', /Value '0' at 'limit'.*greater than or equal to 1/);
    await rejects(() => kms.listKeys({ Limit: 1001 }), 'ValidationException', /less than or equal to 1000/);
    await rejects(() => kms.listKeys({ Marker: 'garbage' }), 'InvalidMarkerException');
  });
});

describe('UpdateKeyDescription, EnableKey, DisableKey', () => {
  it('changes the description', async () => {
    const kms = new Kms();
    const { KeyMetadata: md } = await kms.createKey({ Description: 'a' });
    await kms.updateKeyDescription({ KeyId: md!.KeyId, Description: 'b' });
    expect((await kms.describeKey({ KeyId: md!.KeyId })).KeyMetadata!.Description).toBe('b');
    await rejects(
      () => kms.updateKeyDescription({ KeyId: md!.KeyId } as never),
      'ValidationException',
      /Value null at 'description'.*must not be null/,
    );
  });

  it('a disabled key refuses cryptography with DisabledException and comes back when enabled', async () => {
    const kms = new Kms();
    const { KeyMetadata: md } = await kms.createKey();
    const KeyId = md!.KeyId!;
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: utf8('x') });
    await kms.disableKey({ KeyId });
    const d = (await kms.describeKey({ KeyId })).KeyMetadata!;
    expect([d.KeyState, d.Enabled]).toEqual(['Disabled', false]);
    const msg = `${md!.Arn} is disabled.`;
    await rejects(() => kms.encrypt({ KeyId, Plaintext: utf8('x') }), 'DisabledException', msg);
    await rejects(() => kms.decrypt({ CiphertextBlob }), 'DisabledException', msg);
    await rejects(() => kms.generateDataKey({ KeyId, KeySpec: 'AES_256' }), 'DisabledException', msg);
    await rejects(() => kms.generateDataKeyWithoutPlaintext({ KeyId, KeySpec: 'AES_256' }), 'DisabledException', msg);
    await kms.enableKey({ KeyId });
    expect(new TextDecoder().decode((await kms.decrypt({ CiphertextBlob })).Plaintext)).toBe('x');
  });
});

describe('ScheduleKeyDeletion and CancelKeyDeletion', () => {
  it('schedules 30 days out by default and reports it as AWS does', async () => {
    const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
    const kms = new Kms({ clock });
    const { KeyMetadata: md } = await kms.createKey();
    const out = await kms.scheduleKeyDeletion({ KeyId: md!.KeyId });
    expect(out).toMatchObject({
      KeyId: md!.Arn,
      KeyState: 'PendingDeletion',
      PendingWindowInDays: 30,
      DeletionDate: new Date('2026-01-31T00:00:00Z'),
    });
    const d = (await kms.describeKey({ KeyId: md!.KeyId })).KeyMetadata!;
    expect(d).toMatchObject({
      KeyState: 'PendingDeletion',
      Enabled: false,
      DeletionDate: new Date('2026-01-31T00:00:00Z'),
      PendingDeletionWindowInDays: 30,
    });
  });

  it('enforces 7–30 days', async () => {
    const kms = new Kms();
    const { KeyMetadata: md } = await kms.createKey();
    await rejects(
      () => kms.scheduleKeyDeletion({ KeyId: md!.KeyId, PendingWindowInDays: 6 }),
      'ValidationException',
      /Value '6' at 'pendingWindowInDays'.*greater than or equal to 7/,
    );
    await rejects(
      () => kms.scheduleKeyDeletion({ KeyId: md!.KeyId, PendingWindowInDays: 31 }),
      'ValidationException',
      /less than or equal to 30/,
    );
    expect((await kms.scheduleKeyDeletion({ KeyId: md!.KeyId, PendingWindowInDays: 7 })).PendingWindowInDays).toBe(7);
  });

  it('a key pending deletion refuses use and a second schedule; cancel leaves it Disabled', async () => {
    const kms = new Kms();
    const { KeyMetadata: md } = await kms.createKey();
    const KeyId = md!.KeyId!;
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: utf8('x') });
    await rejects(() => kms.cancelKeyDeletion({ KeyId }), 'KMSInvalidStateException', `${md!.Arn} is not pending deletion.`);
    await kms.scheduleKeyDeletion({ KeyId });
    const msg = `${md!.Arn} is pending deletion.`;
    await rejects(() => kms.encrypt({ KeyId, Plaintext: utf8('x') }), 'KMSInvalidStateException', msg);
    await rejects(() => kms.decrypt({ CiphertextBlob }), 'KMSInvalidStateException', msg);
    await rejects(() => kms.generateDataKey({ KeyId, NumberOfBytes: 8 }), 'KMSInvalidStateException', msg);
    await rejects(() => kms.scheduleKeyDeletion({ KeyId }), 'KMSInvalidStateException', msg);
    await rejects(() => kms.enableKey({ KeyId }), 'KMSInvalidStateException', msg);
    await rejects(() => kms.tagResource({ KeyId, Tags: [{ TagKey: 'a', TagValue: 'b' }] }), 'KMSInvalidStateException', msg);
    expect((await kms.cancelKeyDeletion({ KeyId })).KeyId).toBe(md!.Arn);
    const d = (await kms.describeKey({ KeyId })).KeyMetadata!;
    expect([d.KeyState, d.Enabled, d.DeletionDate, d.PendingDeletionWindowInDays]).toEqual(['Disabled', false, undefined, undefined]);
  });

  it('once the clock passes the deletion date the key, its aliases and its material are gone', async () => {
    const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
    const kms = new Kms({ clock });
    const { KeyMetadata: md } = await kms.createKey();
    const KeyId = md!.KeyId!;
    const other = (await kms.createKey()).KeyMetadata!.KeyId!;
    await kms.createAlias({ AliasName: 'alias/doomed', TargetKeyId: KeyId });
    await kms.createAlias({ AliasName: 'alias/kept', TargetKeyId: other });
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: utf8('x') });
    await kms.scheduleKeyDeletion({ KeyId, PendingWindowInDays: 7 });

    clock.advance(7 * DAY - 1);
    expect((await kms.describeKey({ KeyId })).KeyMetadata!.KeyState).toBe('PendingDeletion');
    expect((await kms.listAliases()).Aliases!.map((a) => a.AliasName)).toEqual(['alias/doomed', 'alias/kept']);

    clock.advance(1);
    expect((await kms.listKeys()).Keys!.map((k) => k.KeyId)).toEqual([other]);
    expect((await kms.listAliases()).Aliases!.map((a) => a.AliasName)).toEqual(['alias/kept']);
    await rejects(() => kms.describeKey({ KeyId }), 'NotFoundException', `Key '${md!.Arn}' does not exist`);
    await rejects(() => kms.describeKey({ KeyId: 'alias/doomed' }), 'NotFoundException');
    // Its ciphertexts are unreadable for good.
    await rejects(
      () => kms.decrypt({ CiphertextBlob }),
      'InvalidCiphertextException',
      'The ciphertext is not valid for this key and encryption context, or it was altered.',
    );
  });
});

describe('CreateKey when the store fails', () => {
  it('a record that cannot be stored leaves no material behind, and the call fails typed', async () => {
    class FailingStore extends MemoryProvider {
      created: string[] = [];
      failNext = false;
      override async createMaterial(...args: Parameters<MemoryProvider['createMaterial']>): Promise<string> {
        const id = await super.createMaterial(...args);
        this.created.push(id);
        return id;
      }
      override update<T>(fn: Parameters<MemoryProvider['update']>[0]): Promise<T> {
        if (this.failNext) {
          this.failNext = false;
          return Promise.reject(new Error('disk full'));
        }
        return super.update(fn) as Promise<T>;
      }
      has(id: string): boolean {
        return (this as unknown as { findMaterial(id: string): unknown }).findMaterial(id) !== undefined;
      }
    }
    const provider = new FailingStore();
    const kms = new Kms({ provider });
    provider.failNext = true;
    await rejects(() => kms.createKey({}), 'KMSInternalException');
    expect(provider.created).toHaveLength(1);
    expect(provider.has(provider.created[0]!)).toBe(false);
    expect((await kms.listKeys({})).Keys).toEqual([]);
    const { KeyMetadata } = await kms.createKey({});
    expect(provider.has(provider.created[1]!)).toBe(true);
    expect((await kms.listKeys({})).Keys!.map((k) => k.KeyId)).toEqual([KeyMetadata!.KeyId]);
  });
});
