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
import { checkDecryptOptions, type RangeOptions, type RangeResult } from './options.js';
import { openSession, parsePrefix, type Session } from './reader.js';
import { fullItemBytes } from './segments.js';
import { signatureItemBytes } from './signature.js';

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

/**
 * A range read cannot check a signature, which covers every byte: a signed envelope is refused
 * unless the caller accepts that (`unverifiedSignature: 'allow'`), and always when it requires a
 * signer (`signerKeyIds`). Any recipient knows the segment key, so without the signature check
 * an insider's forged segment reads as genuine; the result says `signature: 'unverified'`.
 */
export async function decryptRange(read: RangeRead, opts: RangeOptions, range: ByteRange): Promise<RangeResult> {
  const policy = checkDecryptOptions(opts);
  const allowUnverified = checkUnverifiedSignature(opts.unverifiedSignature, policy.signerKeyIds);
  if (typeof read !== 'function')
    throw new ValidationException({ message: 'read must be a function (offset, length) => Promise<Uint8Array>.' });
  const { start, end, size } = range ?? ({} as ByteRange);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end <= start) {
    throw new ValidationException({ message: 'range must have integers 0 <= start < end.' });
  }
  if (size !== undefined && (!Number.isSafeInteger(size) || size < 0))
    throw new ValidationException({ message: 'range.size must be a non-negative integer.' });
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
      throw new UnsupportedOperationException({
        message: 'A range read cannot verify the envelope signature; decrypt the whole envelope when signerKeyIds is set.',
      });
    }
    if (signer && !allowUnverified) {
      throw new UnsupportedOperationException({
        message:
          "The envelope is signed and a range read cannot verify the signature: decrypt the whole envelope, or pass unverifiedSignature: 'allow' to read it unverified.",
      });
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

    /** Reads, checks and opens segment i; `known` is whether it is final when the size says so. */
    const openSegment = async (i: number): Promise<{ plaintext: Uint8Array; final: boolean }> => {
      // The nonce holds the index as a uint32: index 2^32 would reuse segment 0's nonce (the stream reader stops there too).
      if (i >= LIMITS.maxSegments) throw invalidEnvelope('too many segments', debug);
      const offset = H + i * F;
      const known = finalIndex === undefined ? undefined : i === finalIndex;
      const bytes = await fetch(offset, known === undefined ? F + 1 : known ? size! - offset - sigLen : F);
      const item = new Reader(bytes);
      const length = item.expectHead(MAJOR.bytes);
      const hd = item.pos;
      if (length > S + TAG_BYTES || length < TAG_BYTES || (length === TAG_BYTES && i > 0))
        throw invalidEnvelope('bad segment length', debug);
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
      const plaintext = await session!.cipher.open(i, final, bytes.subarray(hd, hd + length));
      if (plaintext === undefined) throw invalidEnvelope(`segment ${i}: authentication failed`, debug);
      return { plaintext, final };
    };

    /** The highest segment index below `n` at which the envelope has a byte (binary search: ≤ 32 one-byte reads). */
    const lastSegmentBefore = async (n: number): Promise<number> => {
      let lo = 0; // segment 0 always exists in a complete envelope; if it does not, opening it fails
      let hi = n - 1;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if ((await fetch(H + mid * F, 1)).length > 0) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    };

    const first = Math.floor(start / S);
    let last = Math.floor((end - 1) / S);
    if (first >= LIMITS.maxSegments) throw new ValidationException({ message: 'range.start is beyond the envelope.' });
    // A start past the last segment is answered only after the real final segment verified: a
    // truncated envelope must fail, not look shorter.
    let from = first;
    if (finalIndex !== undefined) {
      last = Math.min(last, finalIndex);
      from = Math.min(first, finalIndex);
    } else if (first > 0 && (await fetch(H + first * F, 1)).length === 0) {
      from = last = await lastSegmentBefore(first);
    }
    for (let i = from; i <= last; i++) {
      const { plaintext, final } = await openSegment(i);
      const base = i * S;
      const lo = Math.max(start, base) - base;
      const hi = Math.min(end, base + plaintext.length) - base;
      if (lo >= plaintext.length) {
        // Only the final segment can be shorter than the range start (a non-final one holds S bytes).
        plaintext.fill(0);
        if (!final) throw invalidEnvelope('the envelope ends early', debug);
        throw new ValidationException({
          message: `range.start (${start}) is at or beyond the plaintext length (${base + plaintext.length}).`,
        });
      }
      parts.push(plaintext.slice(lo, hi));
      plaintext.fill(0);
      if (final) break;
    }
    return {
      plaintext: joinAndWipe(parts),
      encryptionContext: session.encryptionContext,
      keyId: session.keyId,
      signature: signer ? 'unverified' : 'none',
    };
  } catch (error) {
    for (const p of parts) p.fill(0);
    throw error instanceof NeedMore ? invalidEnvelope('the envelope ends early', debug) : typed(error, debug);
  } finally {
    session?.encKey.fill(0);
  }
}

function checkUnverifiedSignature(value: unknown, signerKeyIds: readonly string[] | undefined): boolean {
  if (value === undefined) return false;
  if (value !== 'allow') throw new ValidationException({ message: "unverifiedSignature must be 'allow' when given." });
  if (signerKeyIds !== undefined)
    throw new ValidationException({
      message: "unverifiedSignature: 'allow' contradicts signerKeyIds, which requires a verified signature.",
    });
  return true;
}
