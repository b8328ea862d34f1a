// Aliases (docs/aws-behaviour.md#key-identifiers-and-aliases) and tags (API_TagResource).
import { describe, expect, it } from 'vitest';
import { Kms, ManualClock } from 'kmsbox';
import { rejects, utf8 } from './helpers.js';

const PREFIX_MSG =
  'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html';

async function setup() {
  const clock = new ManualClock(new Date('2026-02-01T00:00:00Z'));
  const kms = new Kms({ clock });
  const a = (await kms.createKey()).KeyMetadata!;
  const b = (await kms.createKey()).KeyMetadata!;
  return { kms, clock, a, b };
}

describe('aliases', () => {
  it('create, list with every field, retarget, delete', async () => {
    const { kms, clock, a, b } = await setup();
    await kms.createAlias({ AliasName: 'alias/app', TargetKeyId: a.KeyId });
    await kms.createAlias({ AliasName: 'alias/by-arn', TargetKeyId: b.Arn }); // a key ARN is fine
    expect((await kms.listAliases()).Aliases).toEqual([
      {
        AliasName: 'alias/app',
        AliasArn: 'arn:aws:kms:us-east-1:111122223333:alias/app',
        TargetKeyId: a.KeyId,
        CreationDate: clock.now(),
        LastUpdatedDate: clock.now(),
      },
      {
        AliasName: 'alias/by-arn',
        AliasArn: 'arn:aws:kms:us-east-1:111122223333:alias/by-arn',
        TargetKeyId: b.KeyId,
        CreationDate: clock.now(),
        LastUpdatedDate: clock.now(),
      },
    ]);
    const old = await kms.encrypt({ KeyId: 'alias/app', Plaintext: utf8('old') });
    expect(old.KeyId).toBe(a.Arn);

    clock.advance(1000);
    await kms.updateAlias({ AliasName: 'alias/app', TargetKeyId: b.KeyId });
    const entry = (await kms.listAliases({ KeyId: b.KeyId })).Aliases!.find((x) => x.AliasName === 'alias/app')!;
    expect(entry.LastUpdatedDate!.getTime() - entry.CreationDate!.getTime()).toBe(1000);
    expect((await kms.encrypt({ KeyId: 'alias/app', Plaintext: utf8('new') })).KeyId).toBe(b.Arn);
    // Ciphertexts made through the alias before still decrypt: they name their key, not the alias.
    expect((await kms.decrypt({ CiphertextBlob: old.CiphertextBlob })).KeyId).toBe(a.Arn);

    await kms.deleteAlias({ AliasName: 'alias/app' });
    await rejects(
      () => kms.describeKey({ KeyId: 'alias/app' }),
      'NotFoundException',
      'Alias arn:aws:kms:us-east-1:111122223333:alias/app is not found.',
    );
    await rejects(() => kms.deleteAlias({ AliasName: 'alias/app' }), 'NotFoundException');
    await rejects(() => kms.updateAlias({ AliasName: 'alias/app', TargetKeyId: a.KeyId }), 'NotFoundException');
  });

  it('names: prefix, reserved alias/aws/, pattern, length, duplicates', async () => {
    const { kms, a } = await setup();
    await rejects(() => kms.createAlias({ AliasName: 'myapp-key', TargetKeyId: a.KeyId }), 'ValidationException', PREFIX_MSG);
    await rejects(() => kms.createAlias({ AliasName: 'alias/aws/s3', TargetKeyId: a.KeyId }), 'InvalidAliasNameException');
    await rejects(
      () => kms.createAlias({ AliasName: 'alias/has space', TargetKeyId: a.KeyId }),
      'ValidationException',
      "1 validation error detected: Value 'alias/has space' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
    );
    await rejects(
      () => kms.createAlias({ AliasName: `alias/${'x'.repeat(251)}`, TargetKeyId: a.KeyId }),
      'ValidationException',
      /less than or equal to 256/,
    );
    await kms.createAlias({ AliasName: `alias/${'x'.repeat(250)}`, TargetKeyId: a.KeyId });
    await kms.createAlias({ AliasName: 'alias/Case', TargetKeyId: a.KeyId });
    await kms.createAlias({ AliasName: 'alias/case', TargetKeyId: a.KeyId }); // case-sensitive
    await rejects(
      () => kms.createAlias({ AliasName: 'alias/case', TargetKeyId: a.KeyId }),
      'AlreadyExistsException',
      'An alias with the name arn:aws:kms:us-east-1:111122223333:alias/case already exists',
    );
    await rejects(() => kms.deleteAlias({ AliasName: 'nope' }), 'ValidationException', PREFIX_MSG);
  });

  it('TargetKeyId must be a key id or key ARN, of a key not pending deletion', async () => {
    const { kms, a, b } = await setup();
    await kms.createAlias({ AliasName: 'alias/one', TargetKeyId: a.KeyId });
    await rejects(
      () => kms.createAlias({ AliasName: 'alias/two', TargetKeyId: 'alias/one' }),
      'NotFoundException',
      "Invalid keyId 'alias/one'",
    );
    await kms.scheduleKeyDeletion({ KeyId: b.KeyId });
    await rejects(
      () => kms.createAlias({ AliasName: 'alias/two', TargetKeyId: b.KeyId }),
      'KMSInvalidStateException',
      `${b.Arn} is pending deletion.`,
    );
    await rejects(
      () => kms.updateAlias({ AliasName: 'alias/one', TargetKeyId: b.KeyId }),
      'KMSInvalidStateException',
      `${b.Arn} is pending deletion.`,
    );
    // Only the new target matters: an alias may move off a key pending deletion.
    await kms.createAlias({ AliasName: 'alias/moving', TargetKeyId: a.KeyId });
    await kms.scheduleKeyDeletion({ KeyId: a.KeyId });
    await kms.cancelKeyDeletion({ KeyId: b.KeyId });
    await kms.updateAlias({ AliasName: 'alias/moving', TargetKeyId: b.KeyId });
  });

  it('ListAliases filters by key, pages, and refuses an alias as the filter', async () => {
    const { kms, a, b } = await setup();
    for (let i = 0; i < 5; i++) await kms.createAlias({ AliasName: `alias/a${i}`, TargetKeyId: a.KeyId });
    await kms.createAlias({ AliasName: 'alias/b0', TargetKeyId: b.KeyId });
    expect((await kms.listAliases({ KeyId: b.Arn })).Aliases!.map((x) => x.AliasName)).toEqual(['alias/b0']);
    const p1 = await kms.listAliases({ KeyId: a.KeyId, Limit: 2 });
    const p2 = await kms.listAliases({ KeyId: a.KeyId, Limit: 2, Marker: p1.NextMarker! });
    const p3 = await kms.listAliases({ KeyId: a.KeyId, Limit: 2, Marker: p2.NextMarker! });
    expect([...p1.Aliases!, ...p2.Aliases!, ...p3.Aliases!].map((x) => x.AliasName)).toEqual([
      'alias/a0',
      'alias/a1',
      'alias/a2',
      'alias/a3',
      'alias/a4',
    ]);
    expect([p1.Truncated, p2.Truncated, p3.Truncated]).toEqual([true, true, false]);
    await rejects(() => kms.listAliases({ KeyId: 'alias/a0' }), 'NotFoundException', "Invalid keyId 'alias/a0'");
  });

  it('a key holds at most 50 aliases', async () => {
    const { kms, a } = await setup();
    for (let i = 0; i < 50; i++) await kms.createAlias({ AliasName: `alias/n${i}`, TargetKeyId: a.KeyId });
    await rejects(() => kms.createAlias({ AliasName: 'alias/n50', TargetKeyId: a.KeyId }), 'LimitExceededException');
  });
});

