/**
 * The authorization decision for one request, as AWS documents it for KMS (reference §5.2):
 * an explicit Deny in the key policy or an identity policy wins; otherwise the request is allowed
 * when the key policy allows the caller, or the key policy allows the caller's account (which
 * hands the decision to IAM) and an identity policy allows, or a grant allows.
 */
import { AccessDeniedException } from '../errors.js';
import { conditionHolds, glob } from './conditions.js';
import { parsePolicy, type PrincipalSpec, type Statement } from './document.js';

const PRINCIPAL = /^arn:aws[\w-]*:(iam|sts)::(\d{12}):(.*)$/;

const accounts = new Map<string, string | undefined>();
/** The account id of a principal ARN or account id (memoized: the same few principals recur). */
export function accountOf(principal: string): string | undefined {
  if (accounts.has(principal)) return accounts.get(principal);
  const account = /^\d{12}$/.test(principal) ? principal : PRINCIPAL.exec(principal)?.[2];
  if (accounts.size > 4096) accounts.clear();
  accounts.set(principal, account);
  return account;
}

/** The account that owns a KMS key or alias ARN (`arn:aws:kms:<region>:<account>:key/…`). */
export function resourceAccountOf(resource: string): string | undefined {
  return /^arn:[^:]+:kms:[^:]*:(\d{12}):/.exec(resource)?.[1];
}

export function isRoot(principal: string): boolean {
  return /^arn:aws[\w-]*:iam::\d{12}:root$/.test(principal);
}

/** `arn:aws:sts::A:assumed-role/R/session` → `arn:aws:iam::A:role/R` (policies name the role). */
export function roleOf(principal: string): string | undefined {
  const m = /^arn:(aws[\w-]*):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(principal);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : undefined;
}

/** Whether `policyPrincipal` (from a policy or a grant) names `caller`: exactly, or as the role of its session. */
export function samePrincipal(policyPrincipal: string, caller: string): boolean {
  return policyPrincipal === caller || (roleOf(caller) !== undefined && roleOf(caller) === policyPrincipal);
}

type PrincipalMatch = 'direct' | 'account' | 'none';

function principalMatch(spec: PrincipalSpec, caller: string): PrincipalMatch {
  if (spec.any) return 'direct';
  let match: PrincipalMatch = 'none';
  for (const p of spec.aws) {
    if (/^\d{12}$/.test(p) || isRoot(p)) {
      // The account as principal: it delegates to IAM for the account's identities.
      if (accountOf(p) === accountOf(caller)) match = 'account';
    } else if (samePrincipal(p, caller)) {
      return 'direct';
    }
  }
  return match;
}

/** Condition values of the request, by lower-cased condition key; undefined when the key is absent. */
export type ConditionValues = (key: string) => readonly string[] | undefined;

export interface AuthRequest {
  readonly principal: string;
  /** `kms:Encrypt` */
  readonly action: string;
  /** The key ARN, or `*` for the operations that have no key (CreateKey, ListKeys, …). */
  readonly resource: string;
  /** The key policy text, when there is a key. */
  readonly keyPolicy?: string;
  readonly identityPolicies: readonly string[];
  readonly values: ConditionValues;
  /** Whether an active grant allows this request (asked only when the policies do not). */
  readonly grantAllows?: () => boolean;
}

export type Reason =
  | 'key-policy'
  | 'identity-policy'
  | 'grant'
  | 'explicit-deny-in-resource-based-policy'
  | 'explicit-deny-in-identity-based-policy'
  | 'no-resource-based-policy-allows'
  | 'no-identity-based-policy-allows';

export interface Decision {
  readonly allowed: boolean;
  readonly reason: Reason;
}

function applies(s: Statement, r: AuthRequest): boolean {
  if (s.action ? !s.action.some((a) => glob(a, r.action, true)) : s.notAction ? s.notAction.some((a) => glob(a, r.action, true)) : true) return false;
  if (s.resource ? !s.resource.some((p) => glob(p, r.resource)) : s.notResource ? s.notResource.some((p) => glob(p, r.resource)) : true) return false;
  return s.conditions.every((c) => conditionHolds(c, r.values(c.key)));
}

function principalOf(s: Statement, caller: string): PrincipalMatch {
  if (s.principal) return principalMatch(s.principal, caller);
  if (s.notPrincipal) return principalMatch(s.notPrincipal, caller) === 'none' ? 'direct' : 'none';
  return 'none';
}

export function decide(r: AuthRequest): Decision {
  const keyStatements = r.keyPolicy === undefined ? [] : parsePolicy(r.keyPolicy, 'key').statements;
  // A key policy statement without Action or Resource is accepted by AWS but has no effect.
  const effective = (s: Statement) => (s.action !== undefined || s.notAction !== undefined) && (s.resource !== undefined || s.notResource !== undefined);
  let direct = false;
  let delegated = false;
  for (const s of keyStatements) {
    if (!effective(s)) continue;
    const who = principalOf(s, r.principal);
    if (who === 'none' || !applies(s, r)) continue;
    if (s.effect === 'Deny') return { allowed: false, reason: 'explicit-deny-in-resource-based-policy' };
    if (who === 'direct') direct = true;
    else delegated = true;
  }
  let identityAllows = isRoot(r.principal);
  for (const text of r.identityPolicies) {
    for (const s of parsePolicy(text, 'identity').statements) {
      if (!applies(s, r)) continue;
      if (s.effect === 'Deny') return { allowed: false, reason: 'explicit-deny-in-identity-based-policy' };
      identityAllows = true;
    }
  }
  if (r.keyPolicy === undefined) return identityAllows ? { allowed: true, reason: 'identity-policy' } : { allowed: false, reason: 'no-identity-based-policy-allows' };
  // Another account's caller needs both: the key policy (naming it or its account) and an IAM
  // policy in its own account ("neither the key policy nor the IAM policy is sufficient").
  if (direct && accountOf(r.principal) === resourceAccountOf(r.resource)) return { allowed: true, reason: 'key-policy' };
  if ((delegated || direct) && identityAllows) return { allowed: true, reason: 'identity-policy' };
  if (r.grantAllows?.()) return { allowed: true, reason: 'grant' };
  return { allowed: false, reason: delegated || direct ? 'no-identity-based-policy-allows' : 'no-resource-based-policy-allows' };
}

/** AWS's AccessDeniedException for a denied request. */
export function accessDenied(r: Pick<AuthRequest, 'principal' | 'action' | 'resource'>, reason: Reason): AccessDeniedException {
  const because = reason.startsWith('explicit-deny')
    ? `with an explicit deny in ${reason === 'explicit-deny-in-resource-based-policy' ? 'a resource-based' : 'an identity-based'} policy`
    : `because no ${reason === 'no-resource-based-policy-allows' ? 'resource-based' : 'identity-based'} policy allows the ${r.action} action`;
  return new AccessDeniedException({ message: `User: ${r.principal} is not authorized to perform: ${r.action} on resource: ${r.resource} ${because}` });
}
