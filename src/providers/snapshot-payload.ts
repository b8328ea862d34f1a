/// <reference types="node" />
/**
 * The plaintext of a key-store snapshot (store-file.ts has the file around it), encoded and
 * decoded here so that both the FileProvider and the tests' readers agree on it.
 *
 * - Versions 1 and 2: JSON { state, materials }.
 * - Version 3: JSON { policies, state, materials }, where each key record's `policy` is an index
 *   into `policies`, the distinct policy texts of the snapshot, and `materials` is a list of
 *   [id, spec, key] (a list parses faster than an object of 100,000 names, and becomes the Map
 *   the provider keeps without another copy). Most keys have the default policy
 *   (330 bytes of JSON each): stored once, a 100,000-key store is 30% smaller to read,
 *   authenticate and parse (bench/SECTIONS-file.md), and its keys share one string in memory.
 *   Journal entries keep whole records (journal.ts): they are small.
 */
import { isAscii } from 'node:buffer';
import type { KeySpec } from '../api/enums.js';
import type { StoreState } from '../keys/record.js';

/** Material as a snapshot or an entry holds it: the bytes in base64. */
export type StoredMaterial = { spec: KeySpec; key: string };
/** Material by id: a Map (in the file, an object for versions 1 and 2, a list of [id, spec, key] for version 3). */
export type SnapshotPayload = { state: StoreState; materials: Map<string, StoredMaterial> };

/** Thrown when an authenticated plaintext is not a snapshot kmsbox writes (a bug, or a foreign writer with the root key). */
export class SnapshotPayloadError extends Error {}

/** The version-3 plaintext of `payload`: its records are not changed (each key is copied with its policy's index). */
export function encodeSnapshot(payload: SnapshotPayload): Buffer {
  const policies: string[] = [];
  const index = new Map<string, number>();
  const keys: Record<string, unknown> = {};
  for (const [arn, record] of Object.entries(payload.state.keys)) {
    let i = index.get(record.policy);
    if (i === undefined) {
      i = policies.push(record.policy) - 1;
      index.set(record.policy, i);
    }
    keys[arn] = { ...record, policy: i };
  }
  const materials = Array.from(payload.materials, ([id, m]) => [id, m.spec, m.key]);
  return Buffer.from(JSON.stringify({ policies, state: { ...payload.state, keys }, materials }));
}

/** The snapshot in an authenticated plaintext of a store of `version`; throws SnapshotPayloadError when it is not one. */
export function decodeSnapshot(plaintext: Buffer, version: 1 | 2 | 3): SnapshotPayload {
  let o: unknown;
  try {
    // JSON.stringify writes non-ASCII characters as UTF-8; a plaintext without any decodes as latin1, twice as fast.
    o = JSON.parse(plaintext.toString(isAscii(plaintext) ? 'latin1' : 'utf8'));
  } catch {
    throw new SnapshotPayloadError('its contents are not a key store');
  }
  const payload = o as { state?: StoreState; materials?: unknown; policies?: unknown };
  if (
    payload === null ||
    typeof payload !== 'object' ||
    payload.state === null ||
    typeof payload.state !== 'object' ||
    payload.materials === null ||
    typeof payload.materials !== 'object'
  )
    throw new SnapshotPayloadError('its contents are not a key store');
  if (version !== 3)
    return { state: payload.state, materials: new Map(Object.entries(payload.materials as Record<string, StoredMaterial>)) };
  const { policies } = payload;
  if (!Array.isArray(policies) || !policies.every((p) => typeof p === 'string') || !Object.hasOwn(payload.state, 'keys'))
    throw new SnapshotPayloadError('its contents are not a version-3 key store (no policy table)');
  const keys = payload.state.keys as Record<string, { policy: unknown }> | null;
  if (keys === null || typeof keys !== 'object') throw new SnapshotPayloadError('its contents are not a key store');
  for (const arn in keys) {
    const record = keys[arn];
    const i = record?.policy;
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= policies.length)
      throw new SnapshotPayloadError('its contents are not a version-3 key store (a key policy not in the policy table)');
    (record as { policy: string }).policy = policies[i] as string;
  }
  if (!Array.isArray(payload.materials)) throw new SnapshotPayloadError('its contents are not a version-3 key store (no material list)');
  const materials = new Map<string, StoredMaterial>();
  for (const m of payload.materials as unknown[]) {
    if (!Array.isArray(m) || m.length !== 3 || typeof m[0] !== 'string' || typeof m[1] !== 'string' || typeof m[2] !== 'string')
      throw new SnapshotPayloadError('its contents are not a version-3 key store (a material that is not [id, spec, key])');
    materials.set(m[0], { spec: m[1] as KeySpec, key: m[2] });
  }
  return { state: payload.state, materials };
}
