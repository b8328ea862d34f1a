/** Tags: TagResource, UntagResource, ListResourceTags (https://docs.aws.amazon.com/kms/latest/APIReference/API_TagResource.html). */
import { byString, paginate } from '../api/pagination.js';
import type { EmptyResponse, ListResourceTagsResponse } from '../api/shapes.js';
import { Checks, type Input } from '../api/validate.js';
import { TagException } from '../errors.js';
import type { Env } from './env.js';
import { checkTagRules, keyIdMember, LIST_LIMITS, tagList } from './fields.js';
import { findKeyFor, updateKey } from './lookup.js';

export async function tagResource(env: Env, input: Input): Promise<EmptyResponse> {
  const c = new Checks(input);
  const { keyId, tags } = c.done({ keyId: c.required(keyIdMember(c)), tags: c.required(tagList(c, 'Tags', true)) });
  const key = await findKeyFor(env, keyId, 'TagResource');
  await updateKey(env, key.arn, 'TagResource', (k) => {
    checkTagRules(
      tags,
      k.tags.filter((t) => !tags.some((n) => n.TagKey === t.TagKey)),
    );
    // TagResource overwrites the value of a key it already has.
    k.tags = [...k.tags.filter((t) => !tags.some((n) => n.TagKey === t.TagKey)), ...tags];
  });
  return {};
}

export async function untagResource(env: Env, input: Input): Promise<EmptyResponse> {
  const c = new Checks(input);
  const { keyId, tagKeys } = c.done({
    keyId: c.required(keyIdMember(c)),
    tagKeys: c.required(c.list('TagKeys', { required: true }, (item, i) => c.stringItem('TagKeys', i, item, { min: 1, max: 128 }))),
  });
  if (tagKeys.some((k) => k.toLowerCase().startsWith('aws:'))) {
    throw new TagException({ message: 'Tags beginning with aws: are reserved' });
  }
  const key = await findKeyFor(env, keyId, 'UntagResource');
  await updateKey(env, key.arn, 'UntagResource', (k) => {
    k.tags = k.tags.filter((t) => !tagKeys.includes(t.TagKey));
  });
  return {};
}

export async function listResourceTags(env: Env, input: Input): Promise<ListResourceTagsResponse> {
  const c = new Checks(input);
  const { keyId, limit, marker } = c.done({
    keyId: c.required(keyIdMember(c)),
    // ListResourceTags pages by at most 50 (its default and maximum in the model).
    limit: c.int('Limit', { min: 1, max: LIST_LIMITS.tags.max }) ?? LIST_LIMITS.tags.byDefault,
    marker: c.string('Marker', { min: 1, max: 1024, pattern: /^[\u0020-\u00FF]*$/ }),
  });
  const key = await findKeyFor(env, keyId, 'ListResourceTags');
  const tags = [...key.tags].sort((a, b) => byString(a.TagKey, b.TagKey)).map((t) => ({ TagKey: t.TagKey, TagValue: t.TagValue }));
  const page = paginate('tags', tags, (t) => t.TagKey, limit, marker);
  return { Tags: page.items, Truncated: page.Truncated, ...(page.NextMarker ? { NextMarker: page.NextMarker } : {}) };
}
