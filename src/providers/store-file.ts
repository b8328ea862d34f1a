/// <reference types="node" />
/**
 * The key-store file format (FileProvider) and its high-water mark, parsed and checked here so
 * that file.ts only decides what to accept. Everything read from disk is hostile until the
 * root key has authenticated it; the only thing used before that is the KDF cost, and that is
 * bounded first (whoever can write the file must not choose how long every opener computes).
 *
 * Store versions 1 and 2 (one JSON object, the whole store, no line end): { format:
 * "kmsbox-store", version, kdf, check, generation, [storeId, hwm], nonce, payload }. `payload` is
 * AES-256-GCM (base64, tag last) over JSON { state, materials } with the header fields as AAD.
 * - version 1 (written until 2026-12): no store id; AAD = [format, version, kdf, check, generation].
 * - version 2: `storeId` (16 random bytes, base64url, made with the store, never changed) and
 *   `hwm` (this generation needs its high-water mark: one existed when it was written, or
 *   resetHighWaterMark wrote it); AAD =
 *   [format, version, kdf, check, generation, storeId, hwm]. A version-2 payload cannot be
 *   relabelled as version 1: the AAD differs.
 * - version 3 (issue 17: writes that cost what they change): a snapshot and a journal in one file.
 *     line 1: the header, as version 2 without `payload` (JSON, AAD as version 2 with version 3);
 *     line 2: the payload's base64 (the snapshot when it was written: JSON { policies, state,
 *     materials }, each key's `policy` an index into `policies`, the distinct policy texts, and
 *     `materials` a list of [id, spec, key]; sealed as one, as in versions 1 and 2:
 *     snapshot-payload.ts);
 *     then one line per journal entry (journal.ts): `base64(nonce ‖ ciphertext ‖ tag)`, entry i
 *     sealed under the root key with AAD ["kmsbox-journal", 1, storeId, generation, i, previous
 *     tag] (the snapshot's payload tag for entry 0), over JSON { records: [{ collection, id,
 *     value? }], materials: [[id, { spec, key } | null]], mark? } (a record written or deleted;
 *     material kept or destroyed; `mark`: the high-water mark existed when the entry was written).
 *   A write appends one entry and fsyncs it; a last line without its `\n` is a write torn by a
 *   crash (never acknowledged): readers ignore it, the next writer cuts it off. Compaction writes
 *   the next generation as a new snapshot with no entries (atomically: temp file, rename), the old
 *   file kept as `.bak`; it runs when the journal is larger than the snapshot (and than
 *   `compactAfterBytes`), and on every write that destroys material (so that no file keeps it).
 *   Earlier kmsbox refuses version 3 as an unknown version (it would not see the journal).
 * - version 4 (issue 17: open a 100,000-key store in well under a second): as version 3, but the
 *   snapshot's plaintext is binary, its materials a table looked up when used
 *   (snapshot-payload.ts). Version-3 files are read as they are and keep their journal;
 *   their next compaction writes version 4. Earlier kmsbox refuses version 4 as unknown, and this
 *   one refuses any later version the same way (KMSInternalException, nothing written).
 * `check` = HMAC-SHA256(rootKey, "kmsbox-store check") tells a wrong passphrase from a damaged file.
 *
 * High-water mark (JSON), MAC'd (HMAC-SHA256) under the root key, so that nobody without it can
 * forge or raise one: version 1 { format: "kmsbox-hwm", version: 1, storeId, generation, nonce,
 * mac }: the highest generation of store `storeId` written so far and that generation's nonce;
 * version 2 (version-3 stores) adds `entries` and `head`: how many journal entries of that
 * generation were written, and the chain head (tag) after them, so that a journal cut back, or
 * another journal of the same generation (a fork), is refused too.
 *
 * The rules any store that replaces this whole-file format keeps (issue 17): a generation that
 * only grows and a random store id, both inside what the root key authenticates; an opener
 * remembers the highest generation and the id it saw and refuses less; a mark kept apart from
 * the data carries them to new processes; the KDF cost is bounded before it is paid; destroying
 * material rewrites every copy the store made. Version 3 keeps them with a journal: the entry
 * count and chain head are part of what only grows.
 */
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { randomBytes } from '../crypto/random.js';

