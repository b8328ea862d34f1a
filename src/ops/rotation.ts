/**
 * Rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand,
 * ListKeyRotations. A rotation adds a material version; every older version keeps decrypting.
 */
import { IncludeKeyMaterial } from '../api/enums.js';
import { KEY_SPECS } from '../api/key-specs.js';
import { paginate } from '../api/pagination.js';
import type {
  GetKeyRotationStatusResponse,
  ListKeyRotationsResponse,
  RotateKeyOnDemandResponse,
  RotationsListEntry,
} from '../api/shapes.js';
import { Checks, type Input } from '../api/validate.js';
import { LimitExceededException, UnsupportedOperationException } from '../errors.js';
import type { KeyRecord, RotationSettings, StoreState } from '../keys/record.js';
import { checkState, type KeyOperation } from '../keys/states.js';
import { DAY_MS, type Env } from './env.js';
import { keyIdMember, paging } from './fields.js';
import { familyOf, findKey, isReplica, rotate, updateKey } from './lookup.js';

export const MAX_ON_DEMAND_ROTATIONS = 25;
const DEFAULT_PERIOD_DAYS = 365;

/** Only symmetric keys with AWS_KMS origin rotate (reference §2.7; AWS answers with an empty message). */
async function rotatableKey(env: Env, keyId: string, operation: KeyOperation): Promise<KeyRecord> {
  const key = await findKey(env, keyId);
  if (key.origin !== 'AWS_KMS') {
    throw new UnsupportedOperationException({ message: `${key.arn} origin is ${key.origin} which is not valid for this operation.` });
  }
  if (!KEY_SPECS[key.keySpec].rotatable) throw new UnsupportedOperationException();
  // A multi-Region key's rotation is managed on its primary and shared with its replicas (AWS:
  // rotation status and material are synchronized from the primary); a replica only reports it.
  // AWS's exact message for rotating a replica is not recorded.
  if (isReplica(key) && CHANGES_ROTATION.has(operation)) {
    throw new UnsupportedOperationException({
      message: `${key.arn} is a multi-Region replica key. Rotation is managed on its primary key, and the rotated key material is shared with its replicas.`,
    });
  }
  checkState(operation, key);
  return key;
}

const CHANGES_ROTATION: ReadonlySet<KeyOperation> = new Set(['EnableKeyRotation', 'DisableKeyRotation', 'RotateKeyOnDemand']);

/** Sets the rotation settings of a key and of its related multi-Region keys, which share them. */
function setRotation(key: KeyRecord, state: StoreState, settings: RotationSettings): void {
  for (const k of familyOf(state, key)) k.rotation = { ...settings };
}

export async function enableKeyRotation(env: Env, input: Input): Promise<object> {
  const c = new Checks(input);
  const keyId = keyIdMember(c);
  const period = c.int('RotationPeriodInDays', { min: 90, max: 2560 }) ?? DEFAULT_PERIOD_DAYS;
  c.done();
  const key = await rotatableKey(env, keyId!, 'EnableKeyRotation');
  const now = env.now();
  await updateKey(env, key.arn, 'EnableKeyRotation', (k, s) => {
    // Newly enabled: one period from now. Already on with a new period: one period from the
    // last rotation (or creation); a date already passed rotates at the next use.
    const base = k.rotation.enabled ? k.materials[k.materials.length - 1]!.createdAt : now;
    setRotation(k, s, { ...k.rotation, enabled: true, periodInDays: period, nextRotationDate: base + period * DAY_MS });
  });
  return {};
}

export async function disableKeyRotation(env: Env, input: Input): Promise<object> {
  const c = new Checks(input);
  const keyId = keyIdMember(c);
  c.done();
  const key = await rotatableKey(env, keyId!, 'DisableKeyRotation');
  await updateKey(env, key.arn, 'DisableKeyRotation', (k, s) => {
    setRotation(k, s, { enabled: false, onDemandCount: k.rotation.onDemandCount });
  });
  return {};
}

export async function getKeyRotationStatus(env: Env, input: Input): Promise<GetKeyRotationStatusResponse> {
  const c = new Checks(input);
  const keyId = keyIdMember(c);
  c.done();
  const key = await rotatableKey(env, keyId!, 'GetKeyRotationStatus');
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
  const keyId = keyIdMember(c);
  c.done();
  const key = await rotatableKey(env, keyId!, 'RotateKeyOnDemand');
  const limitReached = (k: KeyRecord): void => {
    if (k.rotation.onDemandCount >= MAX_ON_DEMAND_ROTATIONS) {
      throw new LimitExceededException({
        message: `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${k.arn}`,
      });
    }
  };
  limitReached(key);
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
  const keyId = keyIdMember(c);
  const include = c.oneOf('IncludeKeyMaterial', IncludeKeyMaterial) ?? 'ROTATIONS_ONLY';
  const { limit, marker } = paging(c);
  c.done();
  const key = await rotatableKey(env, keyId!, 'ListKeyRotations');
  const last = key.materials.length - 1;
  const entries = key.materials
    .map((m, i) => ({ m, i }))
    .filter(({ m }) => include === 'ALL_KEY_MATERIAL' || m.rotationType !== undefined)
    .map(({ m, i }) => {
      const entry: RotationsListEntry = {
        KeyId: key.keyId,
        KeyMaterialId: m.id,
        KeyMaterialState: i === last ? 'CURRENT' : 'NON_CURRENT',
      };
      if (m.rotationType !== undefined) {
        entry.RotationDate = new Date(m.createdAt);
        entry.RotationType = m.rotationType;
      }
      return { entry, order: String(i).padStart(6, '0') };
    });
  const page = paginate('rotations', entries, (e) => e.order, limit, marker);
  return {
    Rotations: page.items.map((e) => e.entry),
    Truncated: page.Truncated,
    ...(page.NextMarker ? { NextMarker: page.NextMarker } : {}),
  };
}
