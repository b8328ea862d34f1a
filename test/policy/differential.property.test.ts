// Differential test: kmsbox's decision (src/policy/evaluate.ts `decide`) against an independent
// IAM simulator, @cloud-copilot/iam-simulate (devDependency), on generated key policies, identity
// policies and requests, for the cases the simulator supports. Both get the same request context.
//
// Left out of generation, on purpose:
// - the simulator's known bugs: `0.0.0.0/0` matches nothing; the Date operators compare seconds
//   with milliseconds (no Date conditions here);
// - the account root as caller (the simulator gives it no implicit permissions in its account);
// - where kmsbox decides on purpose beyond what the simulator reads: IPv4-mapped IPv6 addresses
//   and ranges (kmsbox reads `::ffff:a.b.c.d` as IPv4), short Resource ARNs without a wildcard;
// - the simulator splits an ArnLike value at the colon inside a variable's name
//   (`arn:aws:iam::${aws:PrincipalAccount}:user/*` matches nothing there; kmsbox substitutes first);
// - cross-account callers (kmsbox then also applies the cross-account action list, outside `decide`).
import fc from 'fast-check';
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/policy/evaluate.js';

const A = '111122223333';
const KEY = `arn:aws:kms:us-east-1:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const ALICE = `arn:aws:iam::${A}:user/alice`;
const BOB = `arn:aws:iam::${A}:user/team/bob`;
const APP_ROLE = `arn:aws:iam::${A}:role/app`;
const SESSION = `arn:aws:sts::${A}:assumed-role/app/s1`;
const CALLERS = [ALICE, BOB, SESSION];
/** aws:PrincipalType, aws:userid, aws:username of each caller (README: kmsbox uses names where AWS has unique ids). */
const FACTS: Record<string, { type: string; userid: string; username?: string }> = {
  [ALICE]: { type: 'User', userid: 'alice', username: 'alice' },
  [BOB]: { type: 'User', userid: 'bob', username: 'bob' },
  [SESSION]: { type: 'AssumedRole', userid: 'app:s1' },
};
const ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey'];

const CONDITIONS: object[] = [
  { StringEquals: { 'kms:EncryptionContext:owner': '${aws:username}' } },
  { StringEquals: { 'kms:EncryptionContext:owner': "${aws:username, 'none'}" } },
  { StringLike: { 'kms:EncryptionContext:owner': '${aws:userid}*' } },
  { StringLike: { 'kms:EncryptionContext:owner': 'x${*}' } },
  { StringLike: { 'kms:EncryptionContext:owner': ['a*', '?ob'] } },
  { StringNotEquals: { 'kms:EncryptionContext:owner': '${aws:username}' } },
  { StringNotEquals: { 'kms:EncryptionContext:tenant': 't1' } },
  { StringEqualsIfExists: { 'kms:EncryptionContext:tenant': 't1' } },
  { StringNotLikeIfExists: { 'kms:EncryptionContext:tenant': 't*' } },
  { StringEqualsIgnoreCase: { 'kms:EncryptionContext:owner': 'ALICE' } },
  { Null: { 'kms:EncryptionContext:tenant': 'true' } },
  { Null: { 'kms:EncryptionContext:tenant': 'false' } },
  { 'ForAnyValue:StringEquals': { 'kms:EncryptionContextKeys': 'owner' } },
  { 'ForAllValues:StringLike': { 'kms:EncryptionContextKeys': ['owner', 't*'] } },
  { 'ForAnyValue:StringNotEquals': { 'kms:EncryptionContextKeys': 'tenant' } },
  { StringNotEquals: { 'kms:EncryptionContextKeys': 'owner' } },
  { StringEquals: { 'kms:EncryptionContextKeys': 'owner' } },
  { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${A}:role/*` } },
  { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam:*:role/app' } },
  { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:user/*' } },
  { ArnEquals: { 'aws:PrincipalArn': ALICE } },
  { ArnNotEquals: { 'aws:PrincipalArn': ALICE } },
  { ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:user/team/*' } },
  { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
  { IpAddress: { 'aws:SourceIp': ['2001:db8::/32', '127.0.0.1'] } },
  { NotIpAddress: { 'aws:SourceIp': '127.0.0.0/8' } },
  { NotIpAddress: { 'aws:SourceIp': '2001:db8::/48' } },
  { Bool: { 'aws:SecureTransport': 'true' } },
  { Bool: { 'aws:SecureTransport': 'false' } },
  { StringEquals: { 'aws:PrincipalType': 'User' } },
  { StringEquals: { 'kms:CallerAccount': A, 'aws:PrincipalAccount': A } },
  { StringEquals: { 'kms:EncryptionContext:tenant': '${aws:PrincipalAccount}' } },
  { StringEquals: { 'aws:username': ['alice', 'bob'] } },
  { StringLike: { 'aws:userid': ['app:*', 'al?ce'] } },
  { 'ForAllValues:StringNotEquals': { 'kms:EncryptionContextKeys': 'tenant' } },
  { 'ForAnyValue:StringLike': { 'kms:EncryptionContextKeys': '${aws:username}' } },
  { StringNotEqualsIgnoreCase: { 'kms:EncryptionContext:owner': ['ALICE', '${aws:userid}'] } },
  { StringEqualsIfExists: { 'aws:SourceIp': '10.1.2.3' } },
  { NotIpAddressIfExists: { 'aws:SourceIp': ['10.0.0.0/8', '2001:db8::/32'] } },
  { BoolIfExists: { 'aws:SecureTransport': 'false' } },
];

const condition = fc.option(
  fc.subarray(CONDITIONS, { minLength: 1, maxLength: 2 }).map((list) => Object.assign({}, ...list) as object),
  { nil: undefined, freq: 3 },
);
const action = fc.oneof(fc.constantFrom(...ACTIONS, 'kms:*', 'kms:Gen*', 'kms:*crypt'), fc.subarray(ACTIONS, { minLength: 1 }));
const resource = fc.constantFrom(
  '*',
  KEY,
  `arn:aws:kms:*:${A}:key/*`,
  'arn:aws:kms:us-east-1:*',
  'arn:aws:kms:*',
  `arn:aws:kms:*:key/*`,
  `arn:aws:kms:us-east-1:${A}:key/\${aws:username}`,
  `arn:aws:kms:us-east-1:${A}:alias/*`,
);
const version = fc.constantFrom('2012-10-17', '2012-10-17', '2012-10-17', '2008-10-17');
const principal = fc.oneof(
  fc.constant('*'),
  fc.record({
    AWS: fc.oneof(
      fc.constantFrom(`arn:aws:iam::${A}:root`, A, ALICE, BOB, APP_ROLE, '*'),
      fc.subarray([ALICE, BOB, APP_ROLE], { minLength: 1 }),
    ),
  }),
);

const statement = (withPrincipal: boolean) =>
  fc
    .record({
      Effect: fc.constantFrom('Allow', 'Allow', 'Deny'),
      ...(withPrincipal ? { Principal: principal } : {}),
      Action: action,
      Resource: resource,
      Condition: condition,
      not: fc.constantFrom('', '', '', 'NotAction', 'NotResource'),
    })
    .map(({ not, ...s }) => {
      // Now and then NotAction or NotResource in place of Action or Resource.
      const out: Record<string, unknown> = JSON.parse(JSON.stringify(s)); // drops the undefined Condition
      if (not === 'NotAction') [out.NotAction, out.Action] = [out.Action, undefined];
      if (not === 'NotResource') [out.NotResource, out.Resource] = [out.Resource, undefined];
      return JSON.parse(JSON.stringify(out)) as object;
    });
// The simulator substitutes variables whatever the Version; IAM keeps them literal in 2008-10-17
// documents (kmsbox does, test/policy/variables.test.ts), so those get no variables here.
const document = (statements: fc.Arbitrary<object[]>) =>
  fc
    .record({ Version: version, Statement: statements })
    .map((d) => (d.Version === '2008-10-17' && JSON.stringify(d).includes('${') ? { ...d, Version: '2012-10-17' } : d));
const keyPolicy = document(fc.array(statement(true), { minLength: 1, maxLength: 3 }));
const identityPolicy = document(fc.array(statement(false), { minLength: 1, maxLength: 2 }));

const request = fc.record({
  principal: fc.constantFrom(...CALLERS),
  action: fc.constantFrom(...ACTIONS),
  owner: fc.option(fc.constantFrom('alice', 'bob', 'app:s1', 'none', 'x*', 'xy', '*', '${aws:username}', 'ALICE'), { nil: undefined }),
  tenant: fc.option(fc.constantFrom('t1', 't2', A), { nil: undefined }),
  sourceIp: fc.option(fc.constantFrom('10.1.2.3', '127.0.0.1', '192.0.2.1', '2001:db8::1', '2001:db8:1::1'), { nil: undefined }),
  secure: fc.constantFrom('true', 'false'),
});

/** The request context both evaluators see (values as kmsbox's authorize.ts would give them). */
type Request = typeof request extends fc.Arbitrary<infer T> ? T : never;
function contextOf(r: Request): Record<string, string | string[]> {
  const facts = FACTS[r.principal]!;
  const context: Record<string, string> = {};
  if (r.owner !== undefined) context.owner = r.owner;
  if (r.tenant !== undefined) context.tenant = r.tenant;
  const out: Record<string, string | string[]> = {
    'aws:PrincipalArn': r.principal === SESSION ? APP_ROLE : r.principal,
    'aws:PrincipalAccount': A,
    'kms:CallerAccount': A,
    'aws:PrincipalType': facts.type,
    'aws:SecureTransport': r.secure,
  };
  out['aws:userid'] = facts.userid;
  if (facts.username !== undefined) out['aws:username'] = facts.username;
  if (r.sourceIp !== undefined) out['aws:SourceIp'] = r.sourceIp;
  for (const [k, v] of Object.entries(context)) out[`kms:EncryptionContext:${k}`] = v;
  if (Object.keys(context).length > 0) out['kms:EncryptionContextKeys'] = Object.keys(context);
  return out;
}

describe('kmsbox against @cloud-copilot/iam-simulate', () => {
  it('the same decision on generated key policies, identity policies and requests (property, fixed seed)', () => {
    const mismatches: string[] = [];
    fc.assert(
      fc.property(keyPolicy, fc.array(identityPolicy, { maxLength: 2 }), request, (kp, ids, r) => {
        const context = contextOf(r);
        const byLowerKey = new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), typeof v === 'string' ? [v] : v]));
        const ours = decide({
          principal: r.principal,
          action: r.action,
          resource: KEY,
          keyPolicy: JSON.stringify(kp),
          identityPolicies: ids.map((p) => JSON.stringify(p)),
          values: (k) => byLowerKey.get(k),
        });
        const theirs = runUnsafeSimulation(
          {
            identityPolicies: ids.map((policy, i) => ({ name: `p${i}`, policy })),
            serviceControlPolicies: [],
            resourceControlPolicies: [],
            // A pre-validated document: runUnsafeSimulation loads a plain one without the name its
            // resource-policy analysis reads (a TypeError in 0.1.173).
            resourcePolicy: { __validated: true, policyDocument: kp, metadata: { name: 'key-policy' } },
            request: { principal: r.principal, action: r.action, resource: { resource: KEY, accountId: A }, contextVariables: context },
          } as never,
          {},
        ) as unknown as string;
        const oursResult = ours.allowed ? 'Allowed' : ours.reason.startsWith('explicit') ? 'ExplicitlyDenied' : 'ImplicitlyDenied';
        if (oursResult !== theirs) mismatches.push(JSON.stringify({ ours: oursResult, theirs, r, kp, ids }));
      }),
      { numRuns: Number(process.env.DIFF_RUNS ?? 400), seed: Number(process.env.DIFF_SEED ?? 20261202) },
    );
    if (process.env.DIFF_DUMP) console.log(`${mismatches.length}\n${mismatches.join('\n')}`);
    expect(mismatches.slice(0, 3)).toEqual([]);
  });
});
