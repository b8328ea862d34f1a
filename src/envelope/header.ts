/**
 * The header item: written deterministically, read by a schema-driven strict parser that checks
 * every length against its bound before touching the bytes.
 */
import { LimitExceededException, UnsupportedOperationException } from '../errors.js';
import { CborError, CborMap, MAJOR, Reader, encode, type CborValue } from './cbor.js';
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

/** The encryption context as deterministic CBOR (sorted keys): stored in the header or fed to the MAC when withheld. */
export function encodeContext(context: Readonly<Record<string, string>>): Uint8Array {
  return encode(contextMap(context));
}

function contextMap(context: Readonly<Record<string, string>>): CborMap {
  return new CborMap(Object.entries(context));
}

export function encodeHeader(h: Header): Uint8Array {
  const entries: Array<[number, CborValue]> = [
    [HEADER_KEY.version, ENVELOPE_VERSION],
    [HEADER_KEY.suite, h.suite],
    [HEADER_KEY.messageId, h.messageId],
    [HEADER_KEY.segmentSizeLog2, h.segmentSizeLog2],
    [HEADER_KEY.recipients, h.recipients.map((r) => [r.type, r.keyRef, r.wrapped])],
  ];
  if (h.context !== undefined && Object.keys(h.context).length > 0) entries.push([HEADER_KEY.context, contextMap(h.context)]);
  if (h.contextNotStored) entries.push([HEADER_KEY.contextNotStored, true]);
  if (h.signer) entries.push([HEADER_KEY.signer, [h.signer.alg, h.signer.keyRef]]);
  return encode(new CborMap(entries));
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
  const entries = reader.mapOf(5, 8);
  // The version is always the first key; check it before reading anything else.
  if (reader.uint(255) !== HEADER_KEY.version) throw new CborError('header must start with the version');
  const version = reader.expectHead(MAJOR.uint);
  if (version !== ENVELOPE_VERSION) {
    throw new UnsupportedOperationException({ message: `Envelope version ${version} is not supported; this reader understands version ${ENVELOPE_VERSION}.` });
  }
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
    throw new LimitExceededException({ message: `The envelope has ${n} recipients; this reader accepts at most ${maxRecipients} (maxRecipients).` });
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
  const context: Record<string, string> = Object.create(null);
  let previous: Uint8Array | undefined;
  for (let i = 0; i < pairs; i++) {
    const key = reader.text(1, LIMITS.contextEncodedBytes);
    if (previous !== undefined && !ascending(previous, key.raw)) throw new CborError('context keys must be unique and sorted');
    previous = key.raw;
    context[key.value] = reader.text(0, LIMITS.contextEncodedBytes).value;
    if (reader.pos - start > LIMITS.contextEncodedBytes) throw new CborError('context too large');
  }
  return { ...context };
}

function ascending(a: Uint8Array, b: Uint8Array): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return a.length < b.length;
}
