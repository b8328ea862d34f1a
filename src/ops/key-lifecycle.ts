/** Key lifecycle: CreateKey, DescribeKey, ListKeys, UpdateKeyDescription, Enable/DisableKey, Schedule/CancelKeyDeletion. */
import { CustomerMasterKeySpec, KeySpec, KeyUsageType, OriginType } from '../api/enums.js';
import { KEY_SPECS, allowsUsage, isImportableSpec } from '../api/key-specs.js';
import { byString, paginate } from '../api/pagination.js';
import type {
  CancelKeyDeletionResponse,
  CreateKeyResponse,
  DescribeKeyResponse,
  EmptyResponse,
  KeyMetadata,
  ListKeysResponse,
  ScheduleKeyDeletionResponse,
} from '../api/shapes.js';
import { Checks, type Input, plainValidation } from '../api/validate.js';
import { MalformedPolicyDocumentException, UnsupportedOperationException } from '../errors.js';
import { parsePolicy } from '../policy/document.js';
import { canManagePolicy } from './authorize.js';
import { keyArn, newKeyId } from '../keys/arn.js';
import type { KeyRecord } from '../keys/record.js';
import { DAY_MS, type Env } from './env.js';
import { checkTagRules, grantTokens, keyIdMember, paging, policyMember, tagList } from './fields.js';
import { familyOf, findKeyFor, isReplica, rotate, sweepDeletions, updateKey } from './lookup.js';
import { customKeyStoreNotFound } from './custom-key-stores.js';

/** The policy AWS attaches when CreateKey has none (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html). */
export function defaultKeyPolicy(accountId: string): string {
  const policy = {
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  };
  return JSON.stringify(policy, null, 2);
}

/** A key policy as CreateKey and PutKeyPolicy accept it: valid, and (unless bypassed) not locking the caller out. */
export function checkKeyPolicy(env: Env, key: KeyRecord, policy: string, bypassLockoutCheck: boolean): void {
  parsePolicy(policy, 'key');
  if (!bypassLockoutCheck && !canManagePolicy(env, key, policy)) {
    throw new MalformedPolicyDocumentException({
      message: 'The new key policy will not allow you to update the key policy in the future.',
    });
  }
}

/**
 * KeyMetadata as AWS reports it for this key's spec, usage and state (the members present are the recorded
 * ones: docs/aws-behaviour.md#recorded-aws-answers). `related`
 * is the key's set of related multi-Region keys (itself included; see `familyOf`).
 */
