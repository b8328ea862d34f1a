/**
 * Finding the key a request names (any of the four KeyId forms: `KeyId` in
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html) and bringing
 * it up to date first: scheduled deletion and automatic rotation happen lazily, when a request
 * touches the key after the clock has passed the date, so a test clock moves them exactly.
 */
import { NotFoundException } from '../errors.js';
import { aliasArn, keyArn, parseKeyRef, partitionOf } from '../keys/arn.js';
import type { KeyRecord, MaterialVersion, StoreState } from '../keys/record.js';
import { checkState, type KeyOperation } from '../keys/states.js';
import { authorizeKeyAs } from './authorize.js';
import { DAY_MS, type Env } from './env.js';
import { type Maybe, andThen } from './maybe.js';
import { recordsNow } from '../providers/records-now.js';

export function invalidKeyId(value: string): NotFoundException {
  return new NotFoundException({ message: `Invalid keyId '${value}'` });
}

export function keyNotFound(arn: string): NotFoundException {
  return new NotFoundException({ message: `Key '${arn}' does not exist` });
}

export function aliasNotFound(arn: string): NotFoundException {
  return new NotFoundException({ message: `Alias ${arn} is not found.` });
}

/**
 * The key a KeyId names. `aliases: false` is for the members AWS documents as "key ID or key
 * ARN" only (CreateAlias/UpdateAlias TargetKeyId, ListAliases KeyId).
 */
export async function findKey(env: Env, value: string, opts: FindOptions = {}): Promise<KeyRecord> {
  return findKeyNow(env, value, opts);
}

/** `findKey`, without a promise when nothing waits (records in memory, nothing due, a decision that needs no store read). */
export function findKeyNow(env: Env, value: string, opts: FindOptions = {}): Maybe<KeyRecord> {
  const known = knownKeyArns.get(value);
  if (known !== undefined && known.region === env.region && known.accountId === env.accountId) {
    const records = recordsNow(env.provider);
    // Records in this process's memory: the key as it is now, without a closure or promise.
    if (records !== undefined) {
      const record = records.keys[known.arn];
      if (record === undefined) throw keyNotFound(known.arn);
      const key = settle(env, record);
      return key instanceof Promise ? key.then((k) => authorizedKey(env, k, value, opts)) : authorizedKey(env, key, value, opts);
    }
    return foundKey(
      env,
      readRecords(env, (s) => s.keys[known.arn]),
      () => keyNotFound(known.arn),
      value,
      opts,
    );
  }
  const ref = parseKeyRef(value);
  if (ref === undefined || (ref.kind === 'alias' && opts.aliases === false)) throw invalidKeyId(value);
  if (ref.region !== undefined && ref.region !== env.region) throw new NotFoundException({ message: `Invalid arn ${ref.region}` });
  // An ARN names its partition too: arn:aws-cn:… is not a key of the aws partition.
  if (ref.partition !== undefined && ref.partition !== partitionOf(env.region)) throw invalidKeyId(value);
  const accountId = ref.accountId ?? env.accountId;
  let found: Maybe<KeyRecord | undefined>;
  let missing: () => NotFoundException;
  if (ref.kind === 'key') {
    const arn = keyArn(env.region, accountId, ref.keyId);
    if (knownKeyArns.size >= KNOWN_KEY_ARNS_MAX) knownKeyArns.clear();
    knownKeyArns.set(value, { region: env.region, accountId: env.accountId, arn });
    found = readRecords(env, (s) => s.keys[arn]);
    missing = () => keyNotFound(arn);
  } else {
    const arn = aliasArn(env.region, accountId, ref.aliasName);
    found = readRecords(env, (s) => {
      const alias = s.aliases[arn];
      return alias && s.keys[keyArn(env.region, accountId, alias.targetKeyId)];
    });
    missing = () => aliasNotFound(arn);
  }
  return foundKey(env, found, missing, value, opts);
}

/**
 * The key ARN a KeyId that names a key (a key id or key ARN; not an alias, whose target may change)
 * resolves to in a region and account: a function of those three strings alone, so it holds
 * nothing that a change to a key, alias, policy or grant could make stale. Kept so a request with
 * a KeyId seen before costs one lookup, not a parse, a regular expression and a new ARN string
 * (which V8 must then hash again to find the record). Callers' strings: bounded, cleared when full.
 */
