/**
 * Authorization in the request path (validate → resolve key → authorize → provider): the caller
 * of this request, the condition keys its input and key give, grants, and the decision. Every
 * key a request touches is authorized once per action, and remembered for the audit event.
 */
import { GrantOperation } from '../api/enums.js';
import type { Input } from '../api/validate.js';
import type { GrantRecord, KeyRecord } from '../keys/record.js';
import { parsePolicy } from '../policy/document.js';
import { AccessDeniedException } from '../errors.js';
import { aliasArn } from '../keys/arn.js';
import {
  accessDenied,
  accountOf,
  type ConditionValues,
  type Decision,
  decide,
  pureDecision,
  roleOf,
  samePrincipal,
} from '../policy/evaluate.js';
import type { Env } from './env.js';

/** Who is calling and what they asked: set on the Env of each public call. */
export interface Caller {
  readonly principal: string;
  readonly operation: string;
  readonly input: Input;
  readonly identityPolicies: readonly string[];
  /** Resources this request touched (ARN → CloudTrail resource type), for the audit event. */
  readonly resources: Map<string, string>;
  readonly authorized: Set<string>;
  readonly sourceIp?: string | undefined;
  readonly userAgent?: string | undefined;
  /** How the call arrived: false over plain HTTP; true in-process (no network) and when a TLS server says so. */
  readonly secureTransport?: boolean | undefined;
  /**
   * Whether another account's principal may call this operation on a key ("Cross-account use: Yes"
   * in the API reference; `crossAccount` in api/operations.ts): if not, no key policy can grant it.
   */
  readonly crossAccount: boolean;
}

/** The grant operation a request needs for an action (`kms:ReEncryptFrom` → ReEncryptFrom): AWS's GrantOperation list. */
const GRANT_OPERATIONS: ReadonlySet<string> = new Set(Object.values(GrantOperation));

/** Operations whose grants carry encryption-context constraints. */
const CONTEXT_OPERATIONS = new Set([
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'ReEncryptFrom',
  'ReEncryptTo',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
]);

function lowerKeys(context: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v]));
}

/** The context's values by lower-cased key: pairs whose keys differ only in case are all kept. */
function valuesByLowerKey(context: Record<string, string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of Object.entries(context)) {
    const key = k.toLowerCase();
    const values = out.get(key);
    if (values) values.push(v);
    else out.set(key, [v]);
  }
  return out;
}

/**
 * Grant constraints: context keys compare case-insensitively, values exactly (API_GrantConstraints,
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_GrantConstraints.html; docs/aws-behaviour.md#grants).
 * Every request pair whose key matches a constrained key must carry its value, so pairs that
 * differ only in case cannot smuggle a second value past it, whatever their order.
 */
export function constraintsHold(g: Pick<GrantRecord, 'constraints'>, context: Record<string, string> | undefined): boolean {
  const c = g.constraints;
  if (!c) return true;
  const request = valuesByLowerKey(context ?? {});
  const carries = (wanted: Record<string, string>) =>
    [...lowerKeys(wanted)].every(([k, v]) => request.get(k)?.every((x) => x === v) === true);
  if (c.EncryptionContextEquals) {
    const pairs = Object.keys(context ?? {}).length;
    if (pairs !== Object.keys(c.EncryptionContextEquals).length || !carries(c.EncryptionContextEquals)) return false;
  }
  if (c.EncryptionContextSubset && !carries(c.EncryptionContextSubset)) return false;
  return true;
}

/** The encryption context an action is about (ReEncrypt has two; CreateGrant's is its constraint). */
function contextFor(action: string, input: Input): Record<string, string> | undefined {
  const pick = (name: string) => input[name] as Record<string, string> | undefined;
  if (action === 'kms:ReEncryptFrom') return pick('SourceEncryptionContext');
  if (action === 'kms:ReEncryptTo') return pick('DestinationEncryptionContext');
  if (action === 'kms:CreateGrant') {
    const c = input.Constraints as
      | { EncryptionContextEquals?: Record<string, string>; EncryptionContextSubset?: Record<string, string> }
      | undefined;
    return c?.EncryptionContextEquals ?? c?.EncryptionContextSubset;
  }
  return pick('EncryptionContext');
}

const str = (v: unknown): readonly string[] | undefined => (v === undefined || v === null ? undefined : [String(v)]);

