// Sign and Verify decide everything on every call: key state, key usage, the algorithm, the key
// policy, identity policies and grants. A KeyId the service has seen before resolves to its ARN
// from a table of strings (ops/lookup.ts `knownKeyArns`) and the authorization memo is a shared
// string (ops/authorize.ts): neither may carry a decision to the next call. Each case first calls
// with the same KeyId string several times (so whatever is remembered is remembered), then changes
// one thing and expects the very next call to see it.
import { describe, expect, it } from 'vitest';
import { Kms, type KMSServiceException, ManualClock, MemoryAuditSink } from 'kmsbox';

const A = '111122223333';
const APP = `arn:aws:iam::${A}:role/app`;
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const rootStatement = { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: 'kms:*', Resource: '*' };
const message = new TextEncoder().encode('sign me');
const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: KMSServiceException) => e.name,
  );

async function signingKey(kms: Kms, KeySpec: 'ECC_NIST_P256' | 'ECC_NIST_EDWARDS25519' = 'ECC_NIST_P256') {
  const meta = (await kms.createKey({ KeySpec, KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!;
  return { KeyId: meta.KeyId!, Arn: meta.Arn! };
}
const ECDSA = 'ECDSA_SHA_256' as const;

/** Sign then Verify with `KeyId`, `times` times: 'ok' or the first failure's name. */
async function signAndVerify(kms: Kms, KeyId: string, times = 3): Promise<string> {
  for (let i = 0; i < times; i++) {
    let signature: Uint8Array | undefined;
    const signed = await outcome(kms.sign({ KeyId, Message: message, SigningAlgorithm: ECDSA }).then((r) => (signature = r.Signature)));
    if (signed !== 'ok') return signed;
    const verified = await outcome(kms.verify({ KeyId, Message: message, Signature: signature!, SigningAlgorithm: ECDSA }));
    if (verified !== 'ok') return verified;
  }
  return 'ok';
}

describe('Sign and Verify: every check on every call', () => {
  it('a disabled key fails the next call, by key id and by ARN; enabled again, the next call works', async () => {
    const kms = new Kms();
    const { KeyId, Arn } = await signingKey(kms);
    for (const ref of [KeyId, Arn]) {
      expect(await signAndVerify(kms, ref)).toBe('ok');
      await kms.disableKey({ KeyId });
      expect(await outcome(kms.sign({ KeyId: ref, Message: message, SigningAlgorithm: ECDSA }))).toBe('DisabledException');
      expect(await outcome(kms.verify({ KeyId: ref, Message: message, Signature: new Uint8Array(64), SigningAlgorithm: ECDSA }))).toBe(
        'DisabledException',
      );
      await kms.enableKey({ KeyId });
      expect(await signAndVerify(kms, ref)).toBe('ok');
    }
  });

  it('a key scheduled for deletion fails the next call; once the date passes, the key is gone', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const kms = new Kms({ clock });
    const { KeyId } = await signingKey(kms);
    expect(await signAndVerify(kms, KeyId)).toBe('ok');
    await kms.scheduleKeyDeletion({ KeyId, PendingWindowInDays: 7 });
    expect(await signAndVerify(kms, KeyId, 1)).toBe('KMSInvalidStateException');
    clock.advance(8 * 24 * 3600 * 1000);
    expect(await signAndVerify(kms, KeyId, 1)).toBe('NotFoundException');
  });

  it('a key policy that stops allowing Sign, or denies Verify, applies to the next call; restored, the next call works', async () => {
    const kms = new Kms();
    const { KeyId } = await signingKey(kms);
    const app = kms.withPrincipal(APP);
    const allowApp = { Effect: 'Allow', Principal: { AWS: APP }, Action: ['kms:Sign', 'kms:Verify'], Resource: '*' };
    await kms.putKeyPolicy({ KeyId, PolicyName: 'default', Policy: doc(rootStatement, allowApp) });
    expect(await signAndVerify(app, KeyId)).toBe('ok');

    await kms.putKeyPolicy({ KeyId, PolicyName: 'default', Policy: doc(rootStatement) });
    expect(await signAndVerify(app, KeyId, 1)).toBe('AccessDeniedException');

    await kms.putKeyPolicy({ KeyId, PolicyName: 'default', Policy: doc(rootStatement, allowApp) });
    expect(await signAndVerify(app, KeyId)).toBe('ok');

    const denyVerify = { Effect: 'Deny', Principal: { AWS: APP }, Action: 'kms:Verify', Resource: '*' };
    await kms.putKeyPolicy({ KeyId, PolicyName: 'default', Policy: doc(rootStatement, allowApp, denyVerify) });
    const { Signature } = await app.sign({ KeyId, Message: message, SigningAlgorithm: ECDSA });
    expect(await outcome(app.verify({ KeyId, Message: message, Signature: Signature!, SigningAlgorithm: ECDSA }))).toBe(
      'AccessDeniedException',
    );
  });

  it('an identity policy set or removed applies to the next call', async () => {
    const kms = new Kms();
    const { KeyId, Arn } = await signingKey(kms);
    const app = kms.withPrincipal(APP);
    expect(await signAndVerify(app, KeyId, 1)).toBe('AccessDeniedException');
    kms.setIdentityPolicies(APP, [doc({ Effect: 'Allow', Action: ['kms:Sign', 'kms:Verify'], Resource: Arn })]);
    expect(await signAndVerify(app, KeyId)).toBe('ok');
    kms.setIdentityPolicies(APP, []);
    expect(await signAndVerify(app, KeyId, 1)).toBe('AccessDeniedException');
  });

  it('a grant allows the next call; revoked, the next call is denied', async () => {
    const kms = new Kms();
    const { KeyId } = await signingKey(kms);
    const app = kms.withPrincipal(APP);
    expect(await signAndVerify(app, KeyId, 1)).toBe('AccessDeniedException');
    const { GrantId } = await kms.createGrant({ KeyId, GranteePrincipal: APP, Operations: ['Sign', 'Verify'] });
    expect(await signAndVerify(app, KeyId)).toBe('ok');
    await kms.revokeGrant({ KeyId, GrantId: GrantId! });
    expect(await signAndVerify(app, KeyId, 1)).toBe('AccessDeniedException');
  });

  it('the algorithm and the key usage are checked each time', async () => {
    const kms = new Kms();
    const { KeyId } = await signingKey(kms);
    expect(await signAndVerify(kms, KeyId)).toBe('ok');
    expect(await outcome(kms.sign({ KeyId, Message: message, SigningAlgorithm: 'ED25519_SHA_512' }))).toBe('InvalidKeyUsageException');
    expect(await signAndVerify(kms, KeyId)).toBe('ok');
    const ed = await signingKey(kms, 'ECC_NIST_EDWARDS25519');
    expect(await outcome(kms.sign({ KeyId: ed.KeyId, Message: message, SigningAlgorithm: ECDSA }))).toBe('InvalidKeyUsageException');
    const symmetric = (await kms.createKey({})).KeyMetadata!.KeyId!;
    expect(await outcome(kms.sign({ KeyId: symmetric, Message: message, SigningAlgorithm: ECDSA }))).toBe('InvalidKeyUsageException');
  });

  it('a KeyId seen in one region or account names nothing in another', async () => {
    const kms = new Kms();
    const { KeyId, Arn } = await signingKey(kms);
    expect(await signAndVerify(kms, KeyId)).toBe('ok');
    expect(await signAndVerify(kms, Arn)).toBe('ok');
    const elsewhere = kms.withRegion('eu-west-1');
    expect(await signAndVerify(elsewhere, KeyId, 1)).toBe('NotFoundException');
    expect(await signAndVerify(elsewhere, Arn, 1)).toBe('NotFoundException');
    // Another account's caller, by bare key id, looks in its own account.
    expect(await signAndVerify(kms.withAccount('444455556666'), KeyId, 1)).toBe('NotFoundException');
    // And back: the first region still resolves it.
    expect(await signAndVerify(kms, KeyId)).toBe('ok');
  });

  it('every call is audited with its key, also when denied', async () => {
    const sink = new MemoryAuditSink();
    const kms = new Kms({ audit: sink });
    const { KeyId, Arn } = await signingKey(kms);
    const app = kms.withPrincipal(APP);
    sink.clear();
    expect(await signAndVerify(kms, KeyId, 2)).toBe('ok');
    expect(await signAndVerify(app, KeyId, 1)).toBe('AccessDeniedException');
    expect(sink.events.map((e) => [e.eventName, e.errorCode ?? null, e.resources?.map((r) => r.ARN)])).toEqual([
      ['Sign', null, [Arn]],
      ['Verify', null, [Arn]],
      ['Sign', null, [Arn]],
      ['Verify', null, [Arn]],
      ['Sign', 'AccessDeniedException', [Arn]],
    ]);
  });
});
