// Properties of the decision: adding an explicit Deny never turns a denial into an allow, and
// removing an Allow never does either. Random key policies and identity policies over a small
// world of principals, actions, resources and conditions.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, type AuthRequest } from '../../src/policy/evaluate.js';

const A = '111122223333';
const PRINCIPALS = [
  `arn:aws:iam::${A}:root`,
  `arn:aws:iam::${A}:role/app`,
  `arn:aws:sts::${A}:assumed-role/app/s`,
  `arn:aws:iam::${A}:user/u`,
  `arn:aws:iam::444455556666:role/x`,
];
const ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey', 'kms:PutKeyPolicy'];
const KEY = `arn:aws:kms:us-east-1:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

const principal = fc.oneof(
  fc.constant('*'),
  fc.record({ AWS: fc.oneof(fc.constantFrom(...PRINCIPALS, A, '444455556666', '*'), fc.subarray([...PRINCIPALS, A], { minLength: 1 })) }),
);
const action = fc.oneof(
  fc.constantFrom(...ACTIONS, 'kms:*', 'kms:Gen*', 'kms:*crypt', '*'),
  fc.subarray([...ACTIONS, 'kms:Describe*'], { minLength: 1 }),
);
const resource = fc.constantFrom('*', KEY, `arn:aws:kms:*:${A}:key/*`, 'arn:aws:kms:*:*:alias/*');
const condition = fc.option(
  fc.constantFrom(
    { StringEquals: { 'kms:EncryptionContext:tenant': 't1' } },
    { StringNotEquals: { 'kms:EncryptionContext:tenant': 't1' } },
    { 'ForAllValues:StringLike': { 'kms:EncryptionContextKeys': ['tenant', 'a*'] } },
    { Null: { 'kms:EncryptionContextKeys': 'true' } },
    { StringEqualsIfExists: { 'kms:EncryptionAlgorithm': 'SYMMETRIC_DEFAULT' } },
    { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${A}:*` } },
  ),
  { nil: undefined },
);
const keyStatement = fc.record({
  Effect: fc.constantFrom('Allow', 'Deny'),
  Principal: principal,
  Action: action,
  Resource: resource,
  Condition: condition,
});
const idStatement = fc.record({ Effect: fc.constantFrom('Allow', 'Deny'), Action: action, Resource: resource, Condition: condition });
const clean = (s: Record<string, unknown>) => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined));
const doc = (statements: Array<Record<string, unknown>>) => JSON.stringify({ Version: '2012-10-17', Statement: statements.map(clean) });

const request = fc.record({
  principal: fc.constantFrom(...PRINCIPALS),
  action: fc.constantFrom(...ACTIONS),
  context: fc.constantFrom<Record<string, string> | undefined>(undefined, { tenant: 't1' }, { tenant: 't2', app: 'x' }),
  grant: fc.boolean(),
});

function ask(
  keyStatements: Array<Record<string, unknown>>,
  idStatements: Array<Record<string, unknown>>,
  r: { principal: string; action: string; context: Record<string, string> | undefined; grant: boolean },
) {
  const values: AuthRequest['values'] = (k) => {
    if (k === 'kms:encryptioncontextkeys') return r.context && Object.keys(r.context);
    if (k.startsWith('kms:encryptioncontext:')) return r.context?.[k.slice(22)] === undefined ? undefined : [r.context[k.slice(22)]!];
    if (k === 'kms:encryptionalgorithm') return ['SYMMETRIC_DEFAULT'];
    if (k === 'aws:principalarn') return [r.principal];
    return undefined;
  };
  const decision = decide({
    principal: r.principal,
    action: r.action,
    resource: KEY,
    keyPolicy: doc(
      keyStatements.length ? keyStatements : [{ Effect: 'Deny', Principal: { AWS: '999999999999' }, Action: 'kms:*', Resource: '*' }],
    ),
    identityPolicies: idStatements.length ? [doc(idStatements)] : [],
    values,
  });
  // As src/ops/authorize.ts does: a grant can allow what the policies deny, but never an explicit Deny.
  return decision.allowed || (r.grant && !decision.reason.startsWith('explicit'));
}

describe('the decision is monotonic', () => {
  it('adding an explicit Deny never turns a denial into an allow', () => {
    fc.assert(
      fc.property(
        fc.array(keyStatement, { maxLength: 4 }),
        fc.array(idStatement, { maxLength: 3 }),
        request,
        keyStatement,
        fc.boolean(),
        (ks, ids, r, extra, toKeyPolicy) => {
          const before = ask(ks, ids, r);
          const deny = { ...extra, Effect: 'Deny' };
          const after = toKeyPolicy
            ? ask([...ks, deny], ids, r)
            : ask(ks, [...ids, { Effect: 'Deny', Action: deny.Action, Resource: deny.Resource, Condition: deny.Condition }], r);
          if (!before) expect(after).toBe(false);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('removing an Allow never turns a denial into an allow', () => {
    fc.assert(
      fc.property(
        fc.array(keyStatement, { minLength: 1, maxLength: 4 }),
        fc.array(idStatement, { minLength: 1, maxLength: 3 }),
        request,
        fc.nat(),
        fc.boolean(),
        (ks, ids, r, pick, fromKeyPolicy) => {
          const before = ask(ks, ids, r);
          const list = fromKeyPolicy ? ks : ids;
          const allows = list.map((s, i) => [s, i] as const).filter(([s]) => s.Effect === 'Allow');
          if (allows.length === 0) return;
          const drop = allows[pick % allows.length]![1];
          const without = list.filter((_, i) => i !== drop);
          const after = fromKeyPolicy ? ask(without, ids, r) : ask(ks, without, r);
          if (!before) expect(after).toBe(false);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('an explicit Deny that matches denies, whatever else allows (grants included)', () => {
    fc.assert(
      fc.property(fc.array(keyStatement, { maxLength: 4 }), request, (ks, r) => {
        const denyAll = { Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' };
        expect(ask([...ks, denyAll], [{ Effect: 'Allow', Action: '*', Resource: '*' }], { ...r, grant: true })).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
