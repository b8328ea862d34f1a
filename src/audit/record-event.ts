/**
 * Builds the audit event of one call (auditEvent), as event.ts describes it: what is logged and
 * what never is. Loaded on first use by a Kms that has an audit sink (src/lazy.ts, kms.ts), so a
 * page that records no audit trail does not download it (test/package/browser-bundle.test.ts).
 */

import { setOwn } from '../api/set-own.js';
import { randomUuid } from '../crypto/random.js';
import type { AuditEvent } from './event.js';

/**
 * Members never logged: secrets, ciphertexts, messages and their authenticators, grant tokens. By
 * lower-cased name: a client that misspells `Plaintext` as `plaintext` (which AWS ignores, as an
 * unknown member) must not see its secret in the trail either.
 */
const NEVER_LOGGED = new Set(
  [
    'Plaintext',
    'CiphertextBlob',
    'Message',
    'Signature',
    'Mac',
    'PublicKey',
    'GrantTokens',
    'GrantToken',
    'Recipient',
    'PrivateKeyPlaintext',
    'PrivateKeyCiphertextBlob',
    'SharedSecret',
    'CiphertextForRecipient',
    'ImportToken',
    'EncryptedKeyMaterial',
    // Custom key stores (CreateCustomKeyStore, UpdateCustomKeyStore): the kmsuser password and the
    // external key store proxy's secret access key, sensitive in AWS's model.
    'KeyStorePassword',
    'RawSecretAccessKey',
  ].map((name) => name.toLowerCase()),
);

/**
 * The largest `requestParameters` or `responseElements` logged, in bytes of JSON: CloudTrail
 * truncates a field whose contents exceed its maximum field size and records `omitted: true`
 * ("CloudTrail record contents"); 100 KiB is the size AWS gives for responseElements. Every valid
 * KMS request fits (the longest member, a key policy, is 32 KiB), while the junk a caller can add
 * (unknown members, values validation refuses) no longer makes each event as large as its request.
 */
export const MAX_AUDIT_FIELD_BYTES = 100 * 1024;
/** The longest `errorMessage` logged, in characters (longer ones end in `…`); kmsbox's choice. */
export const MAX_AUDIT_ERROR_MESSAGE = 4096;

const OMITTED: Readonly<Record<string, unknown>> = Object.freeze({ omitted: true });

/**
 * A field as logged: itself when its JSON fits MAX_AUDIT_FIELD_BYTES, else `{ omitted: true }`.
 * `bound` is an upper bound on the JSON's UTF-8 size (from `redact`): only a field that might not
 * fit is serialized to measure it, so the common small request costs no JSON.stringify.
 */
function bounded(field: Record<string, unknown>, bound: number): Record<string, unknown> {
  if (bound <= MAX_AUDIT_FIELD_BYTES) return field;
  const json = JSON.stringify(field);
  // A UTF-16 unit is at most 3 bytes of UTF-8: measure exactly only when it might not fit.
  if (json.length * 3 <= MAX_AUDIT_FIELD_BYTES) return field;
  return json.length > MAX_AUDIT_FIELD_BYTES || new TextEncoder().encode(json).length > MAX_AUDIT_FIELD_BYTES ? OMITTED : field;
}

const boundedMessage = (message: string): string =>
  message.length <= MAX_AUDIT_ERROR_MESSAGE ? message : `${message.slice(0, MAX_AUDIT_ERROR_MESSAGE - 1)}…`;

const camel = (k: string) => k.charAt(0).toLowerCase() + k.slice(1);

/** Members that are string maps: their keys are data (logged verbatim), not member names. */
const MAPS = new Set([
  'EncryptionContext',
  'SourceEncryptionContext',
  'DestinationEncryptionContext',
  'EncryptionContextSubset',
  'EncryptionContextEquals',
]);

/** How a member name is logged: `undefined` when never, else its camelCase name and whether its keys are data. */
interface MemberRule {
  readonly name: string;
  readonly map: boolean;
}
const NOT_LOGGED = null;
/**
 * Member rules by name, computed once per name (the same few names come in every request). Names
 * are the caller's, so the cache is bounded: cleared when it grows past 1,000 names.
 */
const memberRules = new Map<string, MemberRule | typeof NOT_LOGGED>();
function memberRule(k: string): MemberRule | typeof NOT_LOGGED {
  let rule = memberRules.get(k);
  if (rule === undefined) {
    rule = NEVER_LOGGED.has(k.toLowerCase()) || k === '$metadata' ? NOT_LOGGED : { name: camel(k), map: MAPS.has(k) };
    if (memberRules.size >= 1000) memberRules.clear();
    memberRules.set(k, rule);
  }
  return rule;
}