export function keyMetadata(k: KeyRecord, related: readonly KeyRecord[] = [k]): KeyMetadata {
  const info = KEY_SPECS[k.keySpec];
  const md: KeyMetadata = {
    AWSAccountId: k.accountId,
    KeyId: k.keyId,
    Arn: k.arn,
    CreationDate: new Date(k.createdAt),
    Enabled: k.state === 'Enabled',
    Description: k.description,
    KeyUsage: k.keyUsage,
    KeyState: k.state,
    Origin: k.origin,
    KeyManager: 'CUSTOMER',
    KeySpec: k.keySpec,
    MultiRegion: k.multiRegion,
  };
  if (info.legacySpec) md.CustomerMasterKeySpec = k.keySpec as CustomerMasterKeySpec;
  const algorithms = info.algorithms;
  switch (k.keyUsage) {
    case 'ENCRYPT_DECRYPT':
      md.EncryptionAlgorithms = [...(algorithms.ENCRYPT_DECRYPT ?? [])];
      break;
    case 'SIGN_VERIFY':
      md.SigningAlgorithms = [...(algorithms.SIGN_VERIFY ?? [])];
      break;
    case 'GENERATE_VERIFY_MAC':
      md.MacAlgorithms = [...(algorithms.GENERATE_VERIFY_MAC ?? [])];
      break;
    case 'KEY_AGREEMENT':
      md.KeyAgreementAlgorithms = [...(algorithms.KEY_AGREEMENT ?? [])];
      break;
    case 'ENCAPSULATE_DECAPSULATE':
      md.EncapsulationAlgorithms = [...(algorithms.ENCAPSULATE_DECAPSULATE ?? [])];
      break;
  }
  if (k.deletionDate !== undefined) {
    md.DeletionDate = new Date(k.deletionDate);
    if (k.pendingWindowInDays !== undefined) md.PendingDeletionWindowInDays = k.pendingWindowInDays;
  } else if (k.state === 'PendingReplicaDeletion' && k.pendingWindowInDays !== undefined) {
    // A primary waiting for its replicas: its deletion date is not known yet, only the window (API reference).
    md.PendingDeletionWindowInDays = k.pendingWindowInDays;
  }
  if (k.multiRegion) {
    // The same picture from every related key: the primary, and every replica (this key too, if
    // it is one), as the API reference describes ReplicaKeys.
    const family = related.some((r) => r.arn === k.arn) ? related : [k, ...related];
    const primary = family.find((r) => !isReplica(r)) ?? k;
    md.MultiRegionConfiguration = {
      MultiRegionKeyType: isReplica(k) ? 'REPLICA' : 'PRIMARY',
      PrimaryKey: { Arn: primary.arn, Region: primary.region },
      ReplicaKeys: family
        .filter((r) => isReplica(r))
        .sort((a, b) => byString(a.region, b.region))
        .map((r) => ({ Arn: r.arn, Region: r.region })),
    };
  }
  // AWS reports a current material id for symmetric encryption keys only (AWS-recorded 2025-11),
  // and for imported material also after it was deleted (AWS-recorded): the id stays associated.
  const current = k.materials[k.materials.length - 1];
  if (k.keySpec === 'SYMMETRIC_DEFAULT' && current !== undefined) md.CurrentKeyMaterialId = current.id;
  if (k.imported !== undefined) {
    md.ExpirationModel = k.imported.expirationModel;
    if (k.imported.validTo !== undefined) md.ValidTo = new Date(k.imported.validTo);
  }
  return md;
}