export interface PrincipalFacts {
  /** aws:PrincipalType */
  readonly type: 'Account' | 'User' | 'AssumedRole' | 'FederatedUser';
  /** aws:userid: AWS's unique id; kmsbox has none, so the names stand in (README). */
  readonly userid?: string;
  /** aws:username: IAM users only. */
  readonly username?: string;
}

/**
 * aws:PrincipalType, aws:userid and aws:username by kind of caller, as the table "Principal key
 * values" in "IAM policy elements: Variables and tags" gives them. Where AWS has a unique id
 * (AIDA… for users, AROA… for roles), kmsbox uses the name: user `alice` → `alice`, session `s` of
 * role `app` → `app:s`. A role's own ARN (kmsbox lets it call, AWS only lets its sessions) is an
 * AssumedRole without a session: no aws:userid.
 */
export function principalFacts(principal: string): PrincipalFacts {
  const m = /^arn:aws[\w-]*:(iam|sts)::(\d{12}):(root|user|role|assumed-role|federated-user)(?:\/(.*))?$/.exec(principal);
  if (m === null) return /^\d{12}$/.test(principal) ? { type: 'Account', userid: principal } : { type: 'Account' };
  // The pattern's account group is not optional: `= ''` only tells the type checker so.
  const [, , account = '', kind, rest = ''] = m;
  const last = (path: string) => path.slice(path.lastIndexOf('/') + 1);
  switch (kind) {
    case 'root':
      return { type: 'Account', userid: account };
    case 'user':
      return { type: 'User', userid: last(rest), username: last(rest) };
    case 'assumed-role': {
      const [role, session] = rest.split('/');
      return { type: 'AssumedRole', userid: `${role}:${session}` };
    }
    case 'federated-user':
      return { type: 'FederatedUser', userid: `${account}:${rest}` };
    default:
      return { type: 'AssumedRole' };
  }
}

