// Grants: exactly their operations and constraints, for their grantee; names are idempotent per
// key; tokens are checked; retire and revoke by the right principals; Deny still wins.
import { describe, expect, it } from 'vitest';
import { Kms, type KMSServiceException } from 'kmsbox';

const A = '111122223333';
const APP = `arn:aws:iam::${A}:role/app`;
const OTHER = `arn:aws:iam::${A}:role/other`;
const RETIRER = `arn:aws:iam::${A}:role/retirer`;
const utf8 = (s: string) => new TextEncoder().encode(s);
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });

async function setup() {
  const root = new Kms();
  const key = (await root.createKey({})).KeyMetadata!;
  return { root, key, app: root.withPrincipal(APP), other: root.withPrincipal(OTHER) };
}
const name = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: KMSServiceException) => e.name,
  );

describe('grants', () => {
  it('allow exactly their operations, for their grantee (and its role sessions), with no IAM policy at all', async () => {
    const { root, key, app, other } = await setup();
    expect(await name(app.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') }))).toBe('AccessDeniedException');
    const { GrantId, GrantToken } = await root.createGrant({ KeyId: key.KeyId, GranteePrincipal: APP, Operations: ['Encrypt', 'Decrypt'] });
    expect(GrantId).toMatch(/^[0-9a-f]{64}$/);
    const { CiphertextBlob } = await app.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x'), GrantTokens: [GrantToken!] });
    expect(new TextDecoder().decode((await app.decrypt({ CiphertextBlob })).Plaintext)).toBe('x');
    expect(await name(root.withPrincipal(`arn:aws:sts::${A}:assumed-role/app/s1`).decrypt({ CiphertextBlob }))).toBe('ok');
    expect(await name(app.generateDataKey({ KeyId: key.KeyId, KeySpec: 'AES_256' }))).toBe('AccessDeniedException');
    expect(await name(app.describeKey({ KeyId: key.KeyId }))).toBe('AccessDeniedException');
    expect(await name(other.decrypt({ CiphertextBlob }))).toBe('AccessDeniedException');
  });

  it('constraints: EncryptionContextSubset and EncryptionContextEquals, keys case-insensitive, values exact', async () => {
    const { root, key, app, other } = await setup();
    await root.createGrant({
      KeyId: key.KeyId,
      GranteePrincipal: APP,
      Operations: ['Encrypt'],
      Constraints: { EncryptionContextSubset: { Tenant: 't1' } },
    });
    await root.createGrant({
      KeyId: key.KeyId,
      GranteePrincipal: OTHER,
      Operations: ['Encrypt'],
      Constraints: { EncryptionContextEquals: { tenant: 't1' } },
    });
    const enc = (k: Kms, EncryptionContext?: Record<string, string>) =>
      name(k.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x'), ...(EncryptionContext ? { EncryptionContext } : {}) }));
    expect(await enc(app, { tenant: 't1', extra: 'y' })).toBe('ok');
    expect(await enc(app, { TENANT: 't1' })).toBe('ok');
    expect(await enc(app, { tenant: 'T1' })).toBe('AccessDeniedException');
    expect(await enc(app)).toBe('AccessDeniedException');
    expect(await enc(other, { tenant: 't1' })).toBe('ok');
    expect(await enc(other, { tenant: 't1', extra: 'y' })).toBe('AccessDeniedException');
    // Constraints are for symmetric encryption keys only; operations must suit the key.
    const hmac = (await root.createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' })).KeyMetadata!;
    expect(
      await name(
        root.createGrant({
          KeyId: hmac.KeyId,
          GranteePrincipal: APP,
          Operations: ['GenerateMac'],
          Constraints: { EncryptionContextSubset: { a: 'b' } },
        }),
      ),
    ).toBe('ValidationException');
    expect(await name(root.createGrant({ KeyId: hmac.KeyId, GranteePrincipal: APP, Operations: ['Encrypt'] }))).toBe('ValidationException');
    expect(await name(root.createGrant({ KeyId: key.KeyId, GranteePrincipal: APP, Operations: ['Sign'] }))).toBe('ValidationException');
    expect(await name(root.createGrant({ KeyId: key.KeyId, GranteePrincipal: APP, Operations: ['Fly'] as never }))).toBe(
      'ValidationException',
    );
  });

  it('an explicit Deny beats a grant', async () => {
    const root = new Kms();
    const key = (
      await root.createKey({
        Policy: doc(
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: 'kms:*', Resource: '*' },
          { Effect: 'Deny', Principal: { AWS: APP }, Action: 'kms:Decrypt', Resource: '*' },
        ),
      })
    ).KeyMetadata!;
    await root.createGrant({ KeyId: key.KeyId, GranteePrincipal: APP, Operations: ['Encrypt', 'Decrypt'] });
    const app = root.withPrincipal(APP);
    const { CiphertextBlob } = await app.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') });
    const e = (await app.decrypt({ CiphertextBlob }).catch((x: Error) => x)) as Error;
    expect(e.message).toMatch(/with an explicit deny in a resource-based policy$/);
  });

  it('Name is idempotent per key (same grant id, a new token); other keys get their own grant', async () => {
    const { root, key } = await setup();
    const other = (await root.createKey({})).KeyMetadata!;
    const params = { KeyId: key.KeyId, GranteePrincipal: APP, Operations: ['Encrypt' as const], Name: 'app-encrypt' };
    const a = await root.createGrant(params);
    const b = await root.createGrant(params);
    expect(b.GrantId).toBe(a.GrantId);
    expect(b.GrantToken).not.toBe(a.GrantToken);
    const c = await root.createGrant({ ...params, KeyId: other.KeyId });
    expect(c.GrantId).not.toBe(a.GrantId);
    const d = await root.createGrant({ ...params, Operations: ['Decrypt'] });
    expect(d.GrantId).not.toBe(a.GrantId);
    const listed = await root.listGrants({ KeyId: key.KeyId });
    expect(listed.Grants!.map((g) => g.GrantId).sort()).toEqual([a.GrantId, d.GrantId].sort());
    expect(listed.Grants![0]).toMatchObject({
      KeyId: key.Arn,
      GranteePrincipal: APP,
      IssuingAccount: `arn:aws:iam::${A}:root`,
      Name: 'app-encrypt',
    });
    expect(listed.Grants![0]!.CreationDate).toBeInstanceOf(Date);
    expect((await root.listGrants({ KeyId: key.KeyId, GrantId: a.GrantId })).Grants).toHaveLength(1);
    expect((await root.listGrants({ KeyId: key.KeyId, GranteePrincipal: OTHER })).Grants).toHaveLength(0);
    const paged = await root.listGrants({ KeyId: key.KeyId, Limit: 1 });
    expect([paged.Grants!.length, paged.Truncated]).toEqual([1, true]);
    expect((await root.listGrants({ KeyId: key.KeyId, Limit: 1, Marker: paged.NextMarker })).Grants).toHaveLength(1);
  });

  it('grant tokens are checked: garbage is InvalidGrantTokenException', async () => {
    const { root, key } = await setup();
    for (const GrantTokens of [['garbage'], [btoa('kmsbox-grant-token:v1:zz')], ['x'.repeat(100)]]) {
      expect(await name(root.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x'), GrantTokens }))).toBe('InvalidGrantTokenException');
    }
    expect(await name(root.retireGrant({ GrantToken: 'garbage' }))).toBe('InvalidGrantTokenException');
  });

  it('a grant with CreateGrant lets its grantee make only equal or narrower grants', async () => {
    const { root, key } = await setup();
    await root.createGrant({
      KeyId: key.KeyId,
      GranteePrincipal: APP,
      Operations: ['Encrypt', 'Decrypt', 'CreateGrant'],
      Constraints: { EncryptionContextSubset: { tenant: 't1' } },
    });
    const app = root.withPrincipal(APP);
    expect(
      await name(
        app.createGrant({
          KeyId: key.KeyId,
          GranteePrincipal: OTHER,
          Operations: ['Decrypt'],
          Constraints: { EncryptionContextSubset: { tenant: 't1', app: 'x' } },
        }),
      ),
    ).toBe('ok');
    expect(
      await name(
        app.createGrant({
          KeyId: key.KeyId,
          GranteePrincipal: OTHER,
          Operations: ['Decrypt'],
          Constraints: { EncryptionContextEquals: { tenant: 't1' } },
        }),
      ),
    ).toBe('ok');
    expect(await name(app.createGrant({ KeyId: key.KeyId, GranteePrincipal: OTHER, Operations: ['Decrypt'] }))).toBe(
      'AccessDeniedException',
    );
    expect(
      await name(
        app.createGrant({
          KeyId: key.KeyId,
          GranteePrincipal: OTHER,
          Operations: ['GenerateDataKey'],
          Constraints: { EncryptionContextSubset: { tenant: 't1' } },
        }),
      ),
    ).toBe('AccessDeniedException');
    expect(
      await name(
        app.createGrant({
          KeyId: key.KeyId,
          GranteePrincipal: OTHER,
          Operations: ['Decrypt'],
          Constraints: { EncryptionContextSubset: { tenant: 't2' } },
        }),
      ),
    ).toBe('AccessDeniedException');
  });

  it('retire: by the retiring principal, by the grantee with RetireGrant, or by the issuing account; revoke by policy', async () => {
    const { root, key } = await setup();
    const g1 = await root.createGrant({ KeyId: key.KeyId, GranteePrincipal: APP, RetiringPrincipal: RETIRER, Operations: ['Encrypt'] });
    const g2 = await root.createGrant({ KeyId: key.KeyId, GranteePrincipal: APP, Operations: ['Encrypt', 'RetireGrant'] });
    const g3 = await root.createGrant({ KeyId: key.KeyId, GranteePrincipal: APP, Operations: ['Decrypt'] });
    expect((await root.listRetirableGrants({ RetiringPrincipal: RETIRER })).Grants!.map((g) => g.GrantId)).toEqual([g1.GrantId]);
    expect(await name(root.withPrincipal(OTHER).retireGrant({ GrantToken: g1.GrantToken }))).toBe('AccessDeniedException');
    expect(await name(root.withPrincipal(RETIRER).retireGrant({ GrantToken: g1.GrantToken, DryRun: true }))).toBe(
      'DryRunOperationException',
    );
    expect(await name(root.withPrincipal(RETIRER).retireGrant({ GrantToken: g1.GrantToken }))).toBe('ok');
    expect(await name(root.withPrincipal(APP).retireGrant({ KeyId: key.Arn, GrantId: g2.GrantId }))).toBe('ok');
    expect(await name(root.withPrincipal(APP).retireGrant({ KeyId: key.Arn, GrantId: g3.GrantId }))).toBe('AccessDeniedException');
    expect(await name(root.withPrincipal(OTHER).revokeGrant({ KeyId: key.KeyId, GrantId: g3.GrantId }))).toBe('AccessDeniedException');
    expect(await name(root.revokeGrant({ KeyId: key.KeyId, GrantId: g3.GrantId }))).toBe('ok');
    expect((await root.listGrants({ KeyId: key.KeyId })).Grants).toEqual([]);
    expect(await name(root.revokeGrant({ KeyId: key.KeyId, GrantId: g3.GrantId }))).toBe('NotFoundException');
    expect(await name(root.revokeGrant({ KeyId: key.KeyId, GrantId: 'nope' }))).toBe('InvalidGrantIdException');
    expect(await name(root.withPrincipal(APP).encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') }))).toBe('AccessDeniedException');
  });

  it('grants go with their key when it is deleted, and survive a FileProvider-style reload of the records', async () => {
    const { root, key } = await setup();
    await root.createGrant({ KeyId: key.KeyId, GranteePrincipal: APP, Operations: ['Encrypt'] });
    const snapshot = await root.provider.read((s) => JSON.parse(JSON.stringify(s.grants)));
    expect(Object.keys(snapshot)).toHaveLength(1);
    await root.scheduleKeyDeletion({ KeyId: key.KeyId, PendingWindowInDays: 7 });
    expect(await name(root.createGrant({ KeyId: key.KeyId, GranteePrincipal: APP, Operations: ['Encrypt'] }))).toBe(
      'KMSInvalidStateException',
    );
  });
});
