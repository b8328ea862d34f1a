/**
 * Which KMS keys a reader lets unwrap an envelope's data key. The recipients sit in the header,
 * which nobody can authenticate before the data key is unwrapped: a reader that called KMS
 * Decrypt on whatever key a message names would decrypt messages an attacker made under the
 * attacker's own key, and would send a withheld encryption context to that key's owner. So, as
 * in the AWS Encryption SDK since 2.0 (strict vs discovery keyrings, "Updating AWS KMS keyrings"
 * in its developer guide), a reader says whom it trusts:
 *
 *   - `keyIds`: strict mode, a list of key ARNs or key ids;
 *   - `discovery: true`: any key the message names (an explicit opt-in);
 *   - `discovery: { accountIds, partition }`: any key in those accounts of that partition (the
 *     ESDK's DiscoveryFilter).
 *
 * Each admitted recipient also gets the KeyId that KMS Decrypt is called with, so that KMS itself
 * refuses a blob of any other key (IncorrectKeyException) before it sees the context.
 */
import { ValidationException } from '../errors.js';
import { REGION_NAME, parseKeyRef, partitionOf } from '../keys/arn.js';
import { sameKey } from './kms-like.js';

export type KeyTrust =
  | { readonly mode: 'keys'; readonly keyIds: readonly string[] }
  | { readonly mode: 'discovery'; readonly filter?: DiscoveryFilter };

export interface DiscoveryFilter {
  /** 12-digit AWS account ids whose keys may be tried. */
  readonly accountIds: readonly string[];
  /** The ARN partition: aws, aws-cn, aws-us-gov… */
  readonly partition: string;
}

const invalid = (message: string) => new ValidationException({ message });
const ACCOUNT_ID = /^\d{12}$/;
const PARTITION = /^aws(-[a-z]+){0,2}$/;
const NEITHER =
  'Decrypting needs keyIds (the KMS keys you trust to unwrap the data key: key ARNs or key ids) ' +
  "or discovery: true (any key the envelope names), optionally limited as discovery: { accountIds: ['111122223333'], partition: 'aws' }.";

/** The trust options as the caller gave them → one KeyTrust, or ValidationException. */
export function checkTrust(keyIds: unknown, discovery: unknown): KeyTrust {
  const discovering = discovery !== undefined && discovery !== false;
  if (keyIds !== undefined && discovering) throw invalid('Pass keyIds or discovery, not both.');
  if (keyIds !== undefined) return { mode: 'keys', keyIds: checkKeyIdList(keyIds) };
  if (!discovering) throw invalid(NEITHER);
  if (discovery === true) return { mode: 'discovery' };
  return { mode: 'discovery', filter: checkFilter(discovery) };
}

function checkKeyIdList(keyIds: unknown): readonly string[] {
  if (!Array.isArray(keyIds) || keyIds.length === 0) throw invalid('keyIds must be a non-empty list of key ARNs or key ids.');
  for (const k of keyIds as unknown[]) {
    // Aliases are not resolved: a list of trusted keys must not move when an alias does.
    if (typeof k !== 'string' || parseKeyRef(k)?.kind !== 'key') throw invalid('keyIds must list key ARNs or key ids (not aliases).');
  }
  return [...(keyIds as string[])];
}

function checkFilter(discovery: unknown): DiscoveryFilter {
  if (typeof discovery !== 'object' || discovery === null || Array.isArray(discovery)) {
    throw invalid("discovery must be true or { accountIds: ['111122223333'], partition: 'aws' }.");
  }
  const unknown = Object.keys(discovery).filter((k) => k !== 'accountIds' && k !== 'partition');
  if (unknown.length > 0) throw invalid(`discovery takes accountIds and partition only, not ${unknown.join(', ')}.`);
  const { accountIds, partition } = discovery as { accountIds?: unknown; partition?: unknown };
  if (!Array.isArray(accountIds) || accountIds.length === 0 || accountIds.some((a) => typeof a !== 'string' || !ACCOUNT_ID.test(a))) {
    throw invalid('discovery.accountIds must be a non-empty list of 12-digit account ids.');
  }
  if (typeof partition !== 'string' || !PARTITION.test(partition))
    throw invalid("discovery.partition must be an ARN partition such as 'aws'.");
  return { accountIds: [...(accountIds as string[])], partition };
}

/** What a reader may do with one recipient: skip it, or call Decrypt with this KeyId (absent: the key the blob names). */
export type Admission = { readonly keyId?: string } | undefined;

/**
 * Whether a recipient may be tried, and with which KeyId. `keyRef` is the stored ARN, or null
 * when the wrapped blob is a kmsbox blob that names its key id `blobKeyId` (but no account).
 */
export function admit(trust: KeyTrust, keyRef: string | null, blobKeyId: string | undefined, caller?: CallerAccount): Admission {
  const ref = keyRef ?? blobKeyId;
  if (ref === undefined) return undefined;
  if (trust.mode === 'keys') {
    // Called with the list's own entry: an ARN pins that exact key; a bare key id means the
    // caller's own account and region. Either way KMS refuses a blob of any other key.
    const entry = trust.keyIds.find((k) => sameKey(k, ref));
    return entry === undefined ? undefined : { keyId: entry };
  }
  if (trust.filter === undefined) return keyRef === null ? {} : { keyId: keyRef };
  if (keyRef !== null) return inFilter(trust.filter, keyRef) ? { keyId: keyRef } : undefined;
  // A kmsbox blob names no account: ask for it as the caller's own key (a bare key id), the only
  // key KMS then uses. When the client tells its account (a kmsbox Kms), the filter is checked
  // before the call; the ARN KMS reports is checked against it afterwards in any case.
  if (caller !== undefined && (caller.partition !== trust.filter.partition || !trust.filter.accountIds.includes(caller.accountId)))
    return undefined;
  return { keyId: ref };
}

export interface CallerAccount {
  readonly accountId: string;
  readonly partition: string;
}

/** The account and partition a KmsLike acts in, when it says (a kmsbox Kms does; an AWS SDK client does not). */
export function callerAccount(kms: object): CallerAccount | undefined {
  const { accountId, region } = kms as { accountId?: unknown; region?: unknown };
  if (typeof accountId !== 'string' || !ACCOUNT_ID.test(accountId) || typeof region !== 'string' || !REGION_NAME.test(region))
    return undefined;
  return { accountId, partition: partitionOf(region) };
}

/** Whether the key ARN KMS reported is one this trust accepts. */
export function trusts(trust: KeyTrust, arn: string): boolean {
  if (trust.mode === 'keys') return trust.keyIds.some((k) => sameKey(k, arn));
  return trust.filter === undefined || inFilter(trust.filter, arn);
}

function inFilter(filter: DiscoveryFilter, arn: string): boolean {
  const ref = parseKeyRef(arn);
  return (
    ref?.kind === 'key' && ref.accountId !== undefined && ref.partition === filter.partition && filter.accountIds.includes(ref.accountId)
  );
}