export async function createKey(env: Env, input: Input): Promise<CreateKeyResponse> {
  const c = new Checks(input);
  const policy = policyMember(c);
  const description = c.string('Description', { min: 0, max: 8192 });
  const usage = c.oneOf('KeyUsage', KeyUsageType);
  const legacySpec = c.oneOf('CustomerMasterKeySpec', CustomerMasterKeySpec);
  const keySpec = c.oneOf('KeySpec', KeySpec);
  const origin = c.oneOf('Origin', OriginType) ?? 'AWS_KMS';
  const customKeyStoreId = c.string('CustomKeyStoreId', { min: 1, max: 64 });
  const bypass = c.bool('BypassPolicyLockoutSafetyCheck') ?? false;
  const tags = tagList(c) ?? [];
  const multiRegion = c.bool('MultiRegion') ?? false;
  const xksKeyId = c.string('XksKeyId', { min: 1, max: 128 });
  c.done();

  if (keySpec !== undefined && legacySpec !== undefined) {
    throw plainValidation('You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.');
  }
  const spec = keySpec ?? legacySpec ?? 'SYMMETRIC_DEFAULT';
  if (usage === undefined && spec !== 'SYMMETRIC_DEFAULT') {
    throw plainValidation('You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.');
  }
  const keyUsage = usage ?? 'ENCRYPT_DECRYPT';
  if (!allowsUsage(spec, keyUsage)) throw plainValidation(`KeyUsage ${keyUsage} is not compatible with KeySpec ${spec}`);
  checkTagRules(tags);
  // An account without custom key stores: whatever id is named does not exist.
  if (customKeyStoreId !== undefined) throw customKeyStoreNotFound(customKeyStoreId);
  if (origin === 'AWS_CLOUDHSM' || origin === 'EXTERNAL_KEY_STORE') {
    throw new UnsupportedOperationException({ message: `Origin ${origin} needs a custom key store, which kmsbox does not support.` });
  }
  if (origin === 'EXTERNAL') {
    // Imported material: symmetric encryption, HMAC, RSA and ECC keys (see ops/import.ts).
    if (!isImportableSpec(spec)) {
      throw new UnsupportedOperationException({
        message: `Origin EXTERNAL (imported key material) is not supported by kmsbox for KeySpec ${spec}; SYMMETRIC_DEFAULT, HMAC, RSA and ECC keys are.`,
      });
    }
    if (multiRegion) {
      throw new UnsupportedOperationException({
        message: 'Multi-Region keys with Origin EXTERNAL (imported key material) are not supported by kmsbox yet.',
      });
    }
  }
  if (xksKeyId !== undefined) {
    throw new UnsupportedOperationException({ message: 'XksKeyId names a key in an external key store, which kmsbox does not support.' });
  }
  // SM2 exists in the China Regions only, ML-KEM (Encapsulate/Decapsulate) is not implemented
  // (docs/aws-behaviour.md, "What kmsbox does not implement"); each says so in the words
  // GenerateDataKeyPair and GetParametersForImport use for the same spec.
  if (spec === 'SM2') {
    throw new UnsupportedOperationException({ message: `KeySpec SM2 is not supported by kmsbox (China Regions only).` });
  }
  if (keyUsage === 'ENCAPSULATE_DECAPSULATE') {
    throw new UnsupportedOperationException({ message: `KeyUsage ${keyUsage} for KeySpec ${spec} is not supported by kmsbox yet.` });
  }
  if (!env.provider.supportsKeySpec(spec)) {
    throw new UnsupportedOperationException({ message: `KeySpec ${spec} is not supported by the ${env.provider.name} provider.` });
  }

  const now = env.now();
  const keyId = newKeyId(multiRegion);
  const arn = keyArn(env.region, env.accountId, keyId);
  const record: KeyRecord = {
    keyId,
    arn,
    accountId: env.accountId,
    region: env.region,
    createdAt: now,
    keySpec: spec,
    keyUsage,
    origin,
    multiRegion,
    ...(multiRegion ? { multiRegionKeyType: 'PRIMARY' as const } : {}),
    description: description ?? '',
    // Origin EXTERNAL: no material until ImportKeyMaterial.
    state: origin === 'EXTERNAL' ? 'PendingImport' : 'Enabled',
    policy: policy ?? defaultKeyPolicy(env.accountId),
    tags,
    materials: [],
    rotation: { enabled: false, onDemandCount: 0 },
  };
  // Checked on the key as it will be (its spec, usage and tags are condition keys), before any material exists.
  if (policy !== undefined) checkKeyPolicy(env, record, policy, bypass);
  // Origin EXTERNAL has no material until ImportKeyMaterial.
  if (origin !== 'EXTERNAL') record.materials.push({ id: await env.provider.createMaterial(spec, keyUsage), createdAt: now });
  try {
    await env.provider.update((s) => {
      s.keys[arn] = record;
    });
  } catch (error) {
    // The record was not stored: its material must not stay behind, unreachable (as rotate does).
    await env.provider.destroyMaterial(record.materials.map((m) => m.id)).catch(() => undefined);
    throw error;
  }
  return { KeyMetadata: keyMetadata(record) };
}

export async function describeKey(env: Env, input: Input): Promise<DescribeKeyResponse> {
  const c = new Checks(input);
  const keyId = c.required(keyIdMember(c));
  grantTokens(c);
  const checked = c.done({ keyId });
  const key = await findKeyFor(env, checked.keyId, 'DescribeKey');
  // Related keys whose deletion date has passed are gone (deletion is lazy: sweep them first).
  if (key.multiRegion) await sweepDeletions(env);
  const related = key.multiRegion ? await env.provider.read((s) => familyOf(s, key)) : [key];
  return { KeyMetadata: keyMetadata(key, related) };
}

export async function listKeys(env: Env, input: Input): Promise<ListKeysResponse> {
  const c = new Checks(input);
  const { limit, marker } = paging(c);
  c.done();
  await sweepDeletions(env);
  const keys = await env.provider.read((s) =>
    Object.values(s.keys)
      .filter((k) => k.region === env.region && k.accountId === env.accountId)
      .map((k) => ({ KeyId: k.keyId, KeyArn: k.arn }))
      .sort((a, b) => byString(a.KeyId, b.KeyId)),
  );
  const page = paginate('keys', keys, (k) => k.KeyId, limit, marker);
  return { Keys: page.items, Truncated: page.Truncated, ...(page.NextMarker ? { NextMarker: page.NextMarker } : {}) };
}

