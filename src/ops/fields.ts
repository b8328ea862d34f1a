/** Members that many operations share, read with the constraints of the AWS KMS API Reference (each operation's Request Parameters). */
import { TagException } from '../errors.js';
import type { Checks } from '../api/validate.js';
import type { TagRecord } from '../keys/record.js';

export const MAX_TAGS = 50;

/** The Policy member (CreateKey, PutKeyPolicy, ReplicateKey): the model's length and character set. */
export function policyMember(c: Checks, required = false): string | undefined {
  return c.string('Policy', { required, min: 1, max: 131_072, pattern: /^[\u0009\u000A\u000D\u0020-\u00FF]+$/ });
}

export function keyIdMember(c: Checks, field = 'KeyId', required = true): string | undefined {
  return c.string(field, { required, min: 1, max: 2048 });
}

/** The GrantTokens member's shape; the Kms checks that each token is one kmsbox issued before the operation runs. */
export function grantTokens(c: Checks): void {
  c.list('GrantTokens', { max: 10 }, (item, i) => c.stringItem('GrantTokens', i, item, { min: 1, max: 8192 }));
}

/**
 * Limit's range and default per List operation, as each operation's API reference states them:
 * ListKeys, ListKeyPolicies and ListKeyRotations 1–1000 (default 100); ListAliases, ListGrants
 * and ListRetirableGrants 1–100 (default 50); ListResourceTags 1–50 (default 50).
 */
export const LIST_LIMITS = {
  keys: { max: 1000, byDefault: 100 },
  aliases: { max: 100, byDefault: 50 },
  grants: { max: 100, byDefault: 50 },
  tags: { max: 50, byDefault: 50 },
} as const;

export function paging(
  c: Checks,
  limits: { max: number; byDefault: number } = LIST_LIMITS.keys,
): { limit: number; marker: string | undefined } {
  return {
    limit: c.int('Limit', { min: 1, max: limits.max }) ?? limits.byDefault,
    marker: c.string('Marker', { min: 1, max: 1024, pattern: /^[\u0020-\u00FF]*$/ }),
  };
}

export function tagList(c: Checks, field = 'Tags', required = false): TagRecord[] | undefined {
  return c.list(field, { required }, (item, i) => {
    const m = c.member(field, i, item);
    if (m === undefined) return undefined;
    const TagKey = m.string('TagKey', { required: true, min: 1, max: 128 });
    const TagValue = m.string('TagValue', { required: true, min: 0, max: 256 });
    return TagKey === undefined || TagValue === undefined ? undefined : { TagKey, TagValue };
  });
}

/** AWS's TagException rules, checked after the shapes are valid (AWS-recorded messages). */
export function checkTagRules(tags: readonly TagRecord[], existing: readonly TagRecord[] = []): void {
  const keys = tags.map((t) => t.TagKey);
  if (keys.some((k) => k.toLowerCase().startsWith('aws:'))) {
    throw new TagException({ message: 'Tags beginning with aws: are reserved' });
  }
  if (new Set(keys).size !== keys.length) throw new TagException({ message: 'Duplicate tag keys' });
  const total = new Set([...existing.map((t) => t.TagKey), ...keys]).size;
  if (total > MAX_TAGS) throw new TagException({ message: 'Too many tags' });
}
