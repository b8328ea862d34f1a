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
 * - Version 4: binary. [u32 n][n bytes: JSON { policies, state } as version 3][material table],
 *   the table [u32 count] then, per material in ascending byte order of its id, [u16 id length][id,
 *   UTF-8][u8 spec length][spec, ASCII][u32 key length][key bytes]. Opening a store decodes no
 *   material: the table is checked once (every length within the bytes, ids strictly ascending) and
 *   kept as bytes, and a material is looked up by binary search when first used. Parsing 100,000
 *   materials from JSON and keeping them as strings cost about an eighth of opening a 100,000-key
 *   store (bench/file-store.ts).
 */
import { isAscii, isUtf8 } from 'node:buffer';
import type { KeySpec } from '../api/enums.js';
import type { StoreState } from '../keys/record.js';

/** Material as a snapshot or an entry holds it: the bytes in base64. */
export type StoredMaterial = { spec: KeySpec; key: string };
/** What the store does with material by id: a Map, or a version-4 table with the changes since (MaterialTable). */
export interface MaterialMap<T> extends Iterable<[string, T]> {
  get(id: string): T | undefined;
  set(id: string, material: T): unknown;
  delete(id: string): unknown;
}
/** Material by id (in the file, an object for versions 1 and 2, a list of [id, spec, key] for version 3, a table for version 4). */
export type SnapshotPayload = { state: StoreState; materials: MaterialMap<StoredMaterial> };
export type SnapshotVersion = 1 | 2 | 3 | 4;

/** Thrown when an authenticated plaintext is not a snapshot kmsbox writes (a bug, or a foreign writer with the root key). */
export class SnapshotPayloadError extends Error {}

/** The plaintext of `payload` for a store header of `version` (no default: the two must agree); its records are not changed. */
export function encodeSnapshot(payload: SnapshotPayload, version: 3 | 4): Buffer {
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
  const state = { ...payload.state, keys };
  if (version === 3) {
    const materials = Array.from(payload.materials, ([id, m]) => [id, m.spec, m.key]);
    return Buffer.from(JSON.stringify({ policies, state, materials }));
  }
  const json = Buffer.from(JSON.stringify({ policies, state }));
  const table = encodeMaterialTable(payload.materials);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(json.length);
  const plain = Buffer.concat([head, json, table]);
  table.fill(0);
  return plain;
}

const MAX_ID_BYTES = 0xffff;
const MAX_SPEC_BYTES = 0xff;

/** The version-4 material table: ids in ascending byte order (each at most 65,535 bytes, as every length field allows). */
function encodeMaterialTable(materials: Iterable<[string, StoredMaterial]>): Buffer {
  const rows = Array.from(materials, ([id, m]) => ({
    id: Buffer.from(id, 'utf8'),
    spec: Buffer.from(m.spec, 'latin1'),
    key: Buffer.from(m.key, 'base64'),
  }));
  rows.sort((a, b) => Buffer.compare(a.id, b.id));
  let size = 4;
  for (const r of rows) {
    if (r.id.length > MAX_ID_BYTES || r.spec.length > MAX_SPEC_BYTES)
      throw new SnapshotPayloadError('a material id or spec is too long to store');
    size += 2 + r.id.length + 1 + r.spec.length + 4 + r.key.length;
  }
  const out = Buffer.alloc(size);
  let at = out.writeUInt32BE(rows.length, 0);
  for (const r of rows) {
    at = out.writeUInt16BE(r.id.length, at);
    at += r.id.copy(out, at);
    at = out.writeUInt8(r.spec.length, at);
    at += r.spec.copy(out, at);
    at = out.writeUInt32BE(r.key.length, at);
    at += r.key.copy(out, at);
    r.key.fill(0);
  }
  return out;
}

/**
 * A version-4 snapshot's materials: the table's bytes (kept as given: pass a copy, the plaintext is
 * wiped), searched by id, under the changes made since (set, or deleted: null). Checked whole when
 * made, so that a lookup never reads outside an entry. A material deleted or replaced is zeroed in
 * the bytes at once: destroyed key material must not stay in the process until the next full load.
 */
export class MaterialTable<T = StoredMaterial> implements MaterialMap<StoredMaterial | T> {
  readonly #bytes: Buffer;
  /** Where each entry starts, in id order. */
  readonly #starts: Uint32Array;
  readonly #changed = new Map<string, StoredMaterial | T | null>();