describe('tags', () => {
  it('tag, overwrite, list, untag', async () => {
    const { kms, a } = await setup();
    const KeyId = a.KeyId!;
    await kms.tagResource({
      KeyId,
      Tags: [
        { TagKey: 'env', TagValue: 'dev' },
        { TagKey: 'Owner', TagValue: '' },
      ],
    });
    await kms.tagResource({ KeyId, Tags: [{ TagKey: 'env', TagValue: 'prod' }] });
    expect((await kms.listResourceTags({ KeyId })).Tags).toEqual([
      { TagKey: 'Owner', TagValue: '' },
      { TagKey: 'env', TagValue: 'prod' },
    ]);
    await kms.untagResource({ KeyId, TagKeys: ['env', 'absent'] });
    expect((await kms.listResourceTags({ KeyId })).Tags).toEqual([{ TagKey: 'Owner', TagValue: '' }]);
    await kms.untagResource({ KeyId, TagKeys: ['Owner'] });
    expect((await kms.listResourceTags({ KeyId })).Tags).toEqual([]);
  });

  it('AWS tag rules and messages', async () => {
    const { kms, a } = await setup();
    const KeyId = a.KeyId!;
    const t = (TagKey: string, TagValue = 'v') => ({ TagKey, TagValue });
    await rejects(() => kms.tagResource({ KeyId, Tags: [t('k'), t('k')] }), 'TagException', 'Duplicate tag keys');
    await rejects(() => kms.tagResource({ KeyId, Tags: [t('aws:x')] }), 'TagException', 'Tags beginning with aws: are reserved');
    await rejects(() => kms.tagResource({ KeyId, Tags: [t('AWS:x')] }), 'TagException', 'Tags beginning with aws: are reserved');
    await rejects(() => kms.createKey({ Tags: [t('aws:x')] }), 'TagException', 'Tags beginning with aws: are reserved');
    await rejects(
      () => kms.tagResource({ KeyId, Tags: [t('ok'), t('k'.repeat(129))] }),
      'ValidationException',
      `1 validation error detected: Value '${'k'.repeat(129)}' at 'tags.2.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128`,
    );
    await rejects(
      () => kms.tagResource({ KeyId, Tags: [t('k', 'v'.repeat(257))] }),
      'ValidationException',
      /at 'tags.1.member.tagValue'.*less than or equal to 256$/,
    );
    await kms.tagResource({ KeyId, Tags: Array.from({ length: 50 }, (_, i) => t(`k${i}`)) });
    await rejects(() => kms.tagResource({ KeyId, Tags: [t('one-more')] }), 'TagException', 'Too many tags');
    await kms.tagResource({ KeyId, Tags: [t('k0', 'new value')] }); // overwriting stays within 50
    await rejects(() => kms.createKey({ Tags: Array.from({ length: 51 }, (_, i) => t(`k${i}`)) }), 'TagException', 'Too many tags');
  });

  it('tags given to CreateKey are listed, and ListResourceTags pages by at most 50', async () => {
    const kms = new Kms();
    const { KeyMetadata: md } = await kms.createKey({
      Tags: Array.from({ length: 12 }, (_, i) => ({ TagKey: `t${String(i).padStart(2, '0')}`, TagValue: `${i}` })),
    });
    const p1 = await kms.listResourceTags({ KeyId: md!.KeyId, Limit: 5 });
    expect(p1.Tags!.map((x) => x.TagKey)).toEqual(['t00', 't01', 't02', 't03', 't04']);
    expect(p1.Truncated).toBe(true);
    const p2 = await kms.listResourceTags({ KeyId: md!.KeyId, Limit: 50, Marker: p1.NextMarker! });
    expect(p2.Tags!.length).toBe(7);
    expect(p2.Truncated).toBe(false);
    await rejects(() => kms.listResourceTags({ KeyId: md!.KeyId, Limit: 51 }), 'ValidationException', /less than or equal to 50/);
  });
});