/**
 * An upper bound on the JSON size in UTF-8 bytes of what `redact` returns, summed as it goes: a
 * string's JSON is at most 6 bytes per UTF-16 unit (`\uXXXX`) plus its quotes; a number at most 24
 * characters; every member or item adds at most a comma and a colon.
 */
interface Size {
  bytes: number;
}
const stringBound = (s: string) => 6 * s.length + 2;

/** A JSON-safe copy without byte fields or never-logged members, member names in CloudTrail's camelCase. */
function redact(value: unknown, size: Size, depth = 0, verbatim = false): unknown {
  if (typeof value === 'string') {
    size.bytes += stringBound(value);
    return value;
  }
  if (value instanceof Uint8Array || typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint' || depth > 6)
    return undefined;
  if (value instanceof Date) {
    size.bytes += 32;
    return value.toISOString();
  }
  size.bytes += 26; // a number, a boolean, null, or the brackets of an array or object
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const v of value) {
      const r = redact(v, size, depth + 1);
      if (r !== undefined) {
        out.push(r);
        size.bytes += 1;
      }
    }
    return out;
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[k];
      if (verbatim) {
        if (typeof v === 'string') {
          setOwn(out, k, v);
          size.bytes += stringBound(k) + stringBound(v) + 2;
        }
        continue;
      }
      const rule = memberRule(k);
      if (rule === NOT_LOGGED) continue;
      const r = redact(v, size, depth + 1, rule.map);
      if (r !== undefined) {
        setOwn(out, rule.name, r);
        size.bytes += stringBound(rule.name) + 2;
      }
    }
    return out;
  }
  return value;
}

/** What CloudTrail records of each management response (everything else: null). */
const RESPONSE_MEMBERS: Record<string, readonly string[]> = {
  CreateKey: ['KeyMetadata'],
  CreateGrant: ['GrantId'],
  ScheduleKeyDeletion: ['KeyId', 'DeletionDate', 'KeyState', 'PendingWindowInDays'],
  CancelKeyDeletion: ['KeyId'],
};

const identityTypes = new Map<string, AuditEvent['userIdentity']['type']>();
function identityType(arn: string): AuditEvent['userIdentity']['type'] {
  let t = identityTypes.get(arn);
  if (t === undefined) {
    t = computeIdentityType(arn);
    if (identityTypes.size > 1000) identityTypes.clear();
    identityTypes.set(arn, t);
  }
  return t;
}

