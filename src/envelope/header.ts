/**
 * The header item: written deterministically, read by a schema-driven strict parser that checks
 * every length against its bound before touching the bytes.
 */
import { LimitExceededException, UnsupportedOperationException } from '../errors.js';
import { compareUtf8 } from '../blob/encryption-context.js';
import { utf8EncodeInto } from '../crypto/bytes.js';
import { CborError, MAJOR, NULL, type Reader, TRUE, headSize, writeHead } from './cbor.js';
import {
  ENVELOPE_VERSION,
  HEADER_KEY,
  LIMITS,
  MESSAGE_ID_BYTES,
  RECIPIENT_TYPE,
  SIGNERS,
  SUITES,
  type SignerAlgId,
  type SuiteId,
} from './format.js';
import { setOwn } from '../api/set-own.js';

export interface Recipient {
  readonly type: number;
  /** The wrapping key's ARN; null when the wrapped blob is a kmsbox blob that names its key. */
  readonly keyRef: string | null;
  /** The KMS CiphertextBlob (empty for recipient types this reader does not know). */
  readonly wrapped: Uint8Array;
}

export interface Signer {
  readonly alg: SignerAlgId;
  readonly keyRef: string;
}

export interface Header {
  readonly suite: SuiteId;
  readonly messageId: Uint8Array;
  readonly segmentSizeLog2: number;
  readonly recipients: readonly Recipient[];
  /** The stored context; absent when empty or withheld. */
  readonly context?: Readonly<Record<string, string>> | undefined;
  readonly contextNotStored: boolean;
  readonly signer?: Signer | undefined;
}

/** UTF-8 length of a well-formed string, without encoding it. */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c < 0x800 ? 1 : c >= 0xd800 && c <= 0xdbff ? 0 : 2; // a surrogate pair is 4 bytes for 2 units
  }
  return n;
}