export interface ScryptParams {
  name: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
}
export type KdfParams = ScryptParams | { name: 'root-key-file' };

/** The store format versions this kmsbox reads; it writes the last. */
export const STORE_VERSIONS = [1, 2, 3, 4] as const;
export type StoreVersion = (typeof STORE_VERSIONS)[number];
/** Versions with a snapshot line and a journal (versions 1 and 2: one object). */
export const isJournaled = (version: StoreVersion): version is 3 | 4 => version >= 3;

export interface StoreHeader {
  format: 'kmsbox-store';
  version: StoreVersion;
  kdf: KdfParams;
  check: string;
  generation: number;
  /** Versions 2 and 3. */
  storeId?: string;
  /** Versions 2 and 3: a high-water mark of this store was on disk before this generation was written (or resetHighWaterMark wrote it). */
  hwm?: boolean;
}

export interface StoreFile extends StoreHeader {
  nonce: string;
  payload: string;
}

export interface HighWaterMark {
  storeId: string;
  generation: number;
  nonce: string;
  /** Version 2 of the mark: the journal entries of that generation written so far (version 1: 0). */
  entries: number;
  /** Version 2: the chain head after those entries (base64 tag, journal.ts); undefined for a version-1 mark. */
  head?: string;
}

/** What a malformed or unauthentic file is: the caller names the file and adds its own advice. */
export class StoreFileError extends Error {}

/**
 * The scrypt costs kmsbox writes and reads: N a power of two from 2^10 to 2^18, r = 8, p = 1, so
 * a file can make an opener spend at most 128·N·r = 256 MiB and one default-cost derivation ×2.
 * (Default N = 2^17: OWASP's minimum, "Password Storage Cheat Sheet", scrypt.)
 */
export const SCRYPT_LIMITS = { minLogN: 10, maxLogN: 18, r: 8, p: 1 } as const;
export const DEFAULT_SCRYPT_N = 2 ** 17;
const SCRYPT_SALT_BYTES = 16;

/** Why these scrypt parameters are refused, or undefined when kmsbox accepts them. */
export function scryptParamsProblem(N: unknown, r: unknown, p: unknown): string | undefined {
  const { minLogN, maxLogN } = SCRYPT_LIMITS;
  const allowed = `scrypt N = 2^${minLogN} … 2^${maxLogN} (a power of two), r = ${SCRYPT_LIMITS.r}, p = ${SCRYPT_LIMITS.p}`;
  // Stryker disable next-line ConditionalExpression: Number.isInteger is false for a non-number too; typeof only narrows the type (the other replacements are killed)
  if (typeof N !== 'number' || !Number.isInteger(N) || N < 2 ** minLogN || N > 2 ** maxLogN || (N & (N - 1)) !== 0)
    return `N is outside ${allowed}`;
  if (r !== SCRYPT_LIMITS.r) return `r is outside ${allowed}`;
  if (p !== SCRYPT_LIMITS.p) return `p is outside ${allowed}`;
  return undefined;
}

/** The memory bound handed to scrypt: what the bounded parameters need, with room for its bookkeeping. */
export function scryptMaxmem(params: Pick<ScryptParams, 'N' | 'r'>): number {
  return 128 * params.N * params.r + (1 << 20);
}

export function newScryptParams(N: number = DEFAULT_SCRYPT_N): ScryptParams {
  return { name: 'scrypt', N, r: SCRYPT_LIMITS.r, p: SCRYPT_LIMITS.p, salt: b64(randomBytes(SCRYPT_SALT_BYTES)) };
}

export function newStoreId(): string {
  return Buffer.from(randomBytes(16)).toString('base64url');
}

export function sameKdf(a: KdfParams, b: KdfParams): boolean {
  // Stryker disable next-line ConditionalExpression,LogicalOperator,StringLiteral: the comparison below gives the same answer (a root-key-file KDF has no N, r, p or salt; a parsed scrypt one has all four)
  if (a.name === 'root-key-file' || b.name === 'root-key-file') return a.name === b.name;
  return a.N === b.N && a.r === b.r && a.p === b.p && a.salt === b.salt;
}

