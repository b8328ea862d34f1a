/**
 * The authorization decision for one request, as AWS documents it for KMS ("KMS key access and
 * permissions", https://docs.aws.amazon.com/kms/latest/developerguide/control-access.html):
 * an explicit Deny in the key policy or an identity policy wins; otherwise the request is allowed
 * when the key policy allows the caller, or the key policy allows the caller's account (which
 * hands the decision to IAM) and an identity policy allows, or a grant allows.
 *
 * Kept rather than a general IAM policy evaluator: grants and the key policy's hand-over to IAM are
 * KMS's own, and every kmsbox decision is tested against them (test/policy/); the statement matching
 * follows the IAM JSON policy reference (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies.html).
 */
import { AccessDeniedException } from '../errors.js';
import { arnMatches, conditionHolds, glob, likeMatches } from './conditions.js';
import { parsePolicy, type Condition, type PolicyDocument, type PrincipalSpec, type Statement } from './document.js';
import { parseTemplate, resolveTemplate, textOf, type Resolved } from './variables.js';

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

const roots = new Map<string, boolean>();
/** Whether a principal is an account's root user (memoized, as accountOf: the same few principals recur). */
export function isRoot(principal: string): boolean {
  let root = roots.get(principal);
  if (root === undefined) {
    root = /^arn:aws[\w-]*:iam::\d{12}:root$/.test(principal);
    if (roots.size > 4096) roots.clear();
    roots.set(principal, root);
  }
  return root;
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
}

/** 'grant' is set by the caller (src/ops/authorize.ts), which asks the grants when `decide` denies without an explicit Deny. */
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

/**
 * One Resource/NotResource entry against the request's resource. An ARN pattern is matched
 * component by component (IAM JSON policy elements: Resource, "Using wildcards in resource
 * ARNs"); one with fewer than six components and a wildcard is padded with `:*` components
 * (`arn:aws:kms:*` is every KMS resource); `*` and anything not an ARN use the plain wildcards.
 * 'unknown': a short ARN that does not match — kmsbox cannot tell that the request is outside it.
 */
function resourceMatches(pattern: string | Resolved, resource: string): boolean | 'unknown' {
  const text = typeof pattern === 'string' ? pattern : textOf(pattern);
  if (text === '*') return true;
  if (resource === '*' || !text.startsWith('arn:')) return likeMatches(pattern, resource);
  const colons = text.split(':').length - 1;
  if (colons >= 5) return arnMatches(pattern, resource);
  if (!text.includes('*') && !text.includes('?')) return 'unknown';
  const pad = ':*'.repeat(5 - colons);
  return arnMatches(typeof pattern === 'string' ? pattern + pad : [...pattern, { glob: pad }], resource) || 'unknown';
}

/**
 * A Resource entry with variables, substituted. In an ARN, variables may stand only in the
 * resource component ("only in the resource portion of the ARN … after the fifth colon"); one
 * earlier, like one that does not resolve, makes the entry match nothing (undefined).
 */
function resolveResource(entry: string, r: AuthRequest): Resolved | undefined {
  const template = parseTemplate(entry);
  if (entry.startsWith('arn:')) {
    let colons = 0;
    for (const piece of template) {
      if ('key' in piece) {
        if (colons < 5) return undefined;
        break;
      }
      colons += ('glob' in piece ? piece.glob : piece.literal).split(':').length - 1;
    }
  }
  return resolveTemplate(template, r.values);
}

/** true: an entry matches; false: none does; undefined: none does, but one could not be read (a variable that did not resolve, a short ARN). */
function resourcesMatch(s: Statement, list: readonly string[], r: AuthRequest): boolean | undefined {
  let unknown = false;
  for (const entry of list) {
    const pattern = s.resourceVariables ? resolveResource(entry, r) : entry;
    const match = pattern === undefined ? 'unknown' : resourceMatches(pattern, r.resource);
    if (match === true) return true;
    if (match === 'unknown') unknown = true;
  }
  return unknown ? undefined : false;
}

function conditionApplies(c: Condition, r: AuthRequest): boolean {
  const resolved = c.variables ? c.values.map((v) => resolveTemplate(parseTemplate(v), r.values)) : undefined;
  return conditionHolds(c, r.values(c.key), resolved);
}

function applies(s: Statement, r: AuthRequest): boolean {
  if (s.action ? !s.action.some((a) => glob(a, r.action, true)) : s.notAction ? s.notAction.some((a) => glob(a, r.action, true)) : true)
    return false;
  if (s.resource) {
    if (resourcesMatch(s, s.resource, r) !== true) return false;
  } else if (s.notResource) {
    // An entry that could not be read never puts the request outside NotResource: the statement does not apply.
    if (resourcesMatch(s, s.notResource, r) !== false) return false;
  }
  return s.conditions.every((c) => conditionApplies(c, r));
}