/** The request's condition keys (lower-case names), computed on demand. */
function conditionValues(
  env: Env,
  caller: Caller,
  action: string,
  key: KeyRecord | undefined,
  extra: { aliases?: readonly string[]; requestAlias?: string },
): ConditionValues {
  const input = caller.input;
  const op = caller.operation;
  const context = contextFor(action, input);
  const tags = (input.Tags as Array<{ TagKey: string; TagValue: string }> | undefined) ?? [];
  const symmetric = key?.keySpec === 'SYMMETRIC_DEFAULT';
  return (name) => {
    if (name.startsWith('kms:encryptioncontext:')) {
      // Every value whose key matches: pairs differing only in case cannot hide one from a Deny.
      const wanted = name.slice('kms:encryptioncontext:'.length);
      const values = Object.entries(context ?? {})
        .filter(([k]) => k.toLowerCase() === wanted)
        .map(([, v]) => v);
      return values.length > 0 ? values : undefined;
    }
    if (name.startsWith('aws:resourcetag/')) {
      const t = key?.tags.find((x) => x.TagKey.toLowerCase() === name.slice('aws:resourcetag/'.length));
      return t && [t.TagValue];
    }
    if (name.startsWith('aws:requesttag/')) {
      const t = tags.find((x) => x.TagKey.toLowerCase() === name.slice('aws:requesttag/'.length));
      return t && [t.TagValue];
    }
    switch (name) {
      case 'kms:encryptioncontextkeys':
        return context && Object.keys(context);
      case 'kms:calleraccount':
      case 'aws:principalaccount':
        return str(accountOf(caller.principal));
      case 'aws:principalarn':
        // A role session's is its role's ARN (IAM: "do not specify the assumed role session ARN").
        return [roleOf(caller.principal) ?? caller.principal];
      case 'aws:currenttime':
        return [new Date(env.now()).toISOString()];
      case 'aws:epochtime':
        return [String(Math.floor(env.now() / 1000))];
      case 'aws:sourceip':
        return str(caller.sourceIp);
      case 'aws:useragent':
        return str(caller.userAgent);
      case 'aws:principaltype':
        return [principalFacts(caller.principal).type];
      case 'aws:userid':
        return str(principalFacts(caller.principal).userid);
      case 'aws:username':
        return str(principalFacts(caller.principal).username);
      case 'aws:requestedregion':
        return [env.region];
      case 'aws:securetransport':
        return [String(caller.secureTransport ?? true)];
      case 'aws:viaawsservice':
      case 'aws:principalisawsservice':
        // A direct call by an IAM principal: never made by or through an AWS service.
        return ['false'];
      case 'aws:resourceaccount':
        return str(key?.accountId);
      case 'aws:tagkeys':
        return op === 'UntagResource' ? (input.TagKeys as string[] | undefined) : tags.length ? tags.map((t) => t.TagKey) : undefined;
      case 'kms:requestalias':
        return str(extra.requestAlias);
      case 'kms:resourcealiases':
        return extra.aliases?.length ? extra.aliases : undefined;
      case 'kms:keyspec':
        return str(
          key?.keySpec ?? (op === 'CreateKey' ? (input.KeySpec ?? input.CustomerMasterKeySpec ?? 'SYMMETRIC_DEFAULT') : undefined),
        );
      case 'kms:keyusage':
        return str(key?.keyUsage ?? (op === 'CreateKey' ? (input.KeyUsage ?? 'ENCRYPT_DECRYPT') : undefined));
      case 'kms:keyorigin':
        return str(key?.origin ?? (op === 'CreateKey' ? (input.Origin ?? 'AWS_KMS') : undefined));
      case 'kms:multiregion':
        return str(key?.multiRegion ?? (op === 'CreateKey' ? (input.MultiRegion ?? false) : undefined));
      case 'kms:multiregionkeytype':
        return key?.multiRegion ? [key.multiRegionKeyType ?? 'PRIMARY'] : undefined;
      case 'kms:replicaregion':
        return op === 'ReplicateKey' ? str(input.ReplicaRegion) : undefined;
      case 'kms:wrappingalgorithm':
        return op === 'GetParametersForImport' ? str(input.WrappingAlgorithm) : undefined;
      case 'kms:wrappingkeyspec':
        return op === 'GetParametersForImport' ? str(input.WrappingKeySpec) : undefined;
      case 'kms:expirationmodel':
        return op === 'ImportKeyMaterial'
          ? [String(input.ExpirationModel ?? (input.ValidTo instanceof Date ? 'KEY_MATERIAL_EXPIRES' : 'KEY_MATERIAL_DOES_NOT_EXPIRE'))]
          : undefined;
      case 'kms:validto':
        return op === 'ImportKeyMaterial' && input.ValidTo instanceof Date
          ? [String(Math.floor(input.ValidTo.getTime() / 1000))]
          : undefined;
      case 'kms:primaryregion':
        return op === 'UpdatePrimaryRegion' ? str(input.PrimaryRegion) : undefined;
      case 'kms:encryptionalgorithm': {
        const given =
          action === 'kms:ReEncryptFrom'
            ? input.SourceEncryptionAlgorithm
            : action === 'kms:ReEncryptTo'
              ? input.DestinationEncryptionAlgorithm
              : input.EncryptionAlgorithm;
        const crypto = /^kms:(Encrypt|Decrypt|ReEncrypt|GenerateDataKey)/.test(action);
        return str(given ?? (crypto && symmetric ? 'SYMMETRIC_DEFAULT' : undefined));
      }
      case 'kms:signingalgorithm':
        return str(input.SigningAlgorithm);
      case 'kms:macalgorithm':
        return str(input.MacAlgorithm);
      case 'kms:keyagreementalgorithm':
        return str(input.KeyAgreementAlgorithm);
      case 'kms:messagetype':
        return str(input.MessageType ?? (op === 'Sign' || op === 'Verify' ? 'RAW' : undefined));
      case 'kms:grantoperations':
        return input.Operations as string[] | undefined;
      case 'kms:granteeprincipal':
        return str(input.GranteePrincipal);
      case 'kms:retiringprincipal':
        return str(input.RetiringPrincipal);
      case 'kms:grantisforawsresource':
        return op === 'CreateGrant' ? ['false'] : undefined;
      case 'kms:grantconstrainttype': {
        const c = input.Constraints as Record<string, unknown> | undefined;
        return c && Object.keys(c).filter((k) => k.startsWith('EncryptionContext'));
      }
      case 'kms:schedulekeydeletionpendingwindowindays':
        return op === 'ScheduleKeyDeletion' ? [String(input.PendingWindowInDays ?? 30)] : undefined;
      case 'kms:rotationperiodindays':
        return str(input.RotationPeriodInDays);
      case 'kms:bypasspolicylockoutsafetycheck':
        return op === 'CreateKey' || op === 'PutKeyPolicy' || op === 'ReplicateKey'
          ? [String(input.BypassPolicyLockoutSafetyCheck === true)]
          : undefined;
      default:
        return undefined;
    }
  };
}

