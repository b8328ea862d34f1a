// The decision of src/policy/evaluate.ts, asked directly: who a policy names (an assumed-role
// session is its role and nothing else), case-insensitive actions, Resource/NotResource lists,
// the cross-account rule, the order of explicit Denies, and AWS's AccessDenied wording per reason.
import { describe, expect, it } from 'vitest';
import {
  accessDenied,
  accountOf,
  decide,
  isRoot,
  resourceAccountOf,
  roleOf,
  samePrincipal,
  type AuthRequest,
} from '../../src/policy/evaluate.js';

const A = '111122223333';
const B = '444455556666';
const KEY = `arn:aws:kms:us-east-1:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const APP_ROLE = `arn:aws:iam::${A}:role/app`;
const APP_SESSION = `arn:aws:sts::${A}:assumed-role/app/s1`;
const OTHER_SESSION = `arn:aws:sts::${A}:assumed-role/other/s1`;
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const allow = (extra: object) => ({ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*', ...extra });

function ask(over: Partial<AuthRequest>): ReturnType<typeof decide> {
  return decide({ principal: APP_SESSION, action: 'kms:Encrypt', resource: KEY, identityPolicies: [], values: () => undefined, ...over });
}

describe('who a key policy names', () => {
  it('an assumed-role session is its role: not another role, not a user of the same name', () => {
    const policy = doc(allow({ Principal: { AWS: APP_ROLE } }));
    expect(ask({ keyPolicy: policy })).toEqual({ allowed: true, reason: 'key-policy' });
    expect(ask({ keyPolicy: policy, principal: OTHER_SESSION })).toEqual({ allowed: false, reason: 'no-resource-based-policy-allows' });
    expect(ask({ keyPolicy: doc(allow({ Principal: { AWS: `arn:aws:iam::${A}:user/app` } })) })).toMatchObject({ allowed: false });
    expect(ask({ keyPolicy: doc(allow({ Principal: { AWS: `arn:aws:iam::${B}:role/app` } })) })).toMatchObject({ allowed: false });
  });

  it('samePrincipal: exact ARN, or the role of a session — a non-session caller is never "its role"', () => {
    expect(samePrincipal(APP_ROLE, APP_SESSION)).toBe(true);
    expect(samePrincipal(APP_ROLE, OTHER_SESSION)).toBe(false);
    expect(samePrincipal(APP_ROLE, APP_ROLE)).toBe(true);
    expect(samePrincipal(`arn:aws:iam::${A}:user/u`, `arn:aws:iam::${A}:user/v`)).toBe(false);
    expect(samePrincipal('x', `arn:aws:iam::${A}:user/u`)).toBe(false);
  });

  it('roleOf, isRoot, accountOf, resourceAccountOf read exactly their ARN forms', () => {
    expect(roleOf(APP_SESSION)).toBe(APP_ROLE);
    expect(roleOf(`arn:aws-cn:sts::${A}:assumed-role/r/s`)).toBe(`arn:aws-cn:iam::${A}:role/r`);
    expect(roleOf(`arn:aws:sts::${A}:assumed-role/r`)).toBeUndefined();
    expect(roleOf(`arn:aws:sts::${A}:assumed-role/r/s/t`)).toBeUndefined();
    expect(roleOf(`xarn:aws:sts::${A}:assumed-role/r/s`)).toBeUndefined();
    expect(roleOf(APP_ROLE)).toBeUndefined();
    expect(isRoot(`arn:aws:iam::${A}:root`)).toBe(true);
    expect(isRoot(`arn:aws:iam::${A}:rootx`)).toBe(false);
    expect(isRoot(`xarn:aws:iam::${A}:root`)).toBe(false);
    expect(isRoot(`arn:aws:iam::${A}:user/root`)).toBe(false);
    expect(accountOf(A)).toBe(A);
    expect(accountOf(`${A}0`)).toBeUndefined();
    expect(accountOf(APP_SESSION)).toBe(A);
    expect(accountOf(`arn:aws:s3::${A}:x`)).toBeUndefined();
    expect(resourceAccountOf(KEY)).toBe(A);
    expect(resourceAccountOf(`arn:aws:s3:us-east-1:${A}:x`)).toBeUndefined();
    expect(resourceAccountOf('*')).toBeUndefined();
  });

  it('the account (root or bare id) delegates to identity policies; an account root is allowed by it alone', () => {
    const delegate = doc(allow({ Principal: { AWS: A } }));
    expect(ask({ keyPolicy: delegate })).toEqual({ allowed: false, reason: 'no-identity-based-policy-allows' });
    expect(ask({ keyPolicy: delegate, identityPolicies: [doc(allow({}))] })).toEqual({ allowed: true, reason: 'identity-policy' });
    expect(ask({ keyPolicy: delegate, principal: `arn:aws:iam::${A}:root` })).toEqual({ allowed: true, reason: 'identity-policy' });
    expect(ask({ keyPolicy: doc(allow({ Principal: { AWS: B } })), identityPolicies: [doc(allow({}))] })).toEqual({
      allowed: false,
      reason: 'no-resource-based-policy-allows',
    });
  });

  it('another account named directly still needs its own identity policy', () => {
    const partner = `arn:aws:iam::${B}:role/partner`;
    const policy = doc(allow({ Principal: { AWS: partner } }));
    expect(ask({ keyPolicy: policy, principal: partner })).toEqual({ allowed: false, reason: 'no-identity-based-policy-allows' });
    expect(ask({ keyPolicy: policy, principal: partner, identityPolicies: [doc(allow({}))] })).toEqual({
      allowed: true,
      reason: 'identity-policy',
    });
  });

  it('NotPrincipal applies to everyone it does not name; Principal "*" to everyone', () => {
    const policy = doc({ Effect: 'Deny', NotPrincipal: { AWS: APP_ROLE }, Action: 'kms:*', Resource: '*' }, allow({ Principal: '*' }));
    expect(ask({ keyPolicy: policy })).toEqual({ allowed: true, reason: 'key-policy' });
    expect(ask({ keyPolicy: policy, principal: OTHER_SESSION })).toEqual({
      allowed: false,
      reason: 'explicit-deny-in-resource-based-policy',
    });
  });

  it('a key policy statement without Action or Resource has no effect, even a Deny', () => {
    const policy = doc(
      { Effect: 'Deny', Principal: '*', Action: 'kms:*' },
      { Effect: 'Deny', Principal: '*', Resource: '*' },
      allow({ Principal: '*' }),
    );
    expect(ask({ keyPolicy: policy })).toEqual({ allowed: true, reason: 'key-policy' });
  });
});

describe('what a statement applies to', () => {
  it('actions match case-insensitively, with wildcards; NotAction excludes the same way', () => {
    expect(ask({ keyPolicy: doc(allow({ Principal: '*', Action: 'KMS:ENCRYPT' })) }).allowed).toBe(true);
    expect(ask({ keyPolicy: doc(allow({ Principal: '*', Action: 'kms:encr*' })) }).allowed).toBe(true);
    expect(ask({ keyPolicy: doc(allow({ Principal: '*', Action: 'kms:Decrypt' })) }).allowed).toBe(false);
    expect(ask({ keyPolicy: doc({ Effect: 'Allow', Principal: '*', NotAction: 'KMS:ENCRYPT', Resource: '*' }) }).allowed).toBe(false);
    expect(
      ask({ keyPolicy: doc({ Effect: 'Allow', Principal: '*', NotAction: ['kms:Decrypt', 'kms:Sign'], Resource: '*' }) }).allowed,
    ).toBe(true);
  });

  it('Resource: any entry of the list; NotResource: outside every entry', () => {
    const other = `arn:aws:kms:us-east-1:${A}:key/other`;
    const res = (Resource: unknown) =>
      ask({ keyPolicy: doc({ Effect: 'Allow', Principal: '*', Action: 'kms:Encrypt', Resource }) }).allowed;
    const notRes = (NotResource: unknown) =>
      ask({ keyPolicy: doc({ Effect: 'Allow', Principal: '*', Action: 'kms:Encrypt', NotResource }) }).allowed;
    expect(res([other, KEY])).toBe(true);
    expect(res([other])).toBe(false);
    expect(notRes([other, KEY])).toBe(false);
    expect(notRes([KEY, other])).toBe(false);
    expect(notRes([other])).toBe(true);
  });

  it('short ARN patterns: padded when they have a wildcard, unreadable (never matching, never excluding) without', () => {
    const res = (Resource: string) => ask({ keyPolicy: doc({ Effect: 'Allow', Principal: '*', Action: 'kms:Encrypt', Resource }) }).allowed;
    const notRes = (NotResource: string) =>
      ask({ keyPolicy: doc({ Effect: 'Allow', Principal: '*', Action: 'kms:Encrypt', NotResource }) }).allowed;
    expect(res('arn:aws:kms:*')).toBe(true);
    expect(res('arn:aws:kms:us-east-1:*')).toBe(true);
    expect(res('arn:aws:kms:eu-west-1:*')).toBe(false);
    expect(res('arn:aws:kms')).toBe(false);
    expect(notRes('arn:aws:kms')).toBe(false);
    expect(notRes('arn:aws:kms:eu-west-1:*')).toBe(false);
    expect(notRes(`arn:aws:kms:eu-west-1:${A}:key/*`)).toBe(true);
    expect(res(`arn:aws:kms:us-east-1:${A}:key/*`)).toBe(true);
    expect(res(`arn:aws:kms:us-east-1:${A}:alias/*`)).toBe(false);
  });

  it('a Resource variable counts only in the resource component of an ARN', () => {
    const values: AuthRequest['values'] = (k) =>
      k === 'aws:principaltag/r' ? ['us-east-1'] : k === 'aws:principaltag/k' ? ['key'] : undefined;
    const res = (Resource: string) =>
      ask({ values, keyPolicy: doc({ Effect: 'Allow', Principal: '*', Action: 'kms:Encrypt', Resource }) }).allowed;
    expect(res(`arn:aws:kms:us-east-1:${A}:\${aws:PrincipalTag/k}/*`)).toBe(true);
    expect(res(`arn:aws:kms:\${aws:PrincipalTag/r}:${A}:key/*`)).toBe(false);
    expect(res(`arn:aws:kms:us-east-1:${A}:\${aws:PrincipalTag/missing}/*`)).toBe(false);
  });

  it('a condition that fails stops the statement', () => {
    const values: AuthRequest['values'] = (k) => (k === 'kms:encryptionalgorithm' ? ['SYMMETRIC_DEFAULT'] : undefined);
    const cond = (v: string) =>
      ask({ values, keyPolicy: doc(allow({ Principal: '*', Condition: { StringEquals: { 'kms:EncryptionAlgorithm': v } } })) }).allowed;
    expect(cond('SYMMETRIC_DEFAULT')).toBe(true);
    expect(cond('RSAES_OAEP_SHA_256')).toBe(false);
  });
});

describe('explicit Denies and the reasons', () => {
  it('a Deny in an identity policy wins over a key policy Allow; without a key policy identity policies decide', () => {
    const id = [doc(allow({}), { Effect: 'Deny', Action: 'kms:Encrypt', Resource: '*' })];
    expect(ask({ keyPolicy: doc(allow({ Principal: '*' })), identityPolicies: id })).toEqual({
      allowed: false,
      reason: 'explicit-deny-in-identity-based-policy',
    });
    expect(ask({ identityPolicies: [doc(allow({}))], resource: '*' })).toEqual({ allowed: true, reason: 'identity-policy' });
    expect(ask({ identityPolicies: [], resource: '*' })).toEqual({ allowed: false, reason: 'no-identity-based-policy-allows' });
    expect(ask({ identityPolicies: [doc(allow({ Action: 'kms:Decrypt' }))], resource: '*' })).toEqual({
      allowed: false,
      reason: 'no-identity-based-policy-allows',
    });
  });

  it('accessDenied words each reason as AWS does', () => {
    const r = { principal: APP_SESSION, action: 'kms:Encrypt', resource: KEY };
    const msg = (reason: Parameters<typeof accessDenied>[1]) => accessDenied(r, reason).message;
    const head = `User: ${APP_SESSION} is not authorized to perform: kms:Encrypt on resource: ${KEY} `;
    expect(accessDenied(r, 'no-resource-based-policy-allows').name).toBe('AccessDeniedException');
    expect(msg('no-resource-based-policy-allows')).toBe(`${head}because no resource-based policy allows the kms:Encrypt action`);
    expect(msg('no-identity-based-policy-allows')).toBe(`${head}because no identity-based policy allows the kms:Encrypt action`);
    expect(msg('explicit-deny-in-resource-based-policy')).toBe(`${head}with an explicit deny in a resource-based policy`);
    expect(msg('explicit-deny-in-identity-based-policy')).toBe(`${head}with an explicit deny in an identity-based policy`);
  });
});