export async function updateKeyDescription(env: Env, input: Input): Promise<EmptyResponse> {
  const c = new Checks(input);
  const { keyId, description } = c.done({
    keyId: c.required(keyIdMember(c)),
    description: c.required(c.string('Description', { required: true, min: 0, max: 8192 })),
  });
  const key = await findKeyFor(env, keyId, 'UpdateKeyDescription');
  await updateKey(env, key.arn, 'UpdateKeyDescription', (k) => {
    k.description = description;
  });
  return {};
}

export async function enableKey(env: Env, input: Input): Promise<EmptyResponse> {
  const c = new Checks(input);
  const { keyId } = c.done({ keyId: c.required(keyIdMember(c)) });
  const key = await findKeyFor(env, keyId, 'EnableKey');
  await updateKey(env, key.arn, 'EnableKey', (k) => {
    k.state = 'Enabled';
  });
  // A key re-enabled after its rotation date passed while disabled rotates at once (AWS docs).
  const next = key.rotation.nextRotationDate;
  const now = env.now();
  if (key.rotation.enabled && next !== undefined && next <= now) {
    await rotate(env, key.arn, [{ at: now, type: 'AUTOMATIC' }], (k) => {
      k.rotation.nextRotationDate = now + (k.rotation.periodInDays ?? 365) * DAY_MS;
    });
  }
  return {};
}

export async function disableKey(env: Env, input: Input): Promise<EmptyResponse> {
  const c = new Checks(input);
  const { keyId } = c.done({ keyId: c.required(keyIdMember(c)) });
  const key = await findKeyFor(env, keyId, 'DisableKey');
  await updateKey(env, key.arn, 'DisableKey', (k) => {
    k.state = 'Disabled';
  });
  return {};
}

export async function scheduleKeyDeletion(env: Env, input: Input): Promise<ScheduleKeyDeletionResponse> {
  const c = new Checks(input);
  const { keyId, days } = c.done({
    keyId: c.required(keyIdMember(c)),
    // The model allows 1–365; AWS documents 7–30 (API_ScheduleKeyDeletion; docs/aws-behaviour.md#validation).
    days: c.int('PendingWindowInDays', { min: 7, max: 30 }) ?? 30,
  });
  const key = await findKeyFor(env, keyId, 'ScheduleKeyDeletion');
  const deletionDate = env.now() + days * DAY_MS;
  if (key.multiRegion) await sweepDeletions(env);
  const waitsForReplicas = await updateKey(env, key.arn, 'ScheduleKeyDeletion', (k, s) => {
    k.pendingWindowInDays = days;
    // AWS never deletes a multi-Region primary that still has replicas: it waits, in
    // PendingReplicaDeletion (unusable, no deletion date), until the last replica is deleted;
    // its waiting period starts then (see deleteKeys).
    if (k.multiRegion && !isReplica(k) && familyOf(s, k).length > 1) {
      k.state = 'PendingReplicaDeletion';
      delete k.deletionDate;
      return true;
    }
    k.state = 'PendingDeletion';
    k.deletionDate = deletionDate;
    return false;
  });
  if (waitsForReplicas) return { KeyId: key.arn, KeyState: 'PendingReplicaDeletion', PendingWindowInDays: days };
  return { KeyId: key.arn, DeletionDate: new Date(deletionDate), KeyState: 'PendingDeletion', PendingWindowInDays: days };
}

export async function cancelKeyDeletion(env: Env, input: Input): Promise<CancelKeyDeletionResponse> {
  const c = new Checks(input);
  const { keyId } = c.done({ keyId: c.required(keyIdMember(c)) });
  const key = await findKeyFor(env, keyId, 'CancelKeyDeletion');
  await updateKey(env, key.arn, 'CancelKeyDeletion', (k) => {
    // A key whose imported material was deleted (or expired) while pending deletion has none to use.
    k.state = k.origin === 'EXTERNAL' && k.imported === undefined ? 'PendingImport' : 'Disabled';
    delete k.deletionDate;
    delete k.pendingWindowInDays;
  });
  return { KeyId: key.arn };
}