/** kms:RequestAlias: the alias the request named the key by, if it did. */
function requestAliasOf(keyIdInput: string | undefined): { requestAlias?: string } {
  if (keyIdInput === undefined) return {};
  const m = /^(?:arn:[^:]+:kms:[^:]*:\d{12}:)?(alias\/.+)$/.exec(keyIdInput);
  return m?.[1] ? { requestAlias: m[1] } : {};
}

/** `kms:<Operation>`, built once per operation name (the operations are the table's: a bounded set). */
const defaultActions = new Map<string, string>();
function defaultAction(operation: string): string {
  let action = defaultActions.get(operation);
  if (action === undefined) defaultActions.set(operation, (action = `kms:${operation}`));
  return action;
}

/**
 * `<action> <key ARN>`, the name under which a request remembers an authorization it has made: the
 * same string for the same pair (a function of the two strings alone; it says nothing about the
 * decision, which every request makes afresh), so the request's Set hashes a string V8 has hashed
 * before instead of a new one. Bounded, cleared when full.
 */
const memos = new Map<string, Map<string, string>>();
const MEMOS_MAX = 1000;
function authorizationMemo(action: string, arn: string): string {
  let byAction = memos.get(arn);
  if (byAction === undefined) {
    if (memos.size >= MEMOS_MAX) memos.clear();
    memos.set(arn, (byAction = new Map()));
  }
  let memo = byAction.get(action);
  if (memo === undefined) byAction.set(action, (memo = `${action} ${arn}`));
  return memo;
}

export interface KeyAuthOptions {
  /** Default `kms:<Operation>`. */
  readonly action?: string;
  /** The KeyId the request used (for kms:RequestAlias). */
  readonly keyIdInput?: string;
}

/**
 * Authorizes the caller for `action` on `key` (key policy, identity policies, grants). Synchronous
 * (no promise) when the decision needs nothing from the store: no policy reads kms:ResourceAliases
 * and the policies decide; the store is read for the key's aliases or its grants only when needed.
 */
export function authorizeKey(env: Env, key: KeyRecord, opts: KeyAuthOptions = {}): void | Promise<void> {
  return authorizeKeyAs(env, key, opts.action, opts.keyIdInput);
}

/** `authorizeKey` with its options as arguments (the request path: no options object per call). */
export function authorizeKeyAs(
  env: Env,
  key: KeyRecord,
  requestedAction: string | undefined,
  keyIdInput: string | undefined,
): void | Promise<void> {
  const caller = env.caller;
  if (caller === undefined) return;
  const action = requestedAction ?? defaultAction(caller.operation);
  caller.resources.set(key.arn, 'AWS::KMS::Key');
  const memo = authorizationMemo(action, key.arn);
  if (caller.authorized.has(memo)) return;
  if (!needsAliases(key, caller.identityPolicies)) return decideOnKey(env, caller, key, action, memo, undefined, keyIdInput);
  return env.provider
    .read((s) => {
      // This key's own aliases: a multi-Region replica shares the key id, not the aliases.
      const own = aliasArn(key.region, key.accountId, 'alias/');
      return Object.values(s.aliases)
        .filter((a) => a.targetKeyId === key.keyId && a.arn.startsWith(own))
        .map((a) => a.aliasName);
    })
    .then((aliases) => decideOnKey(env, caller, key, action, memo, aliases, keyIdInput));
}

/** Whether a policy that decides this request reads kms:ResourceAliases (then the key's aliases are read from the store). */
function needsAliases(key: KeyRecord, identityPolicies: readonly string[]): boolean {
  if (parsePolicy(key.policy, 'key').usesResourceAliases) return true;
  for (const text of identityPolicies) if (parsePolicy(text, 'identity').usesResourceAliases) return true;
  return false;
}

function decideOnKey(
  env: Env,
  caller: Caller,
  key: KeyRecord,
  action: string,
  memo: string,
  aliases: readonly string[] | undefined,
  keyIdInput: string | undefined,
): void | Promise<void> {
  const decision =
    pureDecision(caller.principal, action, key.arn, key.policy, caller.identityPolicies) ??
    decide({
      principal: caller.principal,
      action,
      resource: key.arn,
      keyPolicy: key.policy,
      identityPolicies: caller.identityPolicies,
      values: conditionValues(env, caller, action, key, { ...(aliases ? { aliases } : {}), ...requestAliasOf(keyIdInput) }),
    });
  if (!decision.allowed && !decision.reason.startsWith('explicit')) {
    const grantOperation = action.slice(4);
    if (GRANT_OPERATIONS.has(grantOperation)) {
      return env.provider
        .read((s) =>
          Object.values(s.grants ?? {}).filter((g) => g.keyArn === key.arn && samePrincipal(g.granteePrincipal, caller.principal)),
        )
        .then((grants) => {
          const context = contextFor(action, caller.input);
          const allows = (g: GrantRecord) =>
            g.operations.includes(grantOperation) &&
            (!CONTEXT_OPERATIONS.has(grantOperation) || constraintsHold(g, context)) &&
            grantCovers(g, caller);
          finishKeyDecision(caller, key, action, memo, grants.some(allows) ? { allowed: true, reason: 'grant' } : decision);
        });
    }
  }
  finishKeyDecision(caller, key, action, memo, decision);
}