const knownKeyArns = new Map<string, { readonly region: string; readonly accountId: string; readonly arn: string }>();
const KNOWN_KEY_ARNS_MAX = 1000;

/** The record found (or not), brought up to date and authorized. */
function foundKey(
  env: Env,
  found: Maybe<KeyRecord | undefined>,
  missing: () => NotFoundException,
  value: string,
  opts: FindOptions,
): Maybe<KeyRecord> {
  return andThen(found, (record) => {
    if (record === undefined) throw missing();
    return andThen(settle(env, record), (key) => authorizedKey(env, key, value, opts));
  });
}

/** The key, once the caller is authorized for the request's action on it (unless `action` is null). */
function authorizedKey(env: Env, key: KeyRecord, value: string, opts: FindOptions): Maybe<KeyRecord> {
  if (opts.action === null) return key;
  // A promise only when the store had to be read (authorize.ts).
  const authorized = authorizeKeyAs(env, key, opts.action, value);
  return authorized instanceof Promise ? authorized.then(() => key) : key;
}

/** `env.provider.read(fn)`, without a promise when the provider keeps its records in this process's memory. */
export function readRecords<T>(env: Env, fn: (state: Readonly<StoreState>) => T): Maybe<T> {
  const records = recordsNow(env.provider);
  return records === undefined ? env.provider.read(fn) : fn(records);
}

export interface FindOptions {
  /** false: the member takes a key id or key ARN only (no aliases). */
  readonly aliases?: boolean;
  /** The permission the request needs on the key: default `kms:<Operation>`; null for no check (a filter, not a use). */
  readonly action?: string | null;
}

/** `findKey`, then the operation's key-state rule. */
export async function findKeyFor(env: Env, value: string, operation: KeyOperation, opts: FindOptions = {}): Promise<KeyRecord> {
  return findKeyForNow(env, value, operation, opts);
}

/** `findKeyFor`, without a promise when nothing waits (`findKeyNow`). */
export function findKeyForNow(env: Env, value: string, operation: KeyOperation, opts: FindOptions = {}): Maybe<KeyRecord> {
  return andThen(findKeyNow(env, value, opts), (key) => {
    checkState(operation, key);
    return key;
  });
}

/**
 * One atomic change to a key's record. The state rule is checked again on the record as it is
 * inside the update, so a concurrent change (another process on a shared store) cannot slip by.
 */
export function updateKey<T>(env: Env, arn: string, operation: KeyOperation, change: (key: KeyRecord, state: StoreState) => T): Promise<T> {
  return env.provider.update((s) => {
    const key = s.keys[arn];
    if (key === undefined) throw keyNotFound(arn);
    checkState(operation, key);
    return change(key, s);
  });
}

/**
 * A multi-Region key and its related keys (same key id and account, one per region), the key
 * itself included; just the key for a single-Region key.
 */
export function familyOf<K extends KeyRecord>(state: { readonly keys: Readonly<Record<string, K>> }, key: KeyRecord): K[] {
  if (!key.multiRegion) {
    const self = state.keys[key.arn];
    return self ? [self] : [];
  }
  return Object.values(state.keys).filter((k) => k.multiRegion && k.keyId === key.keyId && k.accountId === key.accountId);
}

/** Whether the key is a multi-Region replica. */
export function isReplica(key: KeyRecord): boolean {
  return key.multiRegion && key.multiRegionKeyType === 'REPLICA';
}

/** The key by ARN as it is now (after due deletions and rotations), or NotFound. */
export async function reloadKey(env: Env, arn: string): Promise<KeyRecord> {
  const record = await env.provider.read((s) => s.keys[arn]);
  if (record === undefined) throw keyNotFound(arn);
  return settle(env, record);
}

/**
 * The key a ciphertext blob names by id, as it is now: in this account, else in any account of
 * this region (key ids are unique; another account's caller decrypts with the owner's key); else
 * NotFound for this account's ARN. One read of the store (the ARN and the record together); no
 * promise when nothing waits (`findKeyNow`).
 */
export function findBlobKey(env: Env, keyId: string): Maybe<KeyRecord> {
  const own = keyArn(env.region, env.accountId, keyId);
  const found = readRecords(env, (s) => {
    const mine = s.keys[own];
    if (mine !== undefined) return mine;
    for (const k of Object.values(s.keys)) if (k.keyId === keyId && k.region === env.region) return k;
    return undefined;
  });
  return andThen(found, (record) => {
    if (record === undefined) throw keyNotFound(own);
    return settle(env, record);
  });
}