  /** Throws SnapshotPayloadError unless `bytes` is exactly one well-formed table. */
  constructor(bytes: Uint8Array) {
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength); // a view: the table owns `bytes`
    const bad = (): never => {
      throw new SnapshotPayloadError('its contents are not a version-4 key store (a malformed material table)');
    };
    if (b.length < 4) bad();
    const count = b.readUInt32BE(0);
    // Each entry takes at least 7 bytes: a count the bytes cannot hold allocates nothing.
    // Stryker disable next-line ArithmeticOperator,EqualityOperator,ConditionalExpression: a looser bound (or none) only allocates more before the entry loop below refuses the same table
    if (count > (b.length - 4) / 7) bad();
    const starts = new Uint32Array(count);
    let at = 4;
    for (let i = 0; i < count; i++) {
      starts[i] = at;
      // Stryker disable next-line EqualityOperator: at the end exactly, the spec-length check below refuses it the same
      if (at + 2 > b.length) bad();
      const idEnd = at + 2 + b.readUInt16BE(at);
      // Stryker disable next-line EqualityOperator,ArithmeticOperator: at (or just past) the end, the checks after it refuse it the same
      if (idEnd + 1 > b.length) bad();
      const specEnd = idEnd + 1 + b[idEnd]!;
      if (specEnd + 4 > b.length) bad();
      const keyEnd = specEnd + 4 + b.readUInt32BE(specEnd);
      // Stryker disable next-line ConditionalExpression: a key past the end also fails the next entry's first check, or the end check after the loop
      if (keyEnd > b.length) bad();
      // Ids as UTF-8 that reads back as the same bytes (a lookup encodes the id it is given) ...
      if (!isUtf8(b.subarray(at + 2, idEnd))) bad();
      // ... and strictly ascending: sorted for the search, and no id twice.
      const previous = starts[i - 1]!;
      if (i > 0 && b.compare(b, at + 2, idEnd, previous + 2, previous + 2 + b.readUInt16BE(previous)) >= 0) bad();
      at = keyEnd;
    }
    if (at !== b.length) bad();
    this.#bytes = b;
    this.#starts = starts;
  }

  get(id: string): StoredMaterial | T | undefined {
    const changed = this.#changed.get(id);
    if (changed !== undefined) return changed ?? undefined;
    const at = this.#find(id);
    return at === undefined ? undefined : this.#entry(at)[1];
  }

  set(id: string, material: StoredMaterial | T): this {
    this.#wipe(id);
    this.#changed.set(id, material);
    return this;
  }

  delete(id: string): boolean {
    const had = this.get(id) !== undefined;
    this.#wipe(id);
    this.#changed.set(id, null);
    return had;
  }

  /** Zeroes every key in the table (a store loaded again drops it: material destroyed meanwhile must not stay in its bytes). */
  wipe(): void {
    const b = this.#bytes;
    for (const at of this.#starts) {
      const idEnd = at + 2 + b.readUInt16BE(at);
      const specEnd = idEnd + 1 + b[idEnd]!;
      b.fill(0, specEnd + 4, specEnd + 4 + b.readUInt32BE(specEnd));
    }
  }

  /** Zeroes the key bytes of `id`'s entry in the table, if it has one (its id and spec stay: the search needs them). */
  #wipe(id: string): void {
    const at = this.#find(id);
    if (at === undefined) return;
    const b = this.#bytes;
    const idEnd = at + 2 + b.readUInt16BE(at);
    const specEnd = idEnd + 1 + b[idEnd]!;
    b.fill(0, specEnd + 4, specEnd + 4 + b.readUInt32BE(specEnd));
  }

  *[Symbol.iterator](): IterableIterator<[string, StoredMaterial | T]> {
    for (const at of this.#starts) {
      const [id, m] = this.#entry(at);
      if (!this.#changed.has(id)) yield [id, m];
    }
    for (const [id, m] of this.#changed) if (m !== null) yield [id, m];
  }

  /** The start of the entry of `id`, by binary search over the ids' bytes. */
  #find(id: string): number | undefined {
    // Stryker disable next-line StringLiteral: Buffer.from's default encoding is UTF-8
    const key = Buffer.from(id, 'utf8');
    const b = this.#bytes;
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.#starts[mid]!;
      const order = b.compare(key, 0, key.length, at + 2, at + 2 + b.readUInt16BE(at));
      if (order === 0) return at;
      // Stryker disable next-line EqualityOperator: order is not 0 here
      if (order < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  #entry(at: number): [string, StoredMaterial] {
    const b = this.#bytes;
    const idEnd = at + 2 + b.readUInt16BE(at);
    const specEnd = idEnd + 1 + b[idEnd]!;
    const keyEnd = specEnd + 4 + b.readUInt32BE(specEnd);
    return [
      b.toString('utf8', at + 2, idEnd),
      { spec: b.toString('latin1', idEnd + 1, specEnd) as KeySpec, key: b.toString('base64', specEnd + 4, keyEnd) },
    ];
  }
}

/** The snapshot in an authenticated plaintext of a store of `version`; throws SnapshotPayloadError when it is not one. */
export function decodeSnapshot(plaintext: Buffer, version: SnapshotVersion): SnapshotPayload {
  let json = plaintext;
  let table: MaterialTable | undefined;
  if (version === 4) {
    // Stryker disable next-line UnaryOperator: below 4 bytes, any n is above length - 4
    const n = plaintext.length < 4 ? -1 : plaintext.readUInt32BE(0);
    if (n < 0 || n > plaintext.length - 4) throw new SnapshotPayloadError('its contents are not a version-4 key store (no record part)');
    json = plaintext.subarray(4, 4 + n);
    table = new MaterialTable(Uint8Array.prototype.slice.call(plaintext, 4 + n)); // a copy: the plaintext is wiped
  }
  let o: unknown;
  try {
    // JSON.stringify writes non-ASCII characters as UTF-8; a plaintext without any decodes as latin1, twice as fast.
    o = JSON.parse(json.toString(isAscii(json) ? 'latin1' : 'utf8'));
  } catch {
    throw new SnapshotPayloadError('its contents are not a key store');
  }
  const payload = o as { state?: StoreState; materials?: unknown; policies?: unknown };
  if (table !== undefined && payload !== null && typeof payload === 'object') {
    if (Object.hasOwn(payload, 'materials'))
      throw new SnapshotPayloadError('its contents are not a version-4 key store (materials in the record part)');
    payload.materials = table;
  }
  if (
    payload === null ||
    typeof payload !== 'object' ||
    payload.state === null ||
    typeof payload.state !== 'object' ||
    payload.materials === null ||
    typeof payload.materials !== 'object'
  )
    throw new SnapshotPayloadError('its contents are not a key store');
  if (version === 1 || version === 2)
    return { state: payload.state, materials: new Map(Object.entries(payload.materials as Record<string, StoredMaterial>)) };
  const { policies } = payload;
  if (!Array.isArray(policies) || !policies.every((p) => typeof p === 'string') || !Object.hasOwn(payload.state, 'keys'))
    throw new SnapshotPayloadError(`its contents are not a version-${version} key store (no policy table)`);
  const keys = payload.state.keys as Record<string, { policy: unknown }> | null;
  if (keys === null || typeof keys !== 'object') throw new SnapshotPayloadError('its contents are not a key store');
  for (const arn in keys) {
    const record = keys[arn];
    const i = record?.policy;
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= policies.length)
      throw new SnapshotPayloadError(`its contents are not a version-${version} key store (a key policy not in the policy table)`);
    (record as { policy: string }).policy = policies[i] as string;
  }
  if (table !== undefined) return { state: payload.state, materials: table };
  if (!Array.isArray(payload.materials)) throw new SnapshotPayloadError('its contents are not a version-3 key store (no material list)');
  const materials = new Map<string, StoredMaterial>();
  for (const m of payload.materials as unknown[]) {
    if (!Array.isArray(m) || m.length !== 3 || typeof m[0] !== 'string' || typeof m[1] !== 'string' || typeof m[2] !== 'string')
      throw new SnapshotPayloadError('its contents are not a version-3 key store (a material that is not [id, spec, key])');
    materials.set(m[0], { spec: m[1] as KeySpec, key: m[2] });
  }
  return { state: payload.state, materials };
}
