// pureDecision (src/policy/evaluate.ts) keeps the decisions of condition-free key policies for
// callers without identity policies. It must give decide()'s answer for every principal, action
// and resource, never answer for a policy whose decision could read condition values, and a
// changed policy text must be decided afresh.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, pureDecision } from '../../src/policy/evaluate.js';

const ACCOUNTS = ['111122223333', '444455556666'];
const principals = fc.constantFrom(
  ...ACCOUNTS.flatMap((a) => [
    `arn:aws:iam::${a}:root`,
    `arn:aws:iam::${a}:user/alice`,
    `arn:aws:iam::${a}:role/app`,
    `arn:aws:sts::${a}:assumed-role/app/s1`,
  ]),
);
const actions = fc.constantFrom('kms:Encrypt', 'kms:Decrypt', 'kms:Sign', 'kms:PutKeyPolicy', 'kms:ReEncryptFrom');
const resources = fc.constantFrom(...ACCOUNTS.map((a) => `arn:aws:kms:us-east-1:${a}:key/1234abcd-12ab-34cd-56ef-1234567890ab`));
const statement = fc.record({
  Effect: fc.constantFrom('Allow', 'Deny'),
  Principal: fc.oneof(
    fc.constant('*'),
    fc.record({ AWS: fc.oneof(principals, fc.constantFrom(...ACCOUNTS), fc.array(principals, { minLength: 1, maxLength: 3 })) }),
  ),
  Action: fc.oneof(actions, fc.constantFrom('kms:*', 'kms:Re*', 'kms:*crypt')),
  Resource: fc.oneof(fc.constant('*'), resources, fc.constant('arn:aws:kms:*')),
});
const policies = fc
  .array(statement, { minLength: 1, maxLength: 4 })
  .map((Statement) => JSON.stringify({ Version: '2012-10-17', Statement }));

describe('pureDecision', () => {
  it('is decide()’s answer for condition-free key policies, asked again and again in any order', () => {
    fc.assert(
      fc.property(policies, fc.array(fc.tuple(principals, actions, resources), { minLength: 1, maxLength: 12 }), (policy, asks) => {
        for (const [principal, action, resource] of [...asks, ...asks]) {
          const full = decide({ principal, action, resource, keyPolicy: policy, identityPolicies: [], values: () => undefined });
          expect(pureDecision(principal, action, resource, policy, [])).toEqual(full);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('does not answer when a statement has a condition or a policy variable, or the caller has identity policies', () => {
    const root = 'arn:aws:iam::111122223333:root';
    const key = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const allow = { Effect: 'Allow', Principal: { AWS: root }, Action: 'kms:*', Resource: '*' };
    const conditioned = JSON.stringify({
      Version: '2012-10-17',
      Statement: [allow, { ...allow, Effect: 'Deny', Condition: { StringEquals: { 'kms:EncryptionContext:tenant': 'x' } } }],
    });
    const variable = JSON.stringify({ Version: '2012-10-17', Statement: [{ ...allow, Resource: 'arn:aws:kms:*:*:key/${aws:username}' }] });
    const plain = JSON.stringify({ Version: '2012-10-17', Statement: [allow] });
    expect(pureDecision(root, 'kms:Encrypt', key, conditioned, [])).toBeUndefined();
    expect(pureDecision(root, 'kms:Encrypt', key, variable, [])).toBeUndefined();
    expect(pureDecision(root, 'kms:Encrypt', key, plain, [plain])).toBeUndefined();
    expect(pureDecision(root, 'kms:Encrypt', key, plain, [])?.allowed).toBe(true);
    // The same statements denying: another text, decided afresh (nothing kept from the allowing one).
    const denying = JSON.stringify({ Version: '2012-10-17', Statement: [{ ...allow, Effect: 'Deny' }] });
    expect(pureDecision(root, 'kms:Encrypt', key, denying, [])?.allowed).toBe(false);
    expect(pureDecision(root, 'kms:Encrypt', key, plain, [])?.allowed).toBe(true);
  });
});