function finishKeyDecision(caller: Caller, key: KeyRecord, action: string, memo: string, decision: Decision): void {
  if (!decision.allowed) throw accessDenied({ principal: caller.principal, action, resource: key.arn }, decision.reason);
  // What the policies allow another account's caller, only the cross-account operations can use.
  if (accountOf(caller.principal) !== key.accountId && !caller.crossAccount) {
    throw new AccessDeniedException({
      message: `User: ${caller.principal} is not authorized to perform: ${action} on resource: ${key.arn} because ${action} cannot be used on a key in another account`,
    });
  }
  caller.authorized.add(memo);
}

/** A grant that allows CreateGrant allows only equal or narrower grants (API_CreateGrant `Constraints`; docs/aws-behaviour.md#grants). */
function grantCovers(parent: GrantRecord, caller: Caller): boolean {
  if (caller.operation !== 'CreateGrant') return true;
  const ops = (caller.input.Operations as string[] | undefined) ?? [];
  if (!ops.every((o) => parent.operations.includes(o))) return false;
  const pc = parent.constraints;
  if (!pc) return true;
  const child = (caller.input.Constraints as GrantRecord['constraints']) ?? {};
  const within = (wanted: Record<string, string>, have: Record<string, string> | undefined) => {
    if (!have) return false;
    const h = lowerKeys(have);
    return Object.entries(wanted).every(([k, v]) => h.get(k.toLowerCase()) === v);
  };
  if (pc.EncryptionContextEquals) {
    const e = child.EncryptionContextEquals;
    return e !== undefined && within(pc.EncryptionContextEquals, e) && within(e, pc.EncryptionContextEquals);
  }
  if (pc.EncryptionContextSubset) return within(pc.EncryptionContextSubset, child.EncryptionContextSubset ?? child.EncryptionContextEquals);
  return true;
}

/** Authorizes an operation that has no key (CreateKey, ListKeys, …) or an alias: identity policies only. */
export function authorizeWithoutKey(env: Env, resource = '*', resourceType?: string, action = `kms:${env.caller?.operation}`): void {
  const caller = env.caller;
  if (caller === undefined) return;
  if (resourceType) caller.resources.set(resource, resourceType);
  const request = {
    principal: caller.principal,
    action,
    resource,
    identityPolicies: caller.identityPolicies,
    values: conditionValues(env, caller, action, undefined, {}),
  };
  const decision = decide(request);
  if (!decision.allowed) throw accessDenied(request, decision.reason);
  // An operation on no key (CreateKey, ListKeys, aliases…) acts in the caller's own account, as in AWS:
  // a principal of another account is refused whatever its policies say.
  if (accountOf(caller.principal) !== env.accountId) {
    throw new AccessDeniedException({
      message: `User: ${caller.principal} is not authorized to perform: ${action} on resource: ${resource} because ${action} can be called only in the caller's own account`,
    });
  }
}

/**
 * Whether the caller could call PutKeyPolicy on `key` once it has this policy (the lockout safety
 * check): the decision a later, ordinary PutKeyPolicy by the same caller would get, with every
 * condition key that request would carry (BypassPolicyLockoutSafetyCheck false).
 */
export function canManagePolicy(env: Env, key: KeyRecord, policy: string): boolean {
  const caller = env.caller;
  if (caller === undefined) return true;
  const later: Caller = {
    ...caller,
    operation: 'PutKeyPolicy',
    input: { KeyId: key.arn, PolicyName: 'default', Policy: policy, BypassPolicyLockoutSafetyCheck: false },
    resources: new Map(),
    authorized: new Set(),
  };
  const values = conditionValues(env, later, 'kms:PutKeyPolicy', key, {});
  return decide({
    principal: caller.principal,
    action: 'kms:PutKeyPolicy',
    resource: key.arn,
    keyPolicy: policy,
    identityPolicies: caller.identityPolicies,
    values,
  }).allowed;
}