function computeIdentityType(arn: string): AuditEvent['userIdentity']['type'] {
  if (/:root$/.test(arn)) return 'Root';
  if (/:assumed-role\//.test(arn) || /:role\//.test(arn)) return 'AssumedRole';
  if (/:federated-user\//.test(arn)) return 'FederatedUser';
  if (/:user\//.test(arn)) return 'IAMUser';
  return 'AWSAccount';
}

export interface CallRecord {
  readonly operation: string;
  readonly principal: string;
  readonly principalAccount: string;
  readonly region: string;
  readonly accountId: string;
  readonly time: number;
  readonly requestId: string;
  readonly readOnly: boolean;
  readonly input: unknown;
  readonly output: Record<string, unknown> | undefined;
  readonly error: { readonly name: string; readonly message: string } | undefined;
  readonly resources: ReadonlyMap<string, string>;
  readonly sourceIp: string | undefined;
  readonly userAgent: string | undefined;
}

const identities = new Map<string, AuditEvent['userIdentity']>();
/** One frozen identity object per principal, shared by its events (they are read-only records). */
function userIdentity(arn: string, accountId: string): AuditEvent['userIdentity'] {
  let id = identities.get(arn);
  if (id === undefined || id.accountId !== accountId) {
    id = Object.freeze({ type: identityType(arn), arn, accountId });
    if (identities.size > 1000) identities.clear();
    identities.set(arn, id);
  }
  return id;
}

let lastSecond = -1;
let lastTime = '';
/** CloudTrail's time format (whole seconds), cached per second: many events share one. */
function eventTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastTime = `${new Date(second * 1000).toISOString().slice(0, 19)}Z`;
  }
  return lastTime;
}

function hasMembers(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

/** The fifth `:`-separated field of an ARN (its account), without splitting the whole string. */
function accountOfArn(arn: string): string | undefined {
  let at = -1;
  for (let i = 0; i < 4; i++) {
    at = arn.indexOf(':', at + 1);
    if (at < 0) return undefined;
  }
  const end = arn.indexOf(':', at + 1);
  return end < 0 ? arn.slice(at + 1) : arn.slice(at + 1, end);
}

type Resource = { readonly accountId: string; readonly type: string; readonly ARN: string };

/**
 * The `resources` of an event naming one key (nearly every data-plane call), as one frozen list per
 * ARN and type shared by its events: the list is a function of those strings alone, and events are
 * read-only records (as userIdentity is). A MemoryAuditSink keeps its events, so each object an event
 * holds is one the garbage collector copies and promotes: these two were a quarter of them. Bounded
 * like the other caches here.
 */
const singleResources = new Map<string, { type: string; fallbackAccount: string; list: readonly Resource[] }>();
function oneResource(ARN: string, type: string, fallbackAccount: string): readonly Resource[] {
  let entry = singleResources.get(ARN);
  if (entry === undefined || entry.type !== type || entry.fallbackAccount !== fallbackAccount) {
    const resource = Object.freeze({ accountId: accountOfArn(ARN) ?? fallbackAccount, type, ARN });
    entry = { type, fallbackAccount, list: Object.freeze([resource]) };
    if (singleResources.size >= 1000) singleResources.clear();
    singleResources.set(ARN, entry);
  }
  return entry.list;
}

/** The event's resources: each key the call touched, with its account (the fifth field of its ARN). */
function resourcesOf(c: CallRecord): readonly Resource[] | undefined {
  if (c.resources.size === 0) return undefined;
  if (c.resources.size === 1) for (const [ARN, type] of c.resources) return oneResource(ARN, type, c.accountId);
  const resources: Resource[] = [];
  // arn:aws:kms:<region>:<account>:key/<id>: the account is the fifth field.
  for (const [ARN, type] of c.resources) resources.push({ accountId: accountOfArn(ARN) ?? c.accountId, type, ARN });
  return resources;
}

export function auditEvent(c: CallRecord): AuditEvent {
  const paramsSize: Size = { bytes: 0 };
  const params = typeof c.input === 'object' && c.input !== null ? (redact(c.input, paramsSize) as Record<string, unknown>) : null;
  const members = Object.hasOwn(RESPONSE_MEMBERS, c.operation) ? RESPONSE_MEMBERS[c.operation] : undefined;
  let responseElements: Record<string, unknown> | null = null;
  if (members && c.output) {
    const picked: Record<string, unknown> = {};
    for (const m of members) if (c.output[m] !== undefined) picked[m] = c.output[m];
    const size: Size = { bytes: 0 };
    responseElements = bounded(redact(picked, size) as Record<string, unknown>, size.bytes);
  }
  const requestParameters = params && hasMembers(params) ? bounded(params, paramsSize.bytes) : null;
  const resources = resourcesOf(c);
  // One literal with every member (a member added after a literal goes to a separate backing store,
  // one more object per event a sink keeps): the event of a call that succeeded on a key, as it is.
  const event = {
    eventVersion: '1.08' as const,
    userIdentity: userIdentity(c.principal, c.principalAccount),
    eventTime: eventTime(c.time),
    eventSource: 'kms.amazonaws.com' as const,
    eventName: c.operation,
    awsRegion: c.region,
    sourceIPAddress: c.sourceIp ?? 'kmsbox',
    userAgent: c.userAgent ?? 'kmsbox',
    requestParameters,
    responseElements,
    requestID: c.requestId,
    eventID: randomUuid(), // a flat string (crypto/random.ts): a sink may keep it long
    readOnly: c.readOnly,
    eventType: 'AwsApiCall' as const,
    managementEvent: true as const,
    recipientAccountId: c.accountId,
    eventCategory: 'Management' as const,
    resources,
  };
  if (c.error === undefined && resources !== undefined) return event as AuditEvent; // resources is defined here
  // A failure or a keyless call: the error members come before the resources, and an absent member
  // is not there at all.
  const { resources: _, ...rest } = event;
  const other: { -readonly [K in keyof AuditEvent]: AuditEvent[K] } = rest;
  if (c.error) {
    other.errorCode = c.error.name;
    other.errorMessage = boundedMessage(c.error.message);
  }
  if (resources !== undefined) other.resources = resources;
  return other;
}
