// Policy evaluation through the Kms, as a table: principal × action × key policy × identity
// policies × grants × context → allowed, or AccessDeniedException with AWS's reason.
import { describe, expect, it } from 'vitest';
import { Kms, ManualClock, type KMSServiceException } from 'kmsbox';

const A = '111122223333';
const B = '444455556666';
const ROOT = `arn:aws:iam::${A}:root`;
const APP = `arn:aws:iam::${A}:role/app`;
const APP_SESSION = `arn:aws:sts::${A}:assumed-role/app/build-42`;
const ADMIN = `arn:aws:iam::${A}:user/admin`;
const OTHER = `arn:aws:iam::${A}:role/other`;
const B_ROLE = `arn:aws:iam::${B}:role/partner`;

const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const allowAccount = (account = A) => ({
  Sid: 'Enable IAM User Permissions',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${account}:root` },
  Action: 'kms:*',
  Resource: '*',
});
const idAllow = (Action: string | string[], Resource: string | string[] = '*', Condition?: object) => ({
  Effect: 'Allow',
  Action,
  Resource,
  ...(Condition ? { Condition } : {}),
});
const utf8 = (s: string) => new TextEncoder().encode(s);

async function setup(keyPolicy?: string, identity: Record<string, string[]> = {}, clock?: ManualClock) {
  const root = new Kms({ identityPolicies: identity, ...(clock ? { clock } : {}) });
  const { KeyMetadata } = await root.createKey({ ...(keyPolicy ? { Policy: keyPolicy, BypassPolicyLockoutSafetyCheck: true } : {}) });
  return { root, key: KeyMetadata!, as: (p: string) => root.withPrincipal(p) };
}

/** 'allow', or the denial reason AWS writes after the resource. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'allow';
  } catch (e) {
    const err = e as KMSServiceException;
    if (err.name !== 'AccessDeniedException') return err.name;
    return err.message.replace(/^User: \S+ is not authorized to perform: \S+ on resource: \S+ /, '');
  }
}
const NO_RESOURCE = (a: string) => `because no resource-based policy allows the kms:${a} action`;
const NO_IDENTITY = (a: string) => `because no identity-based policy allows the kms:${a} action`;
const DENY_RESOURCE = 'with an explicit deny in a resource-based policy';
const DENY_IDENTITY = 'with an explicit deny in an identity-based policy';

describe('key policy and identity policies', () => {
  it('the default key policy: the account root may do anything; other principals need an identity policy', async () => {
    const { key, as } = await setup(undefined, { [APP]: [doc(idAllow('kms:Encrypt', `arn:aws:kms:us-east-1:${A}:key/*`))] });
    expect(await outcome(as(ROOT).encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') }))).toBe('allow');
    expect(await outcome(as(APP).encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') }))).toBe('allow');
    expect(await outcome(as(APP_SESSION).encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') }))).toBe('allow'); // a session of the role
    expect(await outcome(as(APP).describeKey({ KeyId: key.KeyId }))).toBe(NO_IDENTITY('DescribeKey'));
    expect(await outcome(as(OTHER).encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') }))).toBe(NO_IDENTITY('Encrypt'));
    const e = (await as(OTHER)
      .encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') })
      .catch((x: Error) => x)) as Error;
    expect(e.message).toBe(
      `User: ${OTHER} is not authorized to perform: kms:Encrypt on resource: ${key.Arn} because no identity-based policy allows the kms:Encrypt action`,
    );
  });

  it('explicit Deny wins wherever it is: identity policy, key policy, NotPrincipal', async () => {
    const policy = doc(allowAccount(), { Effect: 'Deny', NotPrincipal: { AWS: ADMIN }, Action: 'kms:ScheduleKeyDeletion', Resource: '*' });
    const { key, as } = await setup(policy, {
      [APP]: [doc(idAllow('kms:*'), { Effect: 'Deny', Action: 'kms:Decrypt', Resource: '*' })],
      [ADMIN]: [doc(idAllow('kms:*'))],
    });
    const { CiphertextBlob } = await as(APP).encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') });
    expect(await outcome(as(APP).decrypt({ CiphertextBlob }))).toBe(DENY_IDENTITY);
    expect(await outcome(as(APP).scheduleKeyDeletion({ KeyId: key.KeyId }))).toBe(DENY_RESOURCE);
    expect(await outcome(as(ROOT).scheduleKeyDeletion({ KeyId: key.KeyId }))).toBe(DENY_RESOURCE);
    expect(await outcome(as(ADMIN).scheduleKeyDeletion({ KeyId: key.KeyId }))).toBe('allow');
  });

  it('a key policy that names a principal allows it without IAM, and without the account statement IAM allows nothing', async () => {
    const policy = doc(
      { Effect: 'Allow', Principal: { AWS: APP }, Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: '*' },
      { Effect: 'Allow', Principal: { AWS: ADMIN }, Action: 'kms:*', Resource: '*' },
    );
    const { key, as } = await setup(policy, { [OTHER]: [doc(idAllow('kms:*'))] });
    expect(await outcome(as(APP).encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') }))).toBe('allow');
    expect(await outcome(as(APP_SESSION).encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') }))).toBe('allow');
    expect(await outcome(as(APP).disableKey({ KeyId: key.KeyId }))).toBe(NO_RESOURCE('DisableKey'));
    expect(await outcome(as(OTHER).encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') }))).toBe(NO_RESOURCE('Encrypt')); // IAM is not enabled for the key
    expect(await outcome(as(ROOT).encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') }))).toBe(NO_RESOURCE('Encrypt')); // not even the root
  });

  it('NotAction, wildcards in Action and Resource', async () => {
    const { key, as, root } = await setup(undefined, {
      [APP]: [doc({ Effect: 'Allow', NotAction: ['kms:Decrypt', 'kms:Schedule*'], Resource: '*' })],
      [OTHER]: [doc(idAllow('kms:Generate*', `arn:aws:kms:*:${A}:key/*`))],
    });
    const second = (await root.createKey({})).KeyMetadata!;
    const { CiphertextBlob } = await as(APP).encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') });
    expect(await outcome(as(APP).decrypt({ CiphertextBlob }))).toBe(NO_IDENTITY('Decrypt'));
    expect(await outcome(as(APP).scheduleKeyDeletion({ KeyId: key.KeyId }))).toBe(NO_IDENTITY('ScheduleKeyDeletion'));
    expect(await outcome(as(OTHER).generateDataKey({ KeyId: second.KeyId, KeySpec: 'AES_256' }))).toBe('allow');
    expect(await outcome(as(OTHER).encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') }))).toBe(NO_IDENTITY('Encrypt'));
    const onlyFirst = new Kms({ provider: root.provider, identityPolicies: { [OTHER]: [doc(idAllow('kms:*', key.Arn!))] } }).withPrincipal(
      OTHER,
    );
    expect(await outcome(onlyFirst.describeKey({ KeyId: key.KeyId }))).toBe('allow');
    expect(await outcome(onlyFirst.describeKey({ KeyId: second.KeyId }))).toBe(NO_IDENTITY('DescribeKey'));
  });

  it('operations without a key are authorized by identity policies alone, on resource *', async () => {
    const { as } = await setup(undefined, { [APP]: [doc(idAllow(['kms:ListKeys', 'kms:GenerateRandom']))] });
    expect(await outcome(as(APP).listKeys())).toBe('allow');
    expect(await outcome(as(APP).generateRandom({ NumberOfBytes: 8 }))).toBe('allow');
    const e = (await as(APP)
      .createKey({})
      .catch((x: Error) => x)) as Error;
    expect(e.message).toBe(
      `User: ${APP} is not authorized to perform: kms:CreateKey on resource: * because no identity-based policy allows the kms:CreateKey action`,
    );
    expect(await outcome(as(ROOT).createKey({}))).toBe('allow');
  });

  it('ReEncrypt needs ReEncryptFrom on the source and ReEncryptTo on the destination', async () => {
    const { key, as, root } = await setup(undefined, {});
    const dest = (await root.createKey({})).KeyMetadata!;
    const { CiphertextBlob } = await root.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') });
    root.setIdentityPolicies(APP, [doc(idAllow('kms:ReEncryptFrom', key.Arn!), idAllow('kms:ReEncryptTo', dest.Arn!))]);
    expect(await outcome(as(APP).reEncrypt({ CiphertextBlob, DestinationKeyId: dest.KeyId }))).toBe('allow');
    expect(await outcome(as(APP).reEncrypt({ CiphertextBlob, DestinationKeyId: key.KeyId }))).toBe(NO_IDENTITY('ReEncryptTo'));
    root.setIdentityPolicies(APP, [doc(idAllow('kms:ReEncryptTo', dest.Arn!))]);
    expect(await outcome(as(APP).reEncrypt({ CiphertextBlob, DestinationKeyId: dest.KeyId }))).toBe(NO_IDENTITY('ReEncryptFrom'));
  });

  it('cross-account: the key policy names the other account, and that account’s IAM must allow too', async () => {
    const policy = doc(allowAccount(), {
      Effect: 'Allow',
      Principal: { AWS: B },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'],
      Resource: '*',
    });
    const { key, root } = await setup(policy);
    const partner = root.withAccount(B).withPrincipal(B_ROLE);
    expect(await outcome(partner.encrypt({ KeyId: key.Arn, Plaintext: utf8('x') }))).toBe(NO_IDENTITY('Encrypt'));
    partner.setIdentityPolicies(B_ROLE, [doc(idAllow('kms:Encrypt', key.Arn!))]);
    expect(await outcome(partner.encrypt({ KeyId: key.Arn, Plaintext: utf8('x') }))).toBe('allow');
    expect(await outcome(partner.disableKey({ KeyId: key.Arn }))).toBe(NO_RESOURCE('DisableKey'));
  });

  it('cross-account: a principal of the other account named directly (or "*") still needs its own IAM policy', async () => {
    const B_USER = `arn:aws:iam::${B}:user/anyone`;
    const named = await setup(
      doc(allowAccount(), { Effect: 'Allow', Principal: { AWS: B_ROLE }, Action: ['kms:Encrypt', 'kms:DescribeKey'], Resource: '*' }),
    );
    const star = await setup(
      doc(allowAccount(), { Effect: 'Allow', Principal: '*', Action: ['kms:Encrypt', 'kms:DescribeKey'], Resource: '*' }),
    );
    for (const { key, root } of [named, star]) {
      const caller = root.withAccount(B).withPrincipal(key === named.key ? B_ROLE : B_USER);
      expect(await outcome(caller.encrypt({ KeyId: key.Arn, Plaintext: utf8('x') }))).toBe(NO_IDENTITY('Encrypt'));
      caller.setIdentityPolicies(caller.principal, [doc(idAllow('kms:Encrypt', key.Arn!))]);
      expect(await outcome(caller.encrypt({ KeyId: key.Arn, Plaintext: utf8('x') }))).toBe('allow');
      expect(await outcome(caller.describeKey({ KeyId: key.Arn }))).toBe(NO_IDENTITY('DescribeKey'));
    }
    // The other account's root needs no IAM policy (it is its account); principals of the key's own account named directly need none either.
    expect(await outcome(star.root.withAccount(B).encrypt({ KeyId: star.key.Arn, Plaintext: utf8('x') }))).toBe('allow');
    expect(await outcome(star.as(APP).encrypt({ KeyId: star.key.KeyId, Plaintext: utf8('x') }))).toBe('allow');
  });

  it('cross-account: only the operations AWS allows across accounts, whatever the policies say; Decrypt finds the owner key', async () => {
    const policy = doc(allowAccount(), { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: 'kms:*', Resource: '*' });
    const { key, root } = await setup(policy);
    const partner = root.withAccount(B).withPrincipal(B_ROLE);
    partner.setIdentityPolicies(B_ROLE, [doc(idAllow('kms:*'))]);
    const other = (a: string) => `because kms:${a} cannot be used on a key in another account`;
    expect(await outcome(partner.disableKey({ KeyId: key.Arn }))).toBe(other('DisableKey'));
    expect(
      await outcome(
        partner.putKeyPolicy({
          KeyId: key.Arn,
          Policy: doc({ Effect: 'Allow', Principal: { AWS: B_ROLE }, Action: 'kms:*', Resource: '*' }),
        }),
      ),
    ).toBe(other('PutKeyPolicy'));
    expect(await outcome(partner.scheduleKeyDeletion({ KeyId: key.Arn, PendingWindowInDays: 7 }))).toBe(other('ScheduleKeyDeletion'));
    expect(await outcome(partner.tagResource({ KeyId: key.Arn, Tags: [{ TagKey: 'k', TagValue: 'v' }] }))).toBe(other('TagResource'));
    expect((await root.describeKey({ KeyId: key.KeyId })).KeyMetadata!.KeyState).toBe('Enabled');
    // The cross-account operations work, Decrypt included (the blob names the key by id only).
    const { CiphertextBlob } = await partner.encrypt({ KeyId: key.Arn, Plaintext: utf8('shared') });
    expect(new TextDecoder().decode((await partner.decrypt({ CiphertextBlob })).Plaintext)).toBe('shared');
    expect(await outcome(partner.describeKey({ KeyId: key.Arn }))).toBe('allow');
    expect(await outcome(partner.getKeyRotationStatus({ KeyId: key.Arn }))).toBe('allow');
  });

  it("cross-account: operations on no key (CreateKey, ListKeys, aliases) act only in the caller's own account", async () => {
    const { root } = await setup();
    const before = (await root.listKeys({})).Keys!.length;
    // A view of account A with B's role as the caller (only in-process code can build one; the server
    // puts a verified principal in its own account): B's policies allow everything, A refuses.
    const stray = root.withPrincipal(B_ROLE);
    stray.setIdentityPolicies(B_ROLE, [doc(idAllow('kms:*'))]);
    const own = (a: string) => `because kms:${a} can be called only in the caller's own account`;
    expect(await outcome(stray.createKey({}))).toBe(own('CreateKey'));
    expect(await outcome(stray.listKeys({}))).toBe(own('ListKeys'));
    const key = (await root.createKey({})).KeyMetadata!;
    expect(await outcome(stray.createAlias({ AliasName: 'alias/stray', TargetKeyId: key.KeyId! }))).toBe(own('CreateAlias'));
    expect((await root.listKeys({})).Keys!.length).toBe(before + 1); // only root's key
    expect(await outcome(stray.listAliases({}))).toBe(own('ListAliases'));
    // B's role in its own account is unaffected.
    expect(await outcome(root.withAccount(B).withPrincipal(B_ROLE).listKeys({}))).toBe('allow');
  });
});

describe('conditions', () => {
  const ctxPolicy = (Condition: object) => ({
    [APP]: [doc(idAllow(['kms:Encrypt', 'kms:Sign', 'kms:ScheduleKeyDeletion', 'kms:DescribeKey'], '*', Condition))],
  });
  const enc = (k: Kms, KeyId: string, EncryptionContext?: Record<string, string>) =>
    k.encrypt({ KeyId, Plaintext: utf8('x'), ...(EncryptionContext ? { EncryptionContext } : {}) });

  it('kms:EncryptionContext:<key> (key case-insensitive, value case-sensitive), EncryptionContextKeys with set qualifiers, Null', async () => {
    const { key, as } = await setup(undefined, ctxPolicy({ StringEquals: { 'kms:EncryptionContext:Tenant': 't1' } }));
    const app = as(APP);
    expect(await outcome(enc(app, key.KeyId!, { tenant: 't1' }))).toBe('allow');
    expect(await outcome(enc(app, key.KeyId!, { TENANT: 't1' }))).toBe('allow');
    expect(await outcome(enc(app, key.KeyId!, { tenant: 'T1' }))).toBe(NO_IDENTITY('Encrypt'));
    expect(await outcome(enc(app, key.KeyId!))).toBe(NO_IDENTITY('Encrypt'));

    const all = await setup(undefined, ctxPolicy({ 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['tenant', 'app'] } }));
    expect(await outcome(enc(all.as(APP), all.key.KeyId!, { tenant: 'a' }))).toBe('allow');
    expect(await outcome(enc(all.as(APP), all.key.KeyId!, { tenant: 'a', other: 'b' }))).toBe(NO_IDENTITY('Encrypt'));
    expect(await outcome(enc(all.as(APP), all.key.KeyId!))).toBe('allow'); // ForAllValues holds for no values

    const any = await setup(undefined, ctxPolicy({ 'ForAnyValue:StringLike': { 'kms:EncryptionContextKeys': 'team-*' } }));
    expect(await outcome(enc(any.as(APP), any.key.KeyId!, { 'team-x': '1', z: '2' }))).toBe('allow');
    expect(await outcome(enc(any.as(APP), any.key.KeyId!, { z: '2' }))).toBe(NO_IDENTITY('Encrypt'));

    const nul = await setup(undefined, ctxPolicy({ Null: { 'kms:EncryptionContextKeys': 'false' } }));
    expect(await outcome(enc(nul.as(APP), nul.key.KeyId!, { a: 'b' }))).toBe('allow');
    expect(await outcome(enc(nul.as(APP), nul.key.KeyId!))).toBe(NO_IDENTITY('Encrypt'));

    const not = await setup(undefined, ctxPolicy({ StringNotEquals: { 'kms:EncryptionContext:env': 'prod' } }));
    expect(await outcome(enc(not.as(APP), not.key.KeyId!))).toBe('allow'); // a negated operator holds when the key is absent
    expect(await outcome(enc(not.as(APP), not.key.KeyId!, { env: 'prod' }))).toBe(NO_IDENTITY('Encrypt'));
    expect(await outcome(enc(not.as(APP), not.key.KeyId!, { env: 'dev' }))).toBe('allow');
  });

  it('key attributes, algorithms, aliases, numbers, booleans, dates, ARNs, IfExists', async () => {
    const clock = new ManualClock(new Date('2026-06-01T00:00:00Z'));
    const signing = await setup(
      undefined,
      ctxPolicy({ StringEquals: { 'kms:KeySpec': 'ECC_NIST_P256', 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:CallerAccount': A } }),
      clock,
    );
    const ecc = (await signing.root.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!;
    expect(await outcome(signing.as(APP).sign({ KeyId: ecc.KeyId, Message: utf8('m'), SigningAlgorithm: 'ECDSA_SHA_256' }))).toBe('allow');
    expect(await outcome(enc(signing.as(APP), signing.key.KeyId!))).toBe(NO_IDENTITY('Encrypt'));

    const aliased = await setup(undefined, ctxPolicy({ StringEquals: { 'kms:RequestAlias': 'alias/app' } }));
    await aliased.root.createAlias({ AliasName: 'alias/app', TargetKeyId: aliased.key.KeyId });
    expect(await outcome(enc(aliased.as(APP), 'alias/app'))).toBe('allow');
    expect(await outcome(enc(aliased.as(APP), aliased.key.KeyId!))).toBe(NO_IDENTITY('Encrypt'));
    const resourceAliases = await setup(undefined, ctxPolicy({ 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/tagged' } }));
    expect(await outcome(enc(resourceAliases.as(APP), resourceAliases.key.KeyId!))).toBe(NO_IDENTITY('Encrypt'));
    await resourceAliases.root.createAlias({ AliasName: 'alias/tagged', TargetKeyId: resourceAliases.key.KeyId });
    expect(await outcome(enc(resourceAliases.as(APP), resourceAliases.key.KeyId!))).toBe('allow');

    const window = await setup(undefined, ctxPolicy({ NumericGreaterThanEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': 20 } }));
    expect(await outcome(window.as(APP).scheduleKeyDeletion({ KeyId: window.key.KeyId, PendingWindowInDays: 7 }))).toBe(
      NO_IDENTITY('ScheduleKeyDeletion'),
    );
    expect(await outcome(window.as(APP).scheduleKeyDeletion({ KeyId: window.key.KeyId }))).toBe('allow'); // default 30

    const dated = await setup(
      undefined,
      ctxPolicy({
        DateLessThan: { 'aws:CurrentTime': '2026-07-01T00:00:00Z' },
        ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${A}:role/*` },
      }),
      clock,
    );
    expect(await outcome(enc(dated.as(APP), dated.key.KeyId!))).toBe('allow');
    clock.advance({ days: 31 });
    expect(await outcome(enc(dated.as(APP), dated.key.KeyId!))).toBe(NO_IDENTITY('Encrypt'));

    const ifExists = await setup(
      undefined,
      ctxPolicy({
        StringEqualsIfExists: { 'kms:EncryptionContext:tenant': 't1' },
        StringEqualsIgnoreCase: { 'kms:KeyUsage': 'encrypt_decrypt' },
      }),
    );
    expect(await outcome(enc(ifExists.as(APP), ifExists.key.KeyId!))).toBe('allow');
    expect(await outcome(enc(ifExists.as(APP), ifExists.key.KeyId!, { tenant: 't2' }))).toBe(NO_IDENTITY('Encrypt'));

    const tags = await setup(undefined, ctxPolicy({ StringEquals: { 'aws:ResourceTag/team': 'blue' } }));
    expect(await outcome(tags.as(APP).describeKey({ KeyId: tags.key.KeyId }))).toBe(NO_IDENTITY('DescribeKey'));
    await tags.root.tagResource({ KeyId: tags.key.KeyId, Tags: [{ TagKey: 'team', TagValue: 'blue' }] });
    expect(await outcome(tags.as(APP).describeKey({ KeyId: tags.key.KeyId }))).toBe('allow');
  });
});

describe('policy documents', () => {
  it('malformed policies, unknown operators, missing principals, invalid principals and oversize policies are refused in AWS’s terms', async () => {
    const kms = new Kms();
    const bad = [
      '{not json',
      JSON.stringify([1]),
      doc({ Effect: 'Maybe', Principal: '*', Action: 'kms:*', Resource: '*' }),
      doc({ Effect: 'Allow', Action: 'kms:*', Resource: '*' }),
      doc({ Effect: 'Allow', Principal: { AWS: 'not-an-arn' }, Action: 'kms:*', Resource: '*' }),
      doc({ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*', Condition: { StringSortOf: { 'kms:CallerAccount': A } } }),
      doc({ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*', Condition: { NumericEquals: { 'kms:X': 'abc' } } }),
      doc({ Effect: 'Allow', Principal: '*', Action: 'kms:*', NotAction: 'kms:Encrypt', Resource: '*' }),
      doc({ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*', Extra: 1 }),
    ];
    for (const Policy of bad) {
      const e = (await kms.createKey({ Policy }).catch((x: Error) => x)) as Error;
      expect(e.name, Policy).toBe('MalformedPolicyDocumentException');
    }
    const e = (await kms
      .createKey({
        Policy: doc(allowAccount(), { Sid: 'x'.repeat(33_000), Effect: 'Allow', Principal: '*', Action: 'kms:Encrypt', Resource: '*' }),
      })
      .catch((x: Error) => x)) as Error;
    expect(e.name).toBe('LimitExceededException');
    expect(() => kms.setIdentityPolicies(APP, [doc({ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*' })])).toThrow(
      /Principal/,
    );
    expect(() => kms.setIdentityPolicies(APP, ['{'])).toThrow(expect.objectContaining({ name: 'MalformedPolicyDocumentException' }));
    expect(() => kms.setIdentityPolicies(APP, '{}' as never)).toThrow(expect.objectContaining({ name: 'ValidationException' }));
    expect(() => kms.setIdentityPolicies(APP, [5 as never])).toThrow(expect.objectContaining({ name: 'ValidationException' }));
    expect(() => new Kms({ identityPolicies: { [APP]: [doc({ Effect: 'Allow', Action: 'kms:*' })] } })).toThrow(
      expect.objectContaining({ name: 'MalformedPolicyDocumentException' }),
    );
  });

  it('the lockout safety check: a policy that would stop the caller from PutKeyPolicy is refused unless bypassed', async () => {
    const kms = new Kms({ identityPolicies: { [ADMIN]: [doc(idAllow('kms:*'))] } });
    const { KeyMetadata } = await kms.createKey({});
    const onlyApp = doc({ Effect: 'Allow', Principal: { AWS: APP }, Action: 'kms:*', Resource: '*' });
    const e = (await kms.putKeyPolicy({ KeyId: KeyMetadata!.KeyId, Policy: onlyApp }).catch((x: Error) => x)) as Error;
    expect([e.name, e.message]).toEqual([
      'MalformedPolicyDocumentException',
      'The new key policy will not allow you to update the key policy in the future.',
    ]);
    await expect(kms.createKey({ Policy: onlyApp })).rejects.toMatchObject({ name: 'MalformedPolicyDocumentException' });
    // A policy that still lets the caller manage it is fine; the admin keeps access through IAM.
    await kms.withPrincipal(ADMIN).putKeyPolicy({ KeyId: KeyMetadata!.KeyId, Policy: doc(allowAccount()) });
    await kms.putKeyPolicy({ KeyId: KeyMetadata!.KeyId, Policy: onlyApp, BypassPolicyLockoutSafetyCheck: true });
    expect(await outcome(kms.getKeyPolicy({ KeyId: KeyMetadata!.KeyId }))).toBe(NO_RESOURCE('GetKeyPolicy'));
    expect(JSON.parse((await kms.withPrincipal(APP).getKeyPolicy({ KeyId: KeyMetadata!.KeyId })).Policy!)).toEqual(JSON.parse(onlyApp));
    expect((await kms.withPrincipal(APP).listKeyPolicies({ KeyId: KeyMetadata!.KeyId })).PolicyNames).toEqual(['default']);
    expect(
      (
        (await kms
          .withPrincipal(APP)
          .getKeyPolicy({ KeyId: KeyMetadata!.KeyId, PolicyName: 'other' })
          .catch((x: Error) => x)) as Error
      ).name,
    ).toBe('NotFoundException');
  });

  it('the lockout safety check sees every condition key a later PutKeyPolicy would carry', async () => {
    const kms = new Kms();
    const { KeyMetadata } = await kms.createKey({});
    const KeyId = KeyMetadata!.KeyId!;
    // A Deny on the caller's own account locks it out: refused (it used to pass, the condition key being unknown to the check).
    const lockout = doc(allowAccount(), {
      Effect: 'Deny',
      Principal: '*',
      Action: 'kms:PutKeyPolicy',
      Resource: '*',
      Condition: { StringEquals: { 'aws:PrincipalAccount': A } },
    });
    expect(await outcome(kms.putKeyPolicy({ KeyId, Policy: lockout }))).toBe('MalformedPolicyDocumentException');
    expect(await outcome(kms.putKeyPolicy({ KeyId, Policy: doc(allowAccount()) }))).toBe('allow');
    // An Allow conditioned on the caller's account, key spec or tags is usable: accepted (it used to be refused).
    const byAccount = doc({
      Effect: 'Allow',
      Principal: '*',
      Action: 'kms:*',
      Resource: '*',
      Condition: { StringEquals: { 'aws:PrincipalAccount': A } },
    });
    expect(await outcome(kms.putKeyPolicy({ KeyId, Policy: byAccount }))).toBe('allow');
    expect(await outcome(kms.putKeyPolicy({ KeyId, Policy: byAccount }))).toBe('allow');
    const byTag = doc({
      Effect: 'Allow',
      Principal: { AWS: ROOT },
      Action: 'kms:*',
      Resource: '*',
      Condition: { StringEquals: { 'aws:ResourceTag/team': 'core' } },
    });
    expect(await outcome(kms.createKey({ Policy: byTag, Tags: [{ TagKey: 'team', TagValue: 'core' }] }))).toBe('allow');
    expect(await outcome(kms.createKey({ Policy: byTag }))).toBe('MalformedPolicyDocumentException');
    // A later call is not a bypassing one.
    const onlyBypass = doc({
      Effect: 'Allow',
      Principal: { AWS: ROOT },
      Action: 'kms:*',
      Resource: '*',
      Condition: { Bool: { 'kms:BypassPolicyLockoutSafetyCheck': 'true' } },
    });
    expect(await outcome(kms.createKey({ Policy: onlyBypass }))).toBe('MalformedPolicyDocumentException');
  });

  it("aws:PrincipalArn of a role session is its role's ARN, so a Deny on the role covers its sessions", async () => {
    const policy = doc(allowAccount(), {
      Effect: 'Deny',
      Principal: '*',
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: { ArnEquals: { 'aws:PrincipalArn': APP } },
    });
    const { key, root, as } = await setup(policy, { [APP]: [doc(idAllow(['kms:Encrypt', 'kms:Decrypt']))] });
    const { CiphertextBlob } = await root.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') });
    expect(await outcome(as(APP).decrypt({ CiphertextBlob }))).toBe(DENY_RESOURCE);
    expect(await outcome(as(APP_SESSION).decrypt({ CiphertextBlob }))).toBe(DENY_RESOURCE);
    root.setIdentityPolicies(APP, [doc(idAllow('kms:Encrypt', '*', { ArnLike: { 'aws:PrincipalArn': APP } }))]);
    expect(await outcome(as(APP_SESSION).encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') }))).toBe('allow');
  });

  it('ForAnyValue with a negated operator is false when the key is absent (IAM: a null dataset matches nothing)', async () => {
    const allow = doc(idAllow('kms:Encrypt', '*', { 'ForAnyValue:StringNotEquals': { 'kms:EncryptionContextKeys': 'forbidden' } }));
    const { key, root, as } = await setup(undefined, { [APP]: [allow] });
    const enc = (EncryptionContext?: Record<string, string>) =>
      as(APP).encrypt({ KeyId: key.KeyId, Plaintext: utf8('x'), ...(EncryptionContext ? { EncryptionContext } : {}) });
    expect(await outcome(enc())).toBe(NO_IDENTITY('Encrypt'));
    expect(await outcome(enc({ ok: '1' }))).toBe('allow');
    root.setIdentityPolicies(APP, [
      doc(idAllow('kms:Encrypt'), {
        Effect: 'Deny',
        Action: 'kms:Encrypt',
        Resource: '*',
        Condition: { 'ForAnyValue:StringNotEquals': { 'kms:EncryptionContextKeys': ['tenant'] } },
      }),
    ]);
    expect(await outcome(enc())).toBe('allow');
    expect(await outcome(enc({ other: '1' }))).toBe(DENY_IDENTITY);
  });

  it('context pairs whose keys differ only in case: a Deny sees every value and a grant constraint every pair, whatever their order', async () => {
    const policy = doc(allowAccount(), {
      Effect: 'Deny',
      Principal: { AWS: APP },
      Action: 'kms:Encrypt',
      Resource: '*',
      Condition: { StringEquals: { 'kms:EncryptionContext:env': 'prod' } },
    });
    const { key, root, as } = await setup(policy, { [APP]: [doc(idAllow('kms:Encrypt'))] });
    const enc = (k: Kms, KeyId: string, EncryptionContext: Record<string, string>) =>
      k.encrypt({ KeyId, Plaintext: utf8('x'), EncryptionContext });
    expect(await outcome(enc(as(APP), key.KeyId!, { env: 'prod', Env: 'dev' }))).toBe(DENY_RESOURCE);
    expect(await outcome(enc(as(APP), key.KeyId!, { Env: 'dev', env: 'prod' }))).toBe(DENY_RESOURCE);
    expect(await outcome(enc(as(APP), key.KeyId!, { Env: 'dev' }))).toBe('allow');
    const other = (await root.createKey({})).KeyMetadata!;
    await root.createGrant({
      KeyId: other.KeyId!,
      GranteePrincipal: OTHER,
      Operations: ['Encrypt'],
      Constraints: { EncryptionContextEquals: { tenant: 't1' } },
    });
    await root.createGrant({
      KeyId: other.KeyId!,
      GranteePrincipal: ADMIN,
      Operations: ['Encrypt'],
      Constraints: { EncryptionContextSubset: { tenant: 't1' } },
    });
    for (const who of [OTHER, ADMIN]) {
      expect(await outcome(enc(as(who), other.KeyId!, { TENANT: 't1' }))).toBe('allow');
      expect(await outcome(enc(as(who), other.KeyId!, { Tenant: 't2', tenant: 't1' }))).toBe(NO_IDENTITY('Encrypt'));
      expect(await outcome(enc(as(who), other.KeyId!, { tenant: 't1', Tenant: 't2' }))).toBe(NO_IDENTITY('Encrypt'));
    }
    expect(await outcome(enc(as(ADMIN), other.KeyId!, { tenant: 't1', x: 'y' }))).toBe('allow');
    expect(await outcome(enc(as(OTHER), other.KeyId!, { tenant: 't1', x: 'y' }))).toBe(NO_IDENTITY('Encrypt'));
  });

  it('DryRun answers DryRunOperationException only when the call would be allowed', async () => {
    const { key, as } = await setup(undefined, { [APP]: [doc(idAllow('kms:Encrypt'))] });
    expect(await outcome(as(APP).encrypt({ KeyId: key.KeyId, Plaintext: utf8('x'), DryRun: true }))).toBe('DryRunOperationException');
    expect(await outcome(as(OTHER).encrypt({ KeyId: key.KeyId, Plaintext: utf8('x'), DryRun: true }))).toBe(NO_IDENTITY('Encrypt'));
    expect(await outcome(as(ROOT).createGrant({ KeyId: key.KeyId, GranteePrincipal: APP, Operations: ['Decrypt'], DryRun: true }))).toBe(
      'DryRunOperationException',
    );
    expect(await outcome(as(APP).createGrant({ KeyId: key.KeyId, GranteePrincipal: APP, Operations: ['Decrypt'], DryRun: true }))).toBe(
      NO_IDENTITY('CreateGrant'),
    );
  });
});