function principalOf(s: Statement, caller: string): PrincipalMatch {
  if (s.principal) return principalMatch(s.principal, caller);
  if (s.notPrincipal) return principalMatch(s.notPrincipal, caller) === 'none' ? 'direct' : 'none';
  return 'none';
}

export function decide(r: AuthRequest): Decision {
  const keyStatements = r.keyPolicy === undefined ? [] : parsePolicy(r.keyPolicy, 'key').statements;
  // A key policy statement without Action or Resource is accepted by AWS but has no effect.
  const effective = (s: Statement) =>
    (s.action !== undefined || s.notAction !== undefined) && (s.resource !== undefined || s.notResource !== undefined);
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
  if (r.keyPolicy === undefined)
    return identityAllows ? { allowed: true, reason: 'identity-policy' } : { allowed: false, reason: 'no-identity-based-policy-allows' };
  // Another account's caller needs both: the key policy (naming it or its account) and an IAM
  // policy in its own account ("neither the key policy nor the IAM policy is sufficient").
  if (direct && accountOf(r.principal) === resourceAccountOf(r.resource)) return { allowed: true, reason: 'key-policy' };
  if ((delegated || direct) && identityAllows) return { allowed: true, reason: 'identity-policy' };
  return { allowed: false, reason: delegated || direct ? 'no-identity-based-policy-allows' : 'no-resource-based-policy-allows' };
}

const NO_VALUES: ConditionValues = () => undefined;
/** Decisions of condition-free key policies, per parsed document; `false`: the document has conditions or variables. */
/**
 * Decisions by principal, then resource, then action: nested maps of strings the request already
 * holds (the caller's ARN, the key's ARN), so a lookup builds no key string (issue #16). `size`
 * counts the decisions, for the bound.
 */
interface Decisions {
  size: number;
  readonly byPrincipal: Map<string, Map<string, Map<string, Decision>>>;
}
const pureDecisions = new WeakMap<PolicyDocument, Decisions | false>();
const PURE_DECISIONS_MAX = 1024;

/**
 * The decision for a caller without identity policies on a key whose policy has no conditions and
 * no policy variables: then `decide` reads nothing but the principal, action, resource and policy
 * text, so its answer is kept per parsed document (a document is its text: a changed policy is
 * another document, with no decisions yet). `undefined` when the decision could read anything else
 * (identity policies, condition values); the caller then decides in full. Grants are not part of
 * it: they are asked after a denial, on every call.
 */
export function pureDecision(
  principal: string,
  action: string,
  resource: string,
  keyPolicy: string,
  identityPolicies: readonly string[],
): Decision | undefined {
  if (identityPolicies.length > 0) return undefined;
  const doc = parsePolicy(keyPolicy, 'key');
  let memo = pureDecisions.get(doc);
  if (memo === undefined) {
    const pure = doc.statements.every((s) => s.conditions.length === 0 && !s.resourceVariables);
    memo = pure ? { size: 0, byPrincipal: new Map() } : false;
    pureDecisions.set(doc, memo);
  }
  if (memo === false) return undefined;
  let decision = memo.byPrincipal.get(principal)?.get(resource)?.get(action);
  if (decision === undefined) {
    decision = decide({ principal, action, resource, keyPolicy, identityPolicies, values: NO_VALUES });
    if (memo.size >= PURE_DECISIONS_MAX) {
      memo.byPrincipal.clear();
      memo.size = 0;
    }
    let byResource = memo.byPrincipal.get(principal);
    if (byResource === undefined) memo.byPrincipal.set(principal, (byResource = new Map()));
    let byAction = byResource.get(resource);
    if (byAction === undefined) byResource.set(resource, (byAction = new Map()));
    byAction.set(action, decision);
    memo.size++;
  }
  return decision;
}

/** AWS's AccessDeniedException for a denied request. */
export function accessDenied(r: Pick<AuthRequest, 'principal' | 'action' | 'resource'>, reason: Reason): AccessDeniedException {
  const because = reason.startsWith('explicit-deny')
    ? `with an explicit deny in ${reason === 'explicit-deny-in-resource-based-policy' ? 'a resource-based' : 'an identity-based'} policy`
    : `because no ${reason === 'no-resource-based-policy-allows' ? 'resource-based' : 'identity-based'} policy allows the ${r.action} action`;
  return new AccessDeniedException({
    message: `User: ${r.principal} is not authorized to perform: ${r.action} on resource: ${r.resource} ${because}`,
  });
}