/** Context keys in deterministic CBOR order: by encoded bytes, i.e. shorter UTF-8 first, then bytewise. */
function sortedKeys(context: Readonly<Record<string, string>>): string[] {
  const keys = Object.keys(context);
  // Insertion sort: at most 64 keys, usually a handful, and no work array per call as
  // Array.prototype.sort allocates (this runs on every envelope written and every withheld context).
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    const kl = utf8Length(k);
    let j = i - 1;
    while (j >= 0 && before(k, kl, keys[j]!)) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

/** Whether key `a` (of UTF-8 length `al`) sorts before `b` in deterministic CBOR order. */
function before(a: string, al: number, b: string): boolean {
  const bl = utf8Length(b);
  return al !== bl ? al < bl : compareUtf8(a, b) < 0;
}

/** Bytes of the context map as deterministic CBOR. */
export function encodedContextLength(context: Readonly<Record<string, string>>): number {
  let n = headSize(Object.keys(context).length);
  for (const [k, v] of Object.entries(context)) {
    const kl = utf8Length(k);
    const vl = utf8Length(v);
    n += headSize(kl) + kl + headSize(vl) + vl;
  }
  return n;
}

/** A writer into one buffer sized up front: no intermediate parts. */
class Writer {
  readonly out: Uint8Array;
  at = 0;
  constructor(size: number) {
    this.out = new Uint8Array(size);
  }
  head(major: number, arg: number): void {
    this.at = writeHead(this.out, this.at, major, arg);
  }
  bytes(b: Uint8Array): void {
    this.head(MAJOR.bytes, b.length);
    this.out.set(b, this.at);
    this.at += b.length;
  }
  text(s: string, length: number): void {
    this.head(MAJOR.text, length);
    this.at += utf8EncodeInto(s, this.out, this.at);
  }
  byte(b: number): void {
    this.out[this.at++] = b;
  }
}

function writeContext(w: Writer, context: Readonly<Record<string, string>>): void {
  const keys = sortedKeys(context);
  w.head(MAJOR.map, keys.length);
  for (const k of keys) {
    w.text(k, utf8Length(k));
    const v = context[k]!;
    w.text(v, utf8Length(v));
  }
}

/** The encryption context as deterministic CBOR (sorted keys): stored in the header or fed to the MAC when withheld. */
export function encodeContext(context: Readonly<Record<string, string>>): Uint8Array {
  const w = new Writer(encodedContextLength(context));
  writeContext(w, context);
  return w.out;
}

const textSize = (s: string) => {
  const n = utf8Length(s);
  return headSize(n) + n;
};

/**
 * The header item. `reserve` bytes more are allocated after it (the header at offset 0, the
 * buffer's length minus `reserve` its length): a writer that knows the whole message size puts
 * the MAC and the segments there, with no second buffer and no copy of the header.
 */
export function encodeHeader(h: Header, reserve = 0): Uint8Array {
  const withContext = h.context !== undefined && Object.keys(h.context).length > 0;
  // map head, version, suite, message id, segment size, recipients key and array head
  let size = 1 + 2 + 1 + headSize(h.suite) + 1 + 2 + 32 + 1 + headSize(h.segmentSizeLog2) + 1 + headSize(h.recipients.length);
  for (const r of h.recipients)
    size += 1 + headSize(r.type) + (r.keyRef === null ? 1 : textSize(r.keyRef)) + headSize(r.wrapped.length) + r.wrapped.length;
  if (withContext) size += 1 + encodedContextLength(h.context!);
  if (h.contextNotStored) size += 2;
  if (h.signer) size += 1 + 1 + 1 + textSize(h.signer.keyRef);
  const w = new Writer(size + reserve);
  w.head(MAJOR.map, 5 + (withContext ? 1 : 0) + (h.contextNotStored ? 1 : 0) + (h.signer ? 1 : 0));
  w.head(MAJOR.uint, HEADER_KEY.version);
  w.head(MAJOR.uint, ENVELOPE_VERSION);
  w.head(MAJOR.uint, HEADER_KEY.suite);
  w.head(MAJOR.uint, h.suite);
  w.head(MAJOR.uint, HEADER_KEY.messageId);
  w.bytes(h.messageId);
  w.head(MAJOR.uint, HEADER_KEY.segmentSizeLog2);
  w.head(MAJOR.uint, h.segmentSizeLog2);
  w.head(MAJOR.uint, HEADER_KEY.recipients);
  w.head(MAJOR.array, h.recipients.length);
  for (const r of h.recipients) {
    w.head(MAJOR.array, 3);
    w.head(MAJOR.uint, r.type);
    if (r.keyRef === null) w.byte(NULL);
    else w.text(r.keyRef, utf8Length(r.keyRef));
    w.bytes(r.wrapped);
  }
  if (withContext) {
    w.head(MAJOR.uint, HEADER_KEY.context);
    writeContext(w, h.context!);
  }
  if (h.contextNotStored) {
    w.head(MAJOR.uint, HEADER_KEY.contextNotStored);
    w.byte(TRUE);
  }
  if (h.signer) {
    w.head(MAJOR.uint, HEADER_KEY.signer);
    w.head(MAJOR.array, 2);
    w.head(MAJOR.uint, h.signer.alg);
    w.text(h.signer.keyRef, utf8Length(h.signer.keyRef));
  }
  if (w.at !== size) throw new RangeError('header size mismatch'); // a bug, never input
  return w.out;
}

export interface ParseOptions {
  /** Recipients accepted before LimitExceededException (≤ the hard cap). */
  readonly maxRecipients: number;
}

/**
 * Parses the header item starting at `reader.pos`. Throws NeedMore when the bytes end inside it,
 * CborError when it is malformed, UnsupportedOperationException for an unknown version or suite
 * (the version is checked before anything else), LimitExceededException past `maxRecipients`.
 */
export function parseHeader(reader: Reader, options: ParseOptions): Header {
  // The version is always the first key; check it before anything else, even the key count
  // (another version may have more or fewer keys).
  const entries = reader.mapOf(1, Number.MAX_SAFE_INTEGER);
  if (reader.uint(255) !== HEADER_KEY.version) throw new CborError('header must start with the version');
  const version = reader.expectHead(MAJOR.uint);
  if (version !== ENVELOPE_VERSION) {
    throw new UnsupportedOperationException({
      message: `Envelope version ${version} is not supported; this reader understands version ${ENVELOPE_VERSION}.`,
    });
  }
  if (entries < 5 || entries > 8) throw new CborError('map size out of range');
  let suite: SuiteId | undefined;
  let messageId: Uint8Array | undefined;
  let segmentSizeLog2: number | undefined;
  let recipients: Recipient[] | undefined;
  let context: Record<string, string> | undefined;
  let contextNotStored = false;
  let signer: Signer | undefined;
  let last: number = HEADER_KEY.version;
  for (let i = 1; i < entries; i++) {
    const key = reader.uint(255);
    if (key <= last) throw new CborError('header keys must be unique and ascending');
    last = key;
    switch (key) {
      case HEADER_KEY.suite: {
        const id = reader.expectHead(MAJOR.uint);
        if (!Object.hasOwn(SUITES, id)) throw new UnsupportedOperationException({ message: `Envelope suite ${id} is not supported.` });
        suite = id as SuiteId;
        break;
      }
      case HEADER_KEY.messageId:
        messageId = reader.bytesOf(MESSAGE_ID_BYTES, MESSAGE_ID_BYTES);
        break;
      case HEADER_KEY.segmentSizeLog2:
        segmentSizeLog2 = reader.uint(LIMITS.segmentSizeLog2.max);
        if (segmentSizeLog2 < LIMITS.segmentSizeLog2.min) throw new CborError('segment size out of range');
        break;
      case HEADER_KEY.recipients:
        recipients = parseRecipients(reader, options.maxRecipients);
        break;
      case HEADER_KEY.context:
        context = parseContext(reader);
        break;
      case HEADER_KEY.contextNotStored:
        if (context !== undefined) throw new CborError('context both stored and withheld');
        reader.expectTrue();
        contextNotStored = true;
        break;
      case HEADER_KEY.signer: {
        reader.arrayOf(2, 2);
        const alg = reader.uint(255);
        if (!Object.hasOwn(SIGNERS, alg)) throw new CborError('unknown signature algorithm');
        signer = { alg: alg as SignerAlgId, keyRef: reader.text(1, LIMITS.keyRefBytes).value };
        break;
      }
      default:
        throw new CborError(`unknown header key ${key}`);
    }
  }
  if (suite === undefined || messageId === undefined || segmentSizeLog2 === undefined || recipients === undefined) {
    throw new CborError('header lacks a required field');
  }
  return { suite, messageId, segmentSizeLog2, recipients, context, contextNotStored, signer };
}

function parseRecipients(reader: Reader, maxRecipients: number): Recipient[] {
  const n = reader.arrayOf(1, LIMITS.recipientsHardCap);
  if (n > maxRecipients) {
    throw new LimitExceededException({
      message: `The envelope has ${n} recipients; this reader accepts at most ${maxRecipients} (maxRecipients).`,
    });
  }
  const out: Recipient[] = [];
  for (let i = 0; i < n; i++) {
    const fields = reader.arrayOf(1, LIMITS.unknownRecipientFields);
    const type = reader.uint(0xffff_ffff);
    if (type === RECIPIENT_TYPE.kms) {
      if (fields !== 3) throw new CborError('a KMS recipient has three fields');
      const keyRef = reader.maybeNull() ? null : reader.text(1, LIMITS.keyRefBytes).value;
      out.push({ type, keyRef, wrapped: reader.bytesOf(LIMITS.wrappedBytes.min, LIMITS.wrappedBytes.max) });
    } else {
      for (let f = 1; f < fields; f++) reader.skipScalar(LIMITS.unknownRecipientFieldBytes);
      out.push({ type, keyRef: null, wrapped: new Uint8Array(0) });
    }
  }
  return out;
}

function parseContext(reader: Reader): Record<string, string> {
  const start = reader.pos;
  const pairs = reader.mapOf(1, LIMITS.contextPairs);
  const context: Record<string, string> = {};
  let previous: Uint8Array | undefined;
  for (let i = 0; i < pairs; i++) {
    const key = reader.text(1, LIMITS.contextEncodedBytes);
    if (previous !== undefined && !ascending(previous, key.raw)) throw new CborError('context keys must be unique and sorted');
    previous = key.raw;
    const value = reader.text(0, LIMITS.contextEncodedBytes).value;
    setOwn(context, key.value, value);
    if (reader.pos - start > LIMITS.contextEncodedBytes) throw new CborError('context too large');
  }
  return context;
}

function ascending(a: Uint8Array, b: Uint8Array): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return a.length < b.length;
}