/**
 * Applies what the clock says is due. Cheap when nothing is: a few comparisons, and the key comes
 * back as is, without a promise (settleDue does the store work only when something is due).
 */
function settle(env: Env, key: KeyRecord): KeyRecord | Promise<KeyRecord> {
  const now = env.now();
  const due =
    (key.deletionDate !== undefined && key.deletionDate <= now && key.state === 'PendingDeletion') ||
    (key.imported?.validTo !== undefined && key.imported.validTo <= now) ||
    (key.pendingMaterial?.validTo !== undefined && key.pendingMaterial.validTo <= now) ||
    (key.rotation.enabled &&
      key.rotation.nextRotationDate !== undefined &&
      key.rotation.nextRotationDate <= now &&
      key.state === 'Enabled');
  return due ? settleDue(env, key, now) : key;
}

/** `settle` when something is due: the same checks, in order, each doing its store work. */
async function settleDue(env: Env, key: KeyRecord, now: number): Promise<KeyRecord> {
  if (key.deletionDate !== undefined && key.deletionDate <= now && key.state === 'PendingDeletion') {
    await deleteKeys(env, [key.arn]);
    throw keyNotFound(key.arn);
  }
  // Imported material past its ValidTo is deleted by KMS: the key goes back to PendingImport.
  const validTo = key.imported?.validTo;
  if (validTo !== undefined && validTo <= now) return removeImportedMaterial(env, key.arn, undefined, now);
  const pendingValidTo = key.pendingMaterial?.validTo;
  if (pendingValidTo !== undefined && pendingValidTo <= now) return removePendingMaterial(env, key.arn, now);
  const next = key.rotation.nextRotationDate;
  if (key.rotation.enabled && next !== undefined && next <= now && key.state === 'Enabled') {
    const period = (key.rotation.periodInDays ?? 365) * DAY_MS;
    const due: number[] = [];
    for (let at = next; at <= now && due.length < MAX_CATCH_UP; at += period) due.push(at);
    return rotate(
      env,
      key.arn,
      due.map((at) => ({ at, type: 'AUTOMATIC' as const })),
      (k) => {
        // `due` starts with `next` (next <= now), so its last entry is there.
        k.rotation.nextRotationDate = (due.at(-1) ?? next) + period;
      },
    );
  }
  return key;
}

/**
 * Deletes a key's imported material (DeleteImportedKeyMaterial, or expiry when `expiredAt` is
 * given: then only if its ValidTo is not after it). The material versions stay listed, so the
 * same material imported again decrypts every old ciphertext; an Enabled or Disabled key goes
 * to PendingImport, a key pending deletion stays so. No effect on a key without material.
 */
export async function removeImportedMaterial(env: Env, arn: string, operation?: KeyOperation, expiredAt?: number): Promise<KeyRecord> {
  const { key, ids } = await env.provider.update((s) => {
    const k = s.keys[arn];
    if (k === undefined) throw keyNotFound(arn);
    if (operation !== undefined) checkState(operation, k);
    const validTo = k.imported?.validTo;
    if (k.imported === undefined || (expiredAt !== undefined && (validTo === undefined || validTo > expiredAt))) return { key: k, ids: [] };
    delete k.imported;
    if (k.state === 'Enabled' || k.state === 'Disabled') k.state = 'PendingImport';
    // Every associated material goes (kmsbox keeps one expiration per key); each must come back.
    k.missingMaterials = k.materials.map((m) => m.id);
    return { key: k, ids: k.materials.map((m) => m.id) };
  });
  if (ids.length > 0) await env.provider.destroyMaterial(ids);
  return key;
}

/**
 * Deletes the key material pending rotation (DeleteImportedKeyMaterial naming it, or expiry when
 * `expiredAt` is given: then only if its ValidTo is not after it). The key's state does not change.
 */
export async function removePendingMaterial(env: Env, arn: string, expiredAt?: number, operation?: KeyOperation): Promise<KeyRecord> {
  const { key, ids } = await env.provider.update((s) => {
    const k = s.keys[arn];
    if (k === undefined) throw keyNotFound(arn);
    if (operation !== undefined) checkState(operation, k);
    const pending = k.pendingMaterial;
    if (pending === undefined || (expiredAt !== undefined && (pending.validTo === undefined || pending.validTo > expiredAt)))
      return { key: k, ids: [] };
    delete k.pendingMaterial;
    return { key: k, ids: [pending.id] };
  });
  if (ids.length > 0) await env.provider.destroyMaterial(ids);
  return key;
}

