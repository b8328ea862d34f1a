/**
 * Random access: decrypt plaintext bytes [start, end) reading only the header and the segments
 * that cover them (an HTTP range request per segment). Segment i starts at H + i·F, where H is
 * the header+MAC length and F the size of a full segment item. Whether a segment is the final one
 * comes from the total size when known, else from one byte of lookahead; when the range reaches
 * the end, the final segment is read and verified before anything derived from the end is trusted,
 * so a truncated envelope fails instead of looking shorter.
 */
import { joinAndWipe } from '../crypto/bytes.js';
import { UnsupportedOperationException, ValidationException } from '../errors.js';
import { MAJOR, NeedMore, Reader } from './cbor.js';
import { LIMITS, MAC_ITEM_BYTES, SIGNATURE_ITEM_HEAD, TAG_BYTES } from './format.js';
import { invalidEnvelope, typed } from './invalid.js';
import { checkDecryptOptions, type DecryptOptions } from './options.js';
import { openSession, parsePrefix, type Session } from './reader.js';
import { fullItemBytes } from './segments.js';
import { signatureItemBytes } from './signature.js';
import { wipeKeys } from './keys.js';

export type RangeRead = (offset: number, length: number) => Promise<Uint8Array>;

export interface ByteRange {
  /** First plaintext byte. */
  readonly start: number;
  /** One past the last plaintext byte (clamped to the plaintext length). */
  readonly end: number;
  /** Total envelope bytes, if known: saves lookahead reads. */
  readonly size?: number;
}

const FIRST_HEADER_READ = 4096;

export async function decryptRange(read: RangeRead, opts: DecryptOptions, range: ByteRange): Promise<Uint8Array> {
  const policy = checkDecryptOptions(opts);
  if (typeof read !== 'function') throw new ValidationException({ message: 'read must be a function (offset, length) => Promise<Uint8Array>.' });
  const { start, end, size } = range ?? ({} as ByteRange);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end <= start) {
    throw new ValidationException({ message: 'range must have integers 0 <= start < end.' });
  }
  if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) throw new ValidationException({ message: 'range.size must be a non-negative integer.' });
  const debug = opts.debug === true;
  let session: Session | undefined;
  const parts: Uint8Array[] = [];
  try {
    const fetch = async (offset: number, length: number): Promise<Uint8Array> => {
      const bytes = await read(offset, length);
      if (!(bytes instanceof Uint8Array)) throw new ValidationException({ message: 'read must resolve to a Uint8Array.' });
      return bytes.length > length ? bytes.subarray(0, length) : bytes;
    };

    // Header and MAC: read more until they parse.
    const limit = policy.maxHeaderBytes + MAC_ITEM_BYTES;
    let want = Math.min(FIRST_HEADER_READ, limit);
    let prefix: Uint8Array;
    let parsed: ReturnType<typeof parsePrefix>;
    for (;;) {
      prefix = await fetch(0, want);
      try {
        parsed = parsePrefix(prefix, policy);
        break;
      } catch (error) {
        if (!(error instanceof NeedMore) || prefix.length < want || want >= limit) throw error;
        want = Math.min(limit, Math.max(error.needed, want * 2));
      }
    }
    const signer = parsed.header.signer;
    if (signer && policy.signerKeyIds !== undefined) {
      throw new UnsupportedOperationException({ message: 'A range read cannot verify the envelope signature; decrypt the whole envelope when signerKeyIds is set.' });
    }
    session = await openSession(opts, policy, prefix, parsed.header, parsed.headerEnd, parsed.mac);
    const S = session.segmentSize;
    const F = fullItemBytes(S);
    const H = session.headerLength;
    const sigLen = signer ? signatureItemBytes(signer.alg) : 0;

    let finalIndex: number | undefined;
    if (size !== undefined) {
      const body = size - H - sigLen;
      if (body < 1 + TAG_BYTES) throw invalidEnvelope('size too small for one segment', debug);
      finalIndex = Math.ceil(body / F) - 1;
    }

    const first = Math.floor(start / S);
    let last = Math.floor((end - 1) / S);
    if (finalIndex !== undefined) last = Math.min(last, finalIndex);
    if (first >= LIMITS.maxSegments) throw new ValidationException({ message: 'range.start is beyond the envelope.' });
    for (let i = first; i <= last; i++) {
      const offset = H + i * F;
      const known = finalIndex === undefined ? undefined : i === finalIndex;
      const bytes = await fetch(offset, known === undefined ? F + 1 : known ? size! - offset - sigLen : F);
      const item = new Reader(bytes);
      const length = item.expectHead(MAJOR.bytes);
      const hd = item.pos;
      if (length > S + TAG_BYTES || length < TAG_BYTES || (length === TAG_BYTES && i > 0)) throw invalidEnvelope('bad segment length', debug);
      if (bytes.length < hd + length) throw invalidEnvelope('the envelope ends inside a segment', debug);
      let final: boolean;
      if (known !== undefined) {
        final = known;
        if (bytes.length !== hd + length) throw invalidEnvelope('segment does not fill its place', debug);
      } else if (length < S + TAG_BYTES) {
        final = true;
      } else if (bytes.length === F) {
        final = true; // nothing follows
      } else {
        const next = bytes[F]!;
        if (next === SIGNATURE_ITEM_HEAD && signer) final = true;
        else if (next >> 5 === MAJOR.bytes) final = false;
        else throw invalidEnvelope('unexpected item after a segment', debug);
      }
      if (!final && length !== S + TAG_BYTES) throw invalidEnvelope('short segment before the end', debug);
      const plaintext = await session.cipher.open(i, final, bytes.subarray(hd, hd + length));
      if (plaintext === undefined) throw invalidEnvelope(`segment ${i}: authentication failed`, debug);
      const base = i * S;
      const from = Math.max(start, base) - base;
      const to = Math.min(end, base + plaintext.length) - base;
      if (from >= plaintext.length) {
        // Only the final segment can be shorter than the range start (a non-final one holds S bytes).
        plaintext.fill(0);
        throw new ValidationException({ message: `range.start (${start}) is at or beyond the plaintext length (${base + plaintext.length}).` });
      }
      parts.push(plaintext.slice(from, to));
      plaintext.fill(0);
      if (final) break;
    }
    return joinAndWipe(parts);
  } catch (error) {
    for (const p of parts) p.fill(0);
    throw error instanceof NeedMore ? invalidEnvelope('the envelope ends early', debug) : typed(error, debug);
  } finally {
    if (session) wipeKeys(session.keys);
  }
}
