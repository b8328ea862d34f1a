// AWS-fidelity details: per-operation paging limits, UpdateAlias's key-type rule, the bare
// 'alias/' name, grants of deleted keys, and the partition an ARN names.
import { describe, expect, it } from 'vitest';
import { Kms, ManualClock } from 'kmsbox';
import { rejects, utf8 } from './helpers.js';

const A = '111122223333';
const APP = `arn:aws:iam::${A}:role/app`;
const RETIRER = `arn:aws:iam::${A}:role/retirer`;
const OTHER_RETIRER = `arn:aws:iam::${A}:role/other-retirer`;

const pad = (i: number) => String(i).padStart(3, '0');

describe('paging limits per operation', () => {
  it('ListAliases: default page of 50, Limit 1–100', async () => {
    const kms = new Kms();
    // At most 50 aliases per key, so two keys carry the 60.
    const k1 = (await kms.createKey()).KeyMetadata!;
    const k2 = (await kms.createKey()).KeyMetadata!;
    for (let i = 0; i < 60; i++) await kms.createAlias({ AliasName: `alias/a${pad(i)}`, TargetKeyId: i < 30 ? k1.KeyId : k2.KeyId });

    const first = await kms.listAliases();
    expect(first.Aliases!.length).toBe(50);
    expect(first.Truncated).toBe(true);
    expect(first.NextMarker).toEqual(expect.any(String));
    expect(first.Aliases!.map((a) => a.AliasName)).toEqual(Array.from({ length: 50 }, (_, i) => `alias/a${pad(i)}`));
    const second = await kms.listAliases({ Marker: first.NextMarker! });
    expect(second.Aliases!.map((a) => a.AliasName)).toEqual(Array.from({ length: 10 }, (_, i) => `alias/a${pad(50 + i)}`));
    expect(second.Truncated).toBe(false);
    expect(second.NextMarker).toBeUndefined();

    expect((await kms.listAliases({ Limit: 100 })).Aliases!.length).toBe(60);
    expect((await kms.listAliases({ Limit: 1 })).Aliases!.length).toBe(1);
    await rejects(() => kms.listAliases({ Limit: 101 }), 'ValidationException');
    await rejects(() => kms.listAliases({ Limit: 1000 }), 'ValidationException');
    await rejects(() => kms.listAliases({ Limit: 0 }), 'ValidationException');
  });

  it('ListGrants and ListRetirableGrants: default page of 50, Limit 1–100', async () => {
    const kms = new Kms();
    const key = (await kms.createKey()).KeyMetadata!;
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      const g = await kms.createGrant({
        KeyId: key.KeyId,
        GranteePrincipal: APP,
        RetiringPrincipal: RETIRER,
        Operations: ['Encrypt'],
        Name: `g${i}`,
      });
      ids.push(g.GrantId!);
    }
    // A grant some other principal may retire: not in RETIRER's list, but in the key's.
    const other = await kms.createGrant({
      KeyId: key.KeyId,
      GranteePrincipal: APP,
      RetiringPrincipal: OTHER_RETIRER,
      Operations: ['Decrypt'],
    });
    const all = [...ids, other.GrantId!].sort();
    const retirable = [...ids].sort();

    const g1 = await kms.listGrants({ KeyId: key.KeyId });
    expect(g1.Grants!.length).toBe(50);
    expect(g1.Truncated).toBe(true);
    expect(g1.NextMarker).toEqual(expect.any(String));
    const g2 = await kms.listGrants({ KeyId: key.KeyId, Marker: g1.NextMarker! });
    expect(g2.Grants!.length).toBe(11);
    expect(g2.Truncated).toBe(false);
    expect(g2.NextMarker).toBeUndefined();
    expect([...g1.Grants!, ...g2.Grants!].map((g) => g.GrantId).sort()).toEqual(all);
    expect((await kms.listGrants({ KeyId: key.KeyId, Limit: 100 })).Grants!.length).toBe(61);
    await rejects(() => kms.listGrants({ KeyId: key.KeyId, Limit: 101 }), 'ValidationException');

    const r1 = await kms.listRetirableGrants({ RetiringPrincipal: RETIRER });
    expect(r1.Grants!.length).toBe(50);
    expect(r1.Truncated).toBe(true);
    expect(r1.NextMarker).toEqual(expect.any(String));
    const r2 = await kms.listRetirableGrants({ RetiringPrincipal: RETIRER, Marker: r1.NextMarker! });
    expect(r2.Grants!.length).toBe(10);
    expect(r2.Truncated).toBe(false);
    expect(r2.NextMarker).toBeUndefined();
    expect([...r1.Grants!, ...r2.Grants!].map((g) => g.GrantId).sort()).toEqual(retirable);
    expect((await kms.listRetirableGrants({ RetiringPrincipal: RETIRER, Limit: 100 })).Grants!.length).toBe(60);
    await rejects(() => kms.listRetirableGrants({ RetiringPrincipal: RETIRER, Limit: 101 }), 'ValidationException');
  });

  it('ListKeys: default page of 100, Limit up to 1000', async () => {
    const kms = new Kms();
    for (let i = 0; i < 101; i++) await kms.createKey();
    const first = await kms.listKeys();
    expect(first.Keys!.length).toBe(100);
    expect(first.Truncated).toBe(true);
    const second = await kms.listKeys({ Marker: first.NextMarker! });
    expect(second.Keys!.length).toBe(1);
    expect(second.Truncated).toBe(false);
    const big = await kms.listKeys({ Limit: 1000 });
    expect(big.Keys!.length).toBe(101);
    expect(big.Truncated).toBe(false);
    await rejects(() => kms.listKeys({ Limit: 1001 }), 'ValidationException');
  });

  it('ListResourceTags: default and maximum 50', async () => {
    const kms = new Kms();
    const key = (await kms.createKey()).KeyMetadata!;
    await kms.tagResource({ KeyId: key.KeyId, Tags: Array.from({ length: 50 }, (_, i) => ({ TagKey: `t${pad(i)}`, TagValue: 'v' })) });
    const all = await kms.listResourceTags({ KeyId: key.KeyId });
    expect(all.Tags!.length).toBe(50);
    expect(all.Truncated).toBe(false);
    const ten = await kms.listResourceTags({ KeyId: key.KeyId, Limit: 10 });
    expect(ten.Tags!.length).toBe(10);
    expect(ten.Truncated).toBe(true);
    expect((await kms.listResourceTags({ KeyId: key.KeyId, Limit: 50 })).Tags!.length).toBe(50);
    await rejects(() => kms.listResourceTags({ KeyId: key.KeyId, Limit: 51 }), 'ValidationException');
  });
});

