/** Key policies: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies (one policy per key, named `default`). */
import type { EmptyResponse, GetKeyPolicyResponse, ListKeyPoliciesResponse } from '../api/shapes.js';
import { Checks, type Input } from '../api/validate.js';
import { NotFoundException } from '../errors.js';
import type { Env } from './env.js';
import { keyIdMember, paging, policyMember } from './fields.js';
import { checkKeyPolicy } from './key-lifecycle.js';
import { findKeyFor, updateKey } from './lookup.js';
import { paginate } from '../api/pagination.js';

const POLICY_NAME = 'default';

function policyName(c: Checks): string {
  const name = c.string('PolicyName', { min: 1, max: 128, pattern: /^[\w]+$/ }) ?? POLICY_NAME;
  return name;
}

function onlyDefault(name: string): void {
  if (name !== POLICY_NAME)
    throw new NotFoundException({ message: `No such policy exists: ${name}. A key has one policy, named default.` });
}

export async function getKeyPolicy(env: Env, input: Input): Promise<GetKeyPolicyResponse> {
  const c = new Checks(input);
  const { keyId, name } = c.done({ keyId: c.required(keyIdMember(c)), name: policyName(c) });
  const key = await findKeyFor(env, keyId, 'GetKeyPolicy', { aliases: false });
  onlyDefault(name);
  return { Policy: key.policy, PolicyName: POLICY_NAME };
}

export async function putKeyPolicy(env: Env, input: Input): Promise<EmptyResponse> {
  const c = new Checks(input);
  const { keyId, name, policy, bypass } = c.done({
    keyId: c.required(keyIdMember(c)),
    name: policyName(c),
    policy: c.required(policyMember(c, true)),
    bypass: c.bool('BypassPolicyLockoutSafetyCheck') ?? false,
  });
  const key = await findKeyFor(env, keyId, 'PutKeyPolicy', { aliases: false });
  onlyDefault(name);
  checkKeyPolicy(env, key, policy, bypass);
  await updateKey(env, key.arn, 'PutKeyPolicy', (k) => {
    k.policy = policy;
  });
  return {};
}

export async function listKeyPolicies(env: Env, input: Input): Promise<ListKeyPoliciesResponse> {
  const c = new Checks(input);
  const {
    keyId,
    paged: { limit, marker },
  } = c.done({ keyId: c.required(keyIdMember(c)), paged: paging(c) });
  await findKeyFor(env, keyId, 'ListKeyPolicies', { aliases: false });
  const page = paginate('policies', [POLICY_NAME], (n) => n, limit, marker);
  return { PolicyNames: page.items, Truncated: page.Truncated, ...(page.NextMarker ? { NextMarker: page.NextMarker } : {}) };
}
