/**
 * Rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand,
 * ListKeyRotations. A rotation adds a material version; every older version keeps decrypting.
 */
import { IncludeKeyMaterial } from '../api/enums.js';
import { KEY_SPECS } from '../api/key-specs.js';
import { paginate } from '../api/pagination.js';
import type {
  EmptyResponse,
  GetKeyRotationStatusResponse,
  ListKeyRotationsResponse,
  RotateKeyOnDemandResponse,
  RotationsListEntry,
} from '../api/shapes.js';
import { Checks, type Input } from '../api/validate.js';
import { KMSInvalidStateException, LimitExceededException, UnsupportedOperationException } from '../errors.js';
import { currentMaterial, type ImportedMaterial, type KeyRecord, type RotationSettings, type StoreState } from '../keys/record.js';
import { checkState, type KeyOperation } from '../keys/states.js';
import { DAY_MS, type Env } from './env.js';
import { keyIdMember, paging } from './fields.js';
import { familyOf, findKey, isReplica, rotate, updateKey } from './lookup.js';

export const MAX_ON_DEMAND_ROTATIONS = 25;
const DEFAULT_PERIOD_DAYS = 365;

/**
 * The key a rotation operation names, checked in AWS's order: existence, then key state
 * (AWS-recorded: RotateKeyOnDemand on a disabled RSA key is DisabledException), then origin and
 * key spec. Symmetric keys rotate; EXTERNAL ones only on demand, with imported new material
 * (ImportType NEW_KEY_MATERIAL), so automatic rotation stays refused for them.
 */
async function rotatableKey(env: Env, keyId: string, operation: KeyOperation): Promise<KeyRecord> {
  const key = await findKey(env, keyId);
  checkState(operation, key);
  const external = key.origin === 'EXTERNAL' && !CHANGES_AUTOMATIC_ROTATION.has(operation);
  if (key.origin !== 'AWS_KMS' && !external) {
    throw new UnsupportedOperationException({ message: `${key.arn} origin is ${key.origin} which is not valid for this operation.` });
  }
  // AWS answers with an empty message (AWS-recorded); kmsbox says why (no empty messages).
  if (!KEY_SPECS[key.keySpec].rotatable) {
    throw new UnsupportedOperationException({
      message: `${key.arn} has key spec ${key.keySpec}, which does not support key rotation: only symmetric encryption keys (SYMMETRIC_DEFAULT) rotate.`,
    });
  }
  // A multi-Region key's rotation is managed on its primary and shared with its replicas (AWS:
  // rotation status and material are synchronized from the primary); a replica only reports it.
  // AWS's exact message for rotating a replica is not recorded.
  if (isReplica(key) && CHANGES_ROTATION.has(operation)) {
    throw new UnsupportedOperationException({
      message: `${key.arn} is a multi-Region replica key. Rotation is managed on its primary key, and the rotated key material is shared with its replicas.`,
    });
  }
  return key;
}

const CHANGES_AUTOMATIC_ROTATION: ReadonlySet<KeyOperation> = new Set(['EnableKeyRotation', 'DisableKeyRotation']);
const CHANGES_ROTATION: ReadonlySet<KeyOperation> = new Set(['EnableKeyRotation', 'DisableKeyRotation', 'RotateKeyOnDemand']);

/** Sets the rotation settings of a key and of its related multi-Region keys, which share them. */
function setRotation(key: KeyRecord, state: StoreState, settings: RotationSettings): void {
  for (const k of familyOf(state, key)) k.rotation = { ...settings };
}

export async function enableKeyRotation(env: Env, input: Input): Promise<EmptyResponse> {
  const c = new Checks(input);
  const { keyId, period } = c.done({
    keyId: c.required(keyIdMember(c)),
    period: c.int('RotationPeriodInDays', { min: 90, max: 2560 }) ?? DEFAULT_PERIOD_DAYS,
  });
  const key = await rotatableKey(env, keyId, 'EnableKeyRotation');
  const now = env.now();
  await updateKey(env, key.arn, 'EnableKeyRotation', (k, s) => {
    // Newly enabled: one period from now. Already on with a new period: one period from the
    // last rotation (or creation); a date already passed rotates at the next use.
    const base = k.rotation.enabled ? currentMaterial(k).createdAt : now;
    setRotation(k, s, { ...k.rotation, enabled: true, periodInDays: period, nextRotationDate: base + period * DAY_MS });
  });
  return {};
}

export async function disableKeyRotation(env: Env, input: Input): Promise<EmptyResponse> {
  const c = new Checks(input);
  const { keyId } = c.done({ keyId: c.required(keyIdMember(c)) });
  const key = await rotatableKey(env, keyId, 'DisableKeyRotation');
  await updateKey(env, key.arn, 'DisableKeyRotation', (k, s) => {
    setRotation(k, s, { enabled: false, onDemandCount: k.rotation.onDemandCount });
  });
  return {};
}