describe('UpdateAlias: same key type and key usage; the spec may differ', () => {
  async function retarget(kms: Kms, from: string, to: string) {
    await kms.createAlias({ AliasName: 'alias/x', TargetKeyId: from });
    await kms.updateAlias({ AliasName: 'alias/x', TargetKeyId: to });
    expect((await kms.describeKey({ KeyId: 'alias/x' })).KeyMetadata!.KeyId).toBe(to);
    await kms.deleteAlias({ AliasName: 'alias/x' });
  }

  it('RSA_2048 → RSA_4096 (SIGN_VERIFY), RSA_2048 → ECC_NIST_P256 (SIGN_VERIFY), HMAC_256 → HMAC_512', async () => {
    const kms = new Kms();
    const rsa2048 = (await kms.createKey({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!;
    const rsa4096 = (await kms.createKey({ KeySpec: 'RSA_4096', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!;
    const p256 = (await kms.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!;
    const hmac256 = (await kms.createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' })).KeyMetadata!;
    const hmac512 = (await kms.createKey({ KeySpec: 'HMAC_512', KeyUsage: 'GENERATE_VERIFY_MAC' })).KeyMetadata!;
    await retarget(kms, rsa2048.KeyId!, rsa4096.KeyId!);
    await retarget(kms, rsa2048.KeyId!, p256.KeyId!);
    await retarget(kms, hmac256.KeyId!, hmac512.KeyId!);
    // The alias is usable through its new key.
    await kms.createAlias({ AliasName: 'alias/mac', TargetKeyId: hmac256.KeyId });
    await kms.updateAlias({ AliasName: 'alias/mac', TargetKeyId: hmac512.Arn });
    const mac = await kms.generateMac({ KeyId: 'alias/mac', MacAlgorithm: 'HMAC_SHA_512', Message: utf8('m') });
    expect(mac.KeyId).toBe(hmac512.Arn);
  });

  it('another key type or another key usage is a ValidationException, and the alias stays', async () => {
    const kms = new Kms();
    const sym = (await kms.createKey()).KeyMetadata!;
    const hmac = (await kms.createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' })).KeyMetadata!;
    const rsaEnc = (await kms.createKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' })).KeyMetadata!;
    const rsaSign = (await kms.createKey({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!;

    await kms.createAlias({ AliasName: 'alias/sym', TargetKeyId: sym.KeyId });
    await rejects(() => kms.updateAlias({ AliasName: 'alias/sym', TargetKeyId: hmac.KeyId }), 'ValidationException');
    // Same usage (ENCRYPT_DECRYPT), another type (symmetric → asymmetric).
    await rejects(() => kms.updateAlias({ AliasName: 'alias/sym', TargetKeyId: rsaEnc.KeyId }), 'ValidationException');
    expect((await kms.describeKey({ KeyId: 'alias/sym' })).KeyMetadata!.KeyId).toBe(sym.KeyId);

    await kms.createAlias({ AliasName: 'alias/rsa', TargetKeyId: rsaEnc.KeyId });
    await rejects(() => kms.updateAlias({ AliasName: 'alias/rsa', TargetKeyId: rsaSign.KeyId }), 'ValidationException');
    await rejects(() => kms.updateAlias({ AliasName: 'alias/rsa', TargetKeyId: sym.KeyId }), 'ValidationException');
    expect((await kms.describeKey({ KeyId: 'alias/rsa' })).KeyMetadata!.KeyId).toBe(rsaEnc.KeyId);
  });
});

describe("the bare alias name 'alias/'", () => {
  it('is a ValidationException for CreateAlias, UpdateAlias and DeleteAlias, and creates nothing', async () => {
    const kms = new Kms();
    const key = (await kms.createKey()).KeyMetadata!;
    await kms.createAlias({ AliasName: 'alias/keep', TargetKeyId: key.KeyId });
    const before = (await kms.listAliases()).Aliases!;
    expect(before.map((a) => a.AliasName)).toEqual(['alias/keep']);
    await rejects(() => kms.createAlias({ AliasName: 'alias/', TargetKeyId: key.KeyId }), 'ValidationException');
    await rejects(() => kms.updateAlias({ AliasName: 'alias/', TargetKeyId: key.KeyId }), 'ValidationException');
    await rejects(() => kms.deleteAlias({ AliasName: 'alias/' }), 'ValidationException');
    expect((await kms.listAliases()).Aliases!).toEqual(before);
    expect((await kms.listAliases({ KeyId: key.KeyId })).Aliases!.map((a) => a.AliasName)).toEqual(['alias/keep']);
  });
});

describe('grants of a key whose deletion date has passed', () => {
  async function setup() {
    const clock = new ManualClock(new Date('2026-02-01T00:00:00Z'));
    const kms = new Kms({ clock });
    const doomed = (await kms.createKey()).KeyMetadata!;
    const kept = (await kms.createKey()).KeyMetadata!;
    const g = await kms.createGrant({ KeyId: doomed.KeyId, GranteePrincipal: APP, RetiringPrincipal: RETIRER, Operations: ['Encrypt'] });
    const k = await kms.createGrant({ KeyId: kept.KeyId, GranteePrincipal: APP, RetiringPrincipal: RETIRER, Operations: ['Encrypt'] });
    const { DeletionDate } = await kms.scheduleKeyDeletion({ KeyId: doomed.KeyId, PendingWindowInDays: 7 });
    expect(DeletionDate!.getTime() - clock.now().getTime()).toBe(7 * 86_400_000);
    return { kms, clock, doomed, kept, g, k, deletionDate: DeletionDate! };
  }

  it('are not listed by ListRetirableGrants', async () => {
    const { kms, clock, doomed, kept, g, k, deletionDate } = await setup();
    // Still there while the key is only pending deletion.
    const pending = (await kms.listRetirableGrants({ RetiringPrincipal: RETIRER })).Grants!;
    expect(pending.map((x) => x.GrantId).sort()).toEqual([g.GrantId, k.GrantId].sort());
    clock.set(deletionDate.getTime() + 1000);
    const after = (await kms.listRetirableGrants({ RetiringPrincipal: RETIRER })).Grants!;
    expect(after.map((x) => x.GrantId)).toEqual([k.GrantId]);
    expect(after.filter((x) => x.KeyId === doomed.Arn)).toEqual([]);
    expect(after[0]!.KeyId).toBe(kept.Arn);
    await rejects(() => kms.describeKey({ KeyId: doomed.KeyId }), 'NotFoundException');
  });

  it('cannot be retired by token: NotFoundException', async () => {
    const { kms, clock, g, k, deletionDate } = await setup();
    clock.set(deletionDate.getTime() + 1000);
    // RetireGrant is the first request after the date: it must see the key (and its grants) gone.
    await rejects(() => kms.withPrincipal(RETIRER).retireGrant({ GrantToken: g.GrantToken! }), 'NotFoundException');
    await rejects(() => kms.retireGrant({ GrantToken: g.GrantToken! }), 'NotFoundException');
    // The other key's grant is unaffected.
    await kms.withPrincipal(RETIRER).retireGrant({ GrantToken: k.GrantToken! });
    expect((await kms.listRetirableGrants({ RetiringPrincipal: RETIRER })).Grants).toEqual([]);
  });
});

describe('the partition a key ARN names', () => {
  it('in us-east-1: arn:aws: works, arn:aws-cn: and arn:aws-us-gov: are NotFoundException', async () => {
    const kms = new Kms();
    const key = (await kms.createKey()).KeyMetadata!;
    expect(key.Arn).toBe(`arn:aws:kms:us-east-1:${A}:key/${key.KeyId}`);
    await kms.createAlias({ AliasName: 'alias/p', TargetKeyId: key.KeyId });
    expect((await kms.describeKey({ KeyId: `arn:aws:kms:us-east-1:${A}:key/${key.KeyId}` })).KeyMetadata!.KeyId).toBe(key.KeyId);
    expect((await kms.encrypt({ KeyId: `arn:aws:kms:us-east-1:${A}:key/${key.KeyId}`, Plaintext: utf8('x') })).KeyId).toBe(key.Arn);
    expect((await kms.describeKey({ KeyId: `arn:aws:kms:us-east-1:${A}:alias/p` })).KeyMetadata!.KeyId).toBe(key.KeyId);
    for (const partition of ['aws-cn', 'aws-us-gov']) {
      const arn = `arn:${partition}:kms:us-east-1:${A}:key/${key.KeyId}`;
      await rejects(() => kms.describeKey({ KeyId: arn }), 'NotFoundException');
      await rejects(() => kms.encrypt({ KeyId: arn, Plaintext: utf8('x') }), 'NotFoundException');
      await rejects(() => kms.describeKey({ KeyId: `arn:${partition}:kms:us-east-1:${A}:alias/p` }), 'NotFoundException');
    }
  });

  it('in cn-north-1: arn:aws-cn: works, arn:aws: is NotFoundException', async () => {
    const kms = new Kms({ region: 'cn-north-1' });
    const key = (await kms.createKey()).KeyMetadata!;
    const cn = `arn:aws-cn:kms:cn-north-1:${A}:key/${key.KeyId}`;
    expect(key.Arn).toBe(cn);
    expect((await kms.describeKey({ KeyId: cn })).KeyMetadata!.KeyId).toBe(key.KeyId);
    const ct = await kms.encrypt({ KeyId: cn, Plaintext: utf8('x') });
    expect(ct.KeyId).toBe(cn);
    expect(new TextDecoder().decode((await kms.decrypt({ CiphertextBlob: ct.CiphertextBlob! })).Plaintext)).toBe('x');
    const aws = `arn:aws:kms:cn-north-1:${A}:key/${key.KeyId}`;
    await rejects(() => kms.describeKey({ KeyId: aws }), 'NotFoundException');
    await rejects(() => kms.encrypt({ KeyId: aws, Plaintext: utf8('x') }), 'NotFoundException');
  });

  it("ListRetirableGrants in cn-north-1 lists that region's grants, and only those", async () => {
    const cnRetirer = `arn:aws-cn:iam::${A}:role/retirer`;
    const kms = new Kms({ region: 'cn-north-1' });
    const key = (await kms.createKey()).KeyMetadata!;
    const g = await kms.createGrant({ KeyId: key.KeyId, GranteePrincipal: APP, RetiringPrincipal: cnRetirer, Operations: ['Encrypt'] });
    // A grant in another region of the same store, for the same retiring principal.
    const east = kms.withRegion('us-east-1');
    const eastKey = (await east.createKey()).KeyMetadata!;
    const e = await east.createGrant({
      KeyId: eastKey.KeyId,
      GranteePrincipal: APP,
      RetiringPrincipal: cnRetirer,
      Operations: ['Encrypt'],
    });

    const listed = (await kms.listRetirableGrants({ RetiringPrincipal: cnRetirer })).Grants!;
    expect(listed.map((x) => x.GrantId)).toEqual([g.GrantId]);
    expect(listed[0]!.KeyId).toBe(key.Arn);
    expect((await east.listRetirableGrants({ RetiringPrincipal: cnRetirer })).Grants!.map((x) => x.GrantId)).toEqual([e.GrantId]);
  });
});