export function checkValue(rootKey: Uint8Array): string {
  return createHmac('sha256', rootKey).update('kmsbox-store check').digest('base64');
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const hasExactly = (o: Record<string, unknown>, keys: readonly string[]): boolean =>
  // Stryker disable next-line MethodExpression: every caller also checks each of these fields on its own, so with the count equal a renamed field fails there (→ some)
  Object.keys(o).length === keys.length && keys.every((k) => Object.hasOwn(o, k));
/** Canonical base64 of exactly `bytes` bytes (what Buffer writes), so no two spellings of one value pass. */
const isB64 = (v: unknown, bytes?: number): v is string =>
  typeof v === 'string' &&
  Buffer.from(v, 'base64').toString('base64') === v &&
  (bytes === undefined || Buffer.from(v, 'base64').length === bytes);
/**
 * isB64 for a payload, which may be 100 MB: decoded once (kept for openStoreFile) instead of
 * decoded and encoded again. Node's decoder skips what is not base64 and stops at padding, so a
 * canonical payload is one whose bytes are as many as its length says, without base64url's two
 * characters (which Node also reads), and whose last quantum is as Buffer writes it.
 */
const decodedPayloads = new WeakMap<object, { text: string; bytes: Buffer }>();
function isPayloadB64(file: Record<string, unknown>): boolean {
  const v = file.payload;
  if (typeof v !== 'string' || v.length % 4 !== 0 || v.includes('-') || v.includes('_')) return false;
  const bytes = Buffer.from(v, 'base64');
  const padding = v.endsWith('==') ? 2 : v.endsWith('=') ? 1 : 0;
  if (bytes.length !== (v.length / 4) * 3 - padding) return false;
  if (v.length > 0 && bytes.subarray(-(3 - padding)).toString('base64') !== v.slice(-4)) return false;
  decodedPayloads.set(file, { text: v, bytes });
  return true;
}
const STORE_ID = /^[A-Za-z0-9_-]{22}$/;
// Stryker disable next-line ConditionalExpression: Number.isSafeInteger is false for a non-number too; typeof only narrows the type (the other replacements are killed)
const isGeneration = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The KDF parameters of a file, checked before anything is derived from them. */
function parseKdf(kdf: unknown): KdfParams {
  if (!isObject(kdf)) throw new StoreFileError('its key-derivation parameters are missing');
  if (kdf.name === 'root-key-file' && hasExactly(kdf, ['name'])) return kdf as KdfParams;
  if (kdf.name !== 'scrypt' || !hasExactly(kdf, ['name', 'N', 'r', 'p', 'salt']))
    throw new StoreFileError('its key-derivation parameters are not ones kmsbox writes');
  const problem = scryptParamsProblem(kdf.N, kdf.r, kdf.p);
  if (problem !== undefined) throw new StoreFileError(`its key-derivation cost is refused (${problem})`);
  if (!isB64(kdf.salt, SCRYPT_SALT_BYTES)) throw new StoreFileError(`its scrypt salt is not ${SCRYPT_SALT_BYTES} bytes of base64`);
  return kdf as KdfParams;
}

/**
 * Parses and checks the shape of a store file, without any key: every field kmsbox writes,
 * nothing else, the KDF cost within bounds. Authentication comes after (openStoreFile).
 */
export function parseStoreFile(text: string): StoreFile {
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch {
    // Never the parser's message: it quotes the file (a root key or an .env given as the store path).
    throw new StoreFileError('it is not a readable key-store file (not JSON)');
  }
  return parseStoreObject(file);
}

function parseStoreObject(file: unknown): StoreFile {
  if (!isObject(file) || file.format !== 'kmsbox-store') {
    throw new StoreFileError('it is not a kmsbox key store (format/version fields missing or unknown)');
  }
  if (typeof file.version === 'number' && Number.isSafeInteger(file.version) && file.version > STORE_VERSIONS.length) {
    throw new StoreFileError(
      `it is a version-${file.version} key store, written by a later kmsbox (this one reads versions 1 to ${STORE_VERSIONS.length})`,
    );
  }
  if (!(STORE_VERSIONS as readonly unknown[]).includes(file.version)) {
    throw new StoreFileError('it is not a kmsbox key store (format/version fields missing or unknown)');
  }
  const fields =
    file.version === 1
      ? ['format', 'version', 'kdf', 'check', 'generation', 'nonce', 'payload']
      : ['format', 'version', 'kdf', 'check', 'generation', 'storeId', 'hwm', 'nonce', 'payload'];
  if (
    !hasExactly(file, fields) ||
    !isB64(file.check, 32) ||
    !isGeneration(file.generation) ||
    !isB64(file.nonce, 12) ||
    !isPayloadB64(file) ||
    // Stryker disable next-line ConditionalExpression: STORE_ID.test of a non-string tests its String(), never 22 base64url characters for what JSON gives (number, boolean, null, array, object); typeof only narrows the type (the other replacements are killed)
    (file.version !== 1 && (typeof file.storeId !== 'string' || !STORE_ID.test(file.storeId) || typeof file.hwm !== 'boolean'))
  ) {
    throw new StoreFileError(`it is not a kmsbox key store (fields of version ${file.version} missing or malformed)`);
  }
  parseKdf(file.kdf);
  return file as unknown as StoreFile;
}

/**
 * A version-3 file's snapshot: its first line (the header, every field but `payload`) and its
 * second (the payload's base64), read as one StoreFile. The payload has its own line so that
 * opening a large store parses a small header, not a JSON string of 100 MB.
 */
export function parseSnapshotLines(header: string, payload: string): StoreFile {
  let o: unknown;
  try {
    o = JSON.parse(header);
  } catch {
    throw new StoreFileError('it is not a readable key-store file (not JSON)');
  }
  if (!isObject(o) || typeof o.version !== 'number' || o.version < 3 || Object.hasOwn(o, 'payload'))
    throw new StoreFileError('it is not a kmsbox key store (a snapshot line that is not a version-3 or later header)');
  const file: Record<string, unknown> = { ...o, payload };
  return parseStoreObject(file);
}

/** A version-3 snapshot as written: the header line, the payload line (journal entries follow). */
export function snapshotLines(file: StoreFile): string {
  const { payload, ...header } = file;
  return `${JSON.stringify(header)}\n${payload}\n`;
}

/** The AAD of a store file: its header as written (the kdf object in the file's own key order). */
function aadOf(h: StoreHeader): Buffer {
  const fields: unknown[] = [h.format, h.version, h.kdf, h.check, h.generation];
  if (h.version !== 1) fields.push(h.storeId, h.hwm);
  return Buffer.from(JSON.stringify(fields));
}

/** Encrypts `plaintext` (the JSON payload) under the root key with the header as AAD. */
export function sealStoreFile(rootKey: Uint8Array, header: StoreHeader, plaintext: Uint8Array): StoreFile {
  const nonce = randomBytes(12);
  // Stryker disable next-line ObjectLiteral: 16 bytes is GCM's default tag length; the option states it
  const c = createCipheriv('aes-256-gcm', rootKey, nonce, { authTagLength: 16 });
  c.setAAD(aadOf(header));
  const sealed = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
  return { ...header, nonce: b64(nonce), payload: sealed.toString('base64') };
}

/** The GCM tag of a file's payload: where its journal's MAC chain starts (journal.ts). */
/** The payload's bytes: as parseStoreFile decoded them, unless the field was changed since. */
function sealedPayload(file: StoreFile): Buffer {
  const decoded = decodedPayloads.get(file);
  return decoded !== undefined && decoded.text === file.payload ? decoded.bytes : Buffer.from(file.payload, 'base64');
}

export function payloadTag(file: StoreFile): Buffer {
  const sealed = sealedPayload(file);
  return sealed.subarray(Math.max(0, sealed.length - 16));
}

/** Whether the file's check value is this root key's (false: a wrong passphrase or root key). */
export function checkMatches(rootKey: Uint8Array, file: StoreFile): boolean {
  const expected = Buffer.from(checkValue(rootKey));
  const actual = Buffer.from(file.check);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** The authenticated payload (JSON text bytes); throws StoreFileError if it fails authentication. */
export function openStoreFile(rootKey: Uint8Array, file: StoreFile): Buffer {
  try {
    const sealed = sealedPayload(file);
    // Stryker disable next-line ConditionalExpression,StringLiteral: without it setAuthTag refuses the short tag and the catch gives the same error; the message is never shown (→ true is killed)
    if (sealed.length < 16) throw new Error('short');
    // Stryker disable next-line ObjectLiteral: the tag given to setAuthTag is always the last 16 bytes
    const d = createDecipheriv('aes-256-gcm', rootKey, Buffer.from(file.nonce, 'base64'), { authTagLength: 16 });
    d.setAAD(aadOf(file));
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    const plain = d.update(sealed.subarray(0, sealed.length - 16));
    // GCM gives everything from update and nothing from final: no copy of a 100 MB plaintext.
    const rest = d.final();
    return rest.length === 0 ? plain : Buffer.concat([plain, rest]);
  } catch {
    throw new StoreFileError('its contents fail authentication (damaged or edited)');
  }
}

const HWM_LABEL = 'kmsbox-store high-water mark\n';

function hwmMac(rootKey: Uint8Array, m: HighWaterMark, version: 1 | 2): string {
  // A label distinct from the check value's, over the canonical fields.
  const fields: unknown[] = ['kmsbox-hwm', version, m.storeId, m.generation, m.nonce];
  if (version === 2) fields.push(m.entries, m.head);
  return createHmac('sha256', rootKey).update(HWM_LABEL).update(JSON.stringify(fields)).digest('base64');
}

/** Version 1 (a whole-file store's generation) when `head` is undefined, else version 2 (with its journal position). */
export function encodeHighWaterMark(rootKey: Uint8Array, m: HighWaterMark): string {
  if (m.head === undefined) {
    return JSON.stringify({
      format: 'kmsbox-hwm',
      version: 1,
      storeId: m.storeId,
      generation: m.generation,
      nonce: m.nonce,
      mac: hwmMac(rootKey, m, 1),
    });
  }
  return JSON.stringify({
    format: 'kmsbox-hwm',
    version: 2,
    storeId: m.storeId,
    generation: m.generation,
    nonce: m.nonce,
    entries: m.entries,
    head: m.head,
    mac: hwmMac(rootKey, m, 2),
  });
}

/** The high-water mark in `text`, authenticated under the root key; throws StoreFileError otherwise. */
export function decodeHighWaterMark(rootKey: Uint8Array, text: string): HighWaterMark {
  let o: unknown;
  try {
    o = JSON.parse(text);
    // Stryker disable next-line BlockStatement: o is still undefined after a failed parse; the assignment only says so
  } catch {
    o = undefined;
  }
  const v2 = isObject(o) && o.version === 2;
  if (
    !isObject(o) ||
    o.format !== 'kmsbox-hwm' ||
    (o.version !== 1 && o.version !== 2) ||
    !hasExactly(
      o,
      v2
        ? ['format', 'version', 'storeId', 'generation', 'nonce', 'entries', 'head', 'mac']
        : ['format', 'version', 'storeId', 'generation', 'nonce', 'mac'],
    ) ||
    (v2 && (!isGeneration(o.entries) || !isB64(o.head, 16))) ||
    // Stryker disable next-line ConditionalExpression: as for the store file's storeId, STORE_ID.test refuses whatever else JSON gives; typeof only narrows the type
    typeof o.storeId !== 'string' ||
    !STORE_ID.test(o.storeId) ||
    !isGeneration(o.generation) ||
    !isB64(o.nonce, 12) ||
    !isB64(o.mac, 32)
  ) {
    throw new StoreFileError('it is not a kmsbox high-water mark');
  }
  const m: HighWaterMark = v2
    ? { storeId: o.storeId, generation: o.generation, nonce: o.nonce, entries: o.entries as number, head: o.head as string }
    : { storeId: o.storeId, generation: o.generation, nonce: o.nonce, entries: 0 };
  const expected = Buffer.from(hwmMac(rootKey, m, v2 ? 2 : 1), 'base64');
  if (!timingSafeEqual(expected, Buffer.from(o.mac, 'base64')))
    throw new StoreFileError("it fails authentication under this store's root key (edited, or another store's)");
  return m;
}