export async function getKeyRotationStatus(env: Env, input: Input): Promise<GetKeyRotationStatusResponse> {
  const c = new Checks(input);
  const { keyId } = c.done({ keyId: c.required(keyIdMember(c)) });
  const key = await rotatableKey(env, keyId, 'GetKeyRotationStatus');
  const r = key.rotation;
  if (!r.enabled) return { KeyId: key.arn, KeyRotationEnabled: false };
  return {
    KeyId: key.arn,
    KeyRotationEnabled: true,
    RotationPeriodInDays: r.periodInDays ?? DEFAULT_PERIOD_DAYS,
    ...(r.nextRotationDate !== undefined ? { NextRotationDate: new Date(r.nextRotationDate) } : {}),
  };
}

export async function rotateKeyOnDemand(env: Env, input: Input): Promise<RotateKeyOnDemandResponse> {
  const c = new Checks(input);
  const { keyId } = c.done({ keyId: c.required(keyIdMember(c)) });
  const key = await rotatableKey(env, keyId, 'RotateKeyOnDemand');
  const limitReached = (k: KeyRecord): void => {
    if (k.rotation.onDemandCount >= MAX_ON_DEMAND_ROTATIONS) {
      throw new LimitExceededException({
        message: `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${k.arn}`,
      });
    }
  };
  limitReached(key);
  if (key.origin === 'EXTERNAL') {
    // Imported key material: the material pending rotation becomes current (developer guide,
    // "On-demand rotation of keys with imported key material"); nothing new is generated.
    const now = env.now();
    await updateKey(env, key.arn, 'RotateKeyOnDemand', (k) => {
      limitReached(k);
      const pending = k.pendingMaterial;
      if (pending === undefined) {
        throw new KMSInvalidStateException({ message: `No available key material pending rotation for the key: ${k.arn}.` }); // AWS-recorded
      }
      k.materials.push({
        id: pending.id,
        createdAt: now,
        rotationType: 'ON_DEMAND',
        ...(pending.description !== undefined ? { description: pending.description } : {}),
      });
      delete k.pendingMaterial;
      // One expiration per key in kmsbox: the earlier of the two, so no material outlives its ValidTo.
      const validTos = [k.imported?.validTo, pending.validTo].filter((v): v is number => v !== undefined);
      k.imported =
        validTos.length > 0
          ? { expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: Math.min(...validTos) }
          : { expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' };
      k.rotation.onDemandCount += 1;
    });
    return { KeyId: key.arn };
  }
  await rotate(
    env,
    key.arn,
    [{ at: env.now(), type: 'ON_DEMAND' }],
    (k) => {
      k.rotation.onDemandCount += 1;
    },
    limitReached,
  );
  return { KeyId: key.arn };
}

export async function listKeyRotations(env: Env, input: Input): Promise<ListKeyRotationsResponse> {
  const c = new Checks(input);
  const { keyId, include, limit, marker } = c.done({
    keyId: c.required(keyIdMember(c)),
    include: c.oneOf('IncludeKeyMaterial', IncludeKeyMaterial) ?? 'ROTATIONS_ONLY',
    ...paging(c),
  });
  const key = await rotatableKey(env, keyId, 'ListKeyRotations');
  const last = key.materials.length - 1;
  const external = key.origin === 'EXTERNAL';
  const missing = new Set(key.imported !== undefined ? [] : (key.missingMaterials ?? key.materials.map((m) => m.id)));
  const entries = key.materials
    .map((m, i) => ({ m, i }))
    .filter(({ m }) => include === 'ALL_KEY_MATERIAL' || m.rotationType !== undefined)
    .map(({ m, i }) => {
      const entry: RotationsListEntry = {
        KeyId: key.keyId,
        KeyMaterialId: m.id,
        KeyMaterialState: i === last ? 'CURRENT' : 'NON_CURRENT',
      };
      // Imported material: its import state and expiration (the API reference's fields for
      // EXTERNAL symmetric keys; kmsbox keeps one expiration per key).
      if (external) {
        if (m.description !== undefined) entry.KeyMaterialDescription = m.description;
        entry.ImportState = missing.has(m.id) ? 'PENDING_IMPORT' : 'IMPORTED';
        if (!missing.has(m.id) && key.imported !== undefined) Object.assign(entry, expirationFields(key.imported));
      }
      if (m.rotationType !== undefined) {
        entry.RotationDate = new Date(m.createdAt);
        entry.RotationType = m.rotationType;
      }
      return { entry, order: String(i).padStart(6, '0') };
    });
  const pending = key.pendingMaterial;
  if (pending !== undefined && include === 'ALL_KEY_MATERIAL') {
    entries.push({
      entry: {
        KeyId: key.keyId,
        KeyMaterialId: pending.id,
        ...(pending.description !== undefined ? { KeyMaterialDescription: pending.description } : {}),
        KeyMaterialState: 'PENDING_ROTATION',
        ImportState: 'IMPORTED',
        ...expirationFields(pending),
      },
      order: String(key.materials.length).padStart(6, '0'),
    });
  }
  const page = paginate('rotations', entries, (e) => e.order, limit, marker);
  return {
    Rotations: page.items.map((e) => e.entry),
    Truncated: page.Truncated,
    ...(page.NextMarker ? { NextMarker: page.NextMarker } : {}),
  };
}

function expirationFields(m: ImportedMaterial): Pick<RotationsListEntry, 'ExpirationModel' | 'ValidTo'> {
  return { ExpirationModel: m.expirationModel, ...(m.validTo !== undefined ? { ValidTo: new Date(m.validTo) } : {}) };
}