/** A clock moved by decades must not mint unbounded versions in one call. */
const MAX_CATCH_UP = 64;

/**
 * Adds material versions to a key (rotation): material first (async), then one atomic record
 * update; `after` adjusts the rotation settings in the same update.
 */
export async function rotate(
  env: Env,
  arn: string,
  versions: ReadonlyArray<{ at: number; type: 'AUTOMATIC' | 'ON_DEMAND' }>,
  after: (key: KeyRecord) => void,
  guard?: (key: KeyRecord) => void,
): Promise<KeyRecord> {
  const key = await env.provider.read((s) => s.keys[arn]);
  if (key === undefined) throw keyNotFound(arn);
  const ids: string[] = [];
  const created: MaterialVersion[] = [];
  try {
    for (const v of versions) {
      const id = await env.provider.createMaterial(key.keySpec, key.keyUsage);
      ids.push(id);
      created.push({ id, createdAt: v.at, rotationType: v.type });
    }
    return await env.provider.update((s) => {
      const current = s.keys[arn];
      if (current === undefined) throw keyNotFound(arn);
      guard?.(current);
      const added = created.map((m): MaterialVersion => ({ ...m }));
      // Related multi-Region keys share their material versions and rotation settings (AWS
      // synchronizes them): every one of them gets the new versions in this same update.
      for (const k of familyOf(s, current)) {
        k.materials.push(...added);
        after(k);
      }
      return current;
    });
  } catch (error) {
    await env.provider.destroyMaterial(ids);
    throw error;
  }
}

/**
 * Removes keys, the aliases that point at them, and their material (unless related multi-Region
 * keys still share it). A primary in PendingReplicaDeletion whose last replica goes starts its
 * own waiting period (PendingDeletion) then.
 */
export async function deleteKeys(env: Env, arns: readonly string[]): Promise<void> {
  const materialIds = await env.provider.update((s: StoreState) => {
    const ids: string[] = [];
    for (const arn of arns) {
      const key = s.keys[arn];
      if (key === undefined) continue;
      ids.push(...key.materials.map((m) => m.id));
      if (key.pendingMaterial !== undefined) ids.push(key.pendingMaterial.id);
      delete s.keys[arn];
      if (key.multiRegion) {
        const rest = familyOf(s, key);
        const primary = rest.find((k) => !isReplica(k));
        if (primary && rest.length === 1 && primary.state === 'PendingReplicaDeletion') {
          primary.state = 'PendingDeletion';
          // The window starts when the last replica was due, not when a lazy sweep noticed it.
          primary.deletionDate = (key.deletionDate ?? env.now()) + (primary.pendingWindowInDays ?? 30) * DAY_MS;
        }
      }
      const sameAccount = aliasArn(key.region, key.accountId, 'alias/');
      for (const [aliasKey, alias] of Object.entries(s.aliases)) {
        if (alias.targetKeyId === key.keyId && alias.arn.startsWith(sameAccount)) delete s.aliases[aliasKey];
      }
      const grants = s.grants ?? {};
      for (const [grantId, grant] of Object.entries(grants)) if (grant.keyArn === arn) delete grants[grantId];
      const tokens = s.importTokens ?? {};
      for (const [tokenId, token] of Object.entries(tokens)) {
        if (token.keyArn !== arn) continue;
        ids.push(token.wrappingMaterialId);
        delete tokens[tokenId];
      }
    }
    const inUse = new Set(Object.values(s.keys).flatMap((k) => k.materials.map((m) => m.id)));
    return ids.filter((id) => !inUse.has(id));
  });
  await env.provider.destroyMaterial(materialIds);
}

/** Deletes every key whose deletion date has passed (before listing keys or aliases). */
export async function sweepDeletions(env: Env): Promise<void> {
  const now = env.now();
  const due = await env.provider.read((s) =>
    Object.values(s.keys)
      .filter((k) => k.state === 'PendingDeletion' && k.deletionDate !== undefined && k.deletionDate <= now)
      .map((k) => k.arn),
  );
  if (due.length > 0) await deleteKeys(env, due);
}
