/**
 * Multi-Region keys: ReplicateKey and UpdatePrimaryRegion. Related multi-Region keys are one
 * record per region with the same `mrk-` key id (so the same ARN but for the region) in one
 * provider; they share key spec, usage, origin, material versions and rotation settings, and
 * have their own description, policy, tags, aliases, grants and key state. A ciphertext names the
 * key id and a material version, so any related key decrypts what another encrypted.
 */
import type { EmptyResponse, ReplicateKeyResponse } from '../api/shapes.js';
import { Checks, type Input, plainValidation } from '../api/validate.js';
import { AlreadyExistsException, UnsupportedOperationException } from '../errors.js';
import { keyArn, partitionOf, REGION_NAME } from '../keys/arn.js';
import type { KeyRecord } from '../keys/record.js';
import { checkState } from '../keys/states.js';
import { authorizeKey, authorizeWithoutKey } from './authorize.js';
import type { Env } from './env.js';
import { checkTagRules, keyIdMember, policyMember, tagList } from './fields.js';
import { checkKeyPolicy, defaultKeyPolicy, keyMetadata } from './key-lifecycle.js';
import { familyOf, findKey, isReplica, keyNotFound, reloadKey, sweepDeletions } from './lookup.js';

/** ReplicaRegion and PrimaryRegion, as https://docs.aws.amazon.com/kms/latest/APIReference/API_ReplicateKey.html constrains them. */
const REGION = { required: true, min: 1, max: 32, pattern: REGION_NAME } as const;

/** AWS-recorded for ReplicateKey of a replica; kmsbox uses it for every key that is not a multi-Region primary. */
function notPrimary(key: KeyRecord): UnsupportedOperationException {
  return new UnsupportedOperationException({ message: `${key.arn} is not a multi-region primary key.` });
}

function checkPrimary(key: KeyRecord): void {
  if (!key.multiRegion || isReplica(key)) throw notPrimary(key);
}

export async function replicateKey(env: Env, input: Input): Promise<ReplicateKeyResponse> {
  const c = new Checks(input);
  const { keyId, replicaRegion, policy, bypass, description, tags } = c.done({
    keyId: c.required(keyIdMember(c)),
    replicaRegion: c.required(c.string('ReplicaRegion', REGION)),
    policy: policyMember(c),
    bypass: c.bool('BypassPolicyLockoutSafetyCheck') ?? false,
    description: c.string('Description', { min: 0, max: 8192 }),
    tags: tagList(c) ?? [],
  });
  // kms:ReplicateKey on the primary key. Whether it is a primary is checked before the Region
  // (AWS-recorded: a replica gets "… is not a multi-region primary key." whatever ReplicaRegion).
  const primary = await findKey(env, keyId);
  checkPrimary(primary);
  checkState('ReplicateKey', primary);
  // AWS's exact errors for these two are not recorded: kmsbox answers ValidationException.
  if (replicaRegion === env.region) {
    throw plainValidation(`ReplicaRegion ${replicaRegion} is the Region of the primary key: a replica must be in another Region.`);
  }
  if (partitionOf(replicaRegion) !== partitionOf(env.region)) {
    throw plainValidation(`ReplicaRegion ${replicaRegion} is not in the ${partitionOf(env.region)} partition of the primary key.`);
  }
  checkTagRules(tags);
  // AWS also requires kms:CreateKey in an IAM policy (it creates a key in the replica Region).
  authorizeWithoutKey(env, '*', undefined, 'kms:CreateKey');
  // A replica whose deletion date has passed is gone (deletion is lazy): it must not block a new one.
  await sweepDeletions(env);

  const arn = keyArn(replicaRegion, primary.accountId, primary.keyId);
  env.caller?.resources.set(arn, 'AWS::KMS::Key');
  const replica: KeyRecord = {
    keyId: primary.keyId,
    arn,
    accountId: primary.accountId,
    region: replicaRegion,
    createdAt: env.now(),
    keySpec: primary.keySpec,
    keyUsage: primary.keyUsage,
    origin: primary.origin,
    multiRegion: true,
    multiRegionKeyType: 'REPLICA',
    // AWS-recorded: the description is not copied from the primary.
    description: description ?? '',
    // AWS returns the replica in the Creating state and enables it asynchronously moments later;
    // kmsbox makes it Enabled at once, so it is usable as soon as ReplicateKey returns.
    state: 'Enabled',
    policy: policy ?? defaultKeyPolicy(primary.accountId),
    tags,
    materials: [],
    rotation: { ...primary.rotation },
  };
  if (policy !== undefined) checkKeyPolicy(env, replica, policy, bypass);
  const { stored, related } = await env.provider.update((s) => {
    const current = s.keys[primary.arn];
    if (current === undefined) throw keyNotFound(primary.arn);
    checkPrimary(current);
    checkState('ReplicateKey', current);
    if (s.keys[arn] !== undefined) throw new AlreadyExistsException({ message: `Replica key ${arn} already exists.` });
    // Shared with the primary: the same material versions (the same ids in the provider's store).
    const record: KeyRecord = { ...replica, materials: current.materials.map((m) => ({ ...m })), rotation: { ...current.rotation } };
    s.keys[arn] = record;
    return { stored: record, related: familyOf(s, record) };
  });
  // The response reads as AWS's does (AWS-recorded): the replica as it is created — Creating, not
  // yet enabled, no current material id — and no ReplicaTags without tags. kmsbox's replica is
  // usable at once; DescribeKey shows it Enabled.
  const metadata = keyMetadata({ ...stored, state: 'Creating' }, related);
  delete metadata.CurrentKeyMaterialId;
  return {
    ReplicaKeyMetadata: metadata,
    ReplicaPolicy: stored.policy,
    ...(stored.tags.length > 0 ? { ReplicaTags: stored.tags.map((t) => ({ TagKey: t.TagKey, TagValue: t.TagValue })) } : {}),
  };
}

export async function updatePrimaryRegion(env: Env, input: Input): Promise<EmptyResponse> {
  const c = new Checks(input);
  const { keyId, primaryRegion } = c.done({
    keyId: c.required(keyIdMember(c)),
    primaryRegion: c.required(c.string('PrimaryRegion', REGION)),
  });
  // kms:UpdatePrimaryRegion on the current primary key…
  const primary = await findKey(env, keyId);
  checkPrimary(primary);
  checkState('UpdatePrimaryRegion', primary);
  if (primaryRegion === primary.region) {
    // AWS's answer is not recorded; kmsbox refuses rather than silently doing nothing.
    throw plainValidation(`${primary.arn} is already the primary key: PrimaryRegion must name the Region of one of its replicas.`);
  }
  // …and on the replica that becomes the primary (NotFound when there is none in that Region).
  const replica = await reloadKey(env, keyArn(primaryRegion, primary.accountId, primary.keyId));
  await authorizeKey(env, replica);
  checkState('UpdatePrimaryRegion', replica);
  await env.provider.update((s) => {
    const p = s.keys[primary.arn];
    const r = s.keys[replica.arn];
    if (p === undefined) throw keyNotFound(primary.arn);
    if (r === undefined) throw keyNotFound(replica.arn);
    checkPrimary(p);
    checkState('UpdatePrimaryRegion', p);
    checkState('UpdatePrimaryRegion', r);
    // AWS shows both keys as Updating for a few seconds while the change spreads; kmsbox
    // changes the roles at once, and both keys stay in the state they were in (Enabled).
    p.multiRegionKeyType = 'REPLICA';
    r.multiRegionKeyType = 'PRIMARY';
  });
  return {};
}
