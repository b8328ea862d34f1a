/**
 * Reading an envelope incrementally: HEADER → MAC → SEGMENTS → (SIGNATURE) → DONE. The buffer
 * API feeds it one chunk, the stream API many; both get the same checks. A segment's plaintext
 * is handed out only after its tag verified; the reader is done only after the final segment
 * (and the signature, if any) verified, so `end()` throws on truncation.
 */
import { IncorrectKeyException, LimitExceededException } from '../errors.js';
import { CborError, MAJOR, NeedMore, Reader } from './cbor.js';
import { LIMITS, MAC_BYTES, MAC_ITEM_BYTES, SIGNATURE_ITEM_HEAD, SIGNERS, TAG_BYTES } from './format.js';
import { encodeContext, parseHeader, type Header } from './header.js';
import { equalBytes } from '../crypto/bytes.js';
import { messageKeys } from './key-schedule.js';
import { allowed } from './kms-like.js';
import { invalidEnvelope, typed } from './invalid.js';
import { checkDecryptOptions, checkKms, type DecryptOptions, type ReadPolicy } from './options.js';
import { segmentCipher, type SegmentCipher } from './segments.js';
import { Transcript, signatureItemBytes, verifySignature } from './signature.js';
import { unwrapDataKey } from './wrap.js';

type Emit = (plaintext: Uint8Array) => void;

/** What an authenticated header yields. */
export interface Session {
  readonly header: Header;
  readonly headerLength: number;
  readonly encryptionContext: Record<string, string>;
  readonly keyId: string;
  readonly cipher: SegmentCipher;
  readonly segmentSize: number;
  readonly transcript: Transcript | undefined;
  /** K_enc, wiped when the message ends or fails. */
  readonly encKey: Uint8Array;
}

/** Parses the header item and the MAC item at the start of `bytes`; NeedMore when they are not all there. */
export function parsePrefix(
  bytes: Uint8Array,
  policy: Pick<ReadPolicy, 'maxRecipients' | 'maxHeaderBytes'>,
): { header: Header; headerEnd: number; mac: Uint8Array } {
  const reader = new Reader(bytes);
  let header: Header;
  try {
    header = parseHeader(reader, policy);
  } catch (error) {
    if (error instanceof NeedMore && error.needed > policy.maxHeaderBytes) throw headerTooLarge(policy.maxHeaderBytes);
    throw error;
  }
  const headerEnd = reader.pos;
  if (headerEnd > policy.maxHeaderBytes) throw headerTooLarge(policy.maxHeaderBytes);
  const mac = reader.bytesOf(MAC_BYTES, MAC_BYTES);
  return { header, headerEnd, mac };
}

const headerTooLarge = (max: number) =>
  new LimitExceededException({ message: `The envelope header is larger than ${max} bytes (maxHeaderBytes).` });

/** Checks the context and signer policy, unwraps the data key and verifies the header MAC. */
export async function openSession(
  opts: DecryptOptions,
  policy: ReadPolicy,
  prefix: Uint8Array,
  header: Header,
  headerEnd: number,
  mac: Uint8Array,
): Promise<Session> {
  const debug = opts.debug === true;
  let context: Record<string, string>;
  if (header.contextNotStored) {
    context = policy.required;
    if (Object.keys(context).length === 0)
      throw invalidEnvelope('the context was not stored; supply all of it as encryptionContext', debug);
  } else {
    context = { ...(header.context ?? {}) };
    for (const [k, v] of Object.entries(policy.required)) {
      if (!Object.hasOwn(context, k) || context[k] !== v)
        throw invalidEnvelope('a required encryption context pair is missing or different', debug);
    }
  }
  if (policy.signerKeyIds !== undefined) {
    if (header.signer === undefined)
      throw new IncorrectKeyException({ message: 'A signature is required (signerKeyIds) but the envelope is not signed.' });
    if (!allowed(policy.signerKeyIds, header.signer.keyRef))
      throw new IncorrectKeyException({ message: 'The envelope is signed by a key that is not in signerKeyIds.' });
  }
  const unwrapped = await unwrapDataKey(checkKms(opts.kms), header.recipients, context, policy.trust, opts.cache, debug);
  const headerBytes = prefix.subarray(0, headerEnd);
  const withheld = header.contextNotStored ? encodeContext(context) : undefined;
  const keys = messageKeys(header.suite, unwrapped.dek, header.messageId, headerBytes, withheld);
  unwrapped.done();
  if (!equalBytes(keys.mac, mac)) {
    keys.encKey.fill(0);
    throw invalidEnvelope('header MAC mismatch', debug);
  }
  let transcript: Transcript | undefined;
  if (header.signer) {
    transcript = new Transcript();
    transcript.add(prefix.subarray(0, headerEnd + MAC_ITEM_BYTES));
  }
  return {
    header,
    headerLength: headerEnd + MAC_ITEM_BYTES,
    encryptionContext: context,
    keyId: unwrapped.keyId,
    // The MAC just computed (equal to the one received, which is a view into the caller's bytes).
    cipher: segmentCipher(keys.encKey, keys.mac),
    segmentSize: 2 ** header.segmentSizeLog2,
    transcript,
    encKey: keys.encKey,
  };
}

const isBstrHead = (b: number) => b >> 5 === MAJOR.bytes;

/** Separates the 16-byte tag at the end of a segment body given in pieces (it may span pieces). */
function splitTag(body: Uint8Array[]): { pieces: Uint8Array[]; tag: Uint8Array } {
  const last = body[body.length - 1]!;
  if (last.length >= TAG_BYTES) {
    const pieces = body.slice(0, -1);
    if (last.length > TAG_BYTES) pieces.push(last.subarray(0, last.length - TAG_BYTES));
    return { pieces, tag: last.subarray(last.length - TAG_BYTES) };
  }
  const tag = new Uint8Array(TAG_BYTES);
  // Stryker disable next-line MethodExpression: the caller drops its list right after (#data sets #pieces = []), so popping from it in place changes nothing
  const pieces = body.slice();
  let need = TAG_BYTES;
  while (need > 0) {
    const p = pieces.pop()!;
    const n = Math.min(need, p.length);
    tag.set(p.subarray(p.length - n), need - n);
    need -= n;
    if (n < p.length) pieces.push(p.subarray(0, p.length - n));
  }
  return { pieces, tag };
}

export class EnvelopeReader {
  readonly #opts: DecryptOptions;
  readonly #policy: ReadPolicy;
  readonly #debug: boolean;
  readonly #maxSegments: number;
  #state: 'header' | 'segments' | 'signature' | 'done' = 'header';
  #failed = false;
  // header phase
  #acc = new Uint8Array(0);
  #accLen = 0;
  #need = 1;
  // segment phase
  #session: Session | undefined;
  #index = 0;
  readonly #head = new Uint8Array(9);
  #headLen = 0;
  #bodyLen = -1;
  #bodyFill = 0;
  /** The segment body so far, as views into the chunks written (no copy to join them). */
  #pieces: Uint8Array[] = [];
  #pending: { head: Uint8Array; pieces: Uint8Array[]; tag: Uint8Array } | undefined;
  #sig: Uint8Array | undefined;
  #sigFill = 0;
  #signerKeyId: string | undefined;

  /** `limits` is internal: a test lowers the 2^32 segment limit (format.ts LIMITS) to reach it. */
  constructor(opts: DecryptOptions, limits: { readonly maxSegments?: number } = {}) {
    this.#policy = checkDecryptOptions(opts);
    this.#opts = opts;
    this.#debug = opts.debug === true;
    this.#maxSegments = limits.maxSegments ?? LIMITS.maxSegments;
  }

  get session(): Session | undefined {
    return this.#session;
  }
  get signerKeyId(): string | undefined {
    return this.#signerKeyId;
  }

  /**
   * Reads a chunk. Past the header, with a synchronous cipher (node:crypto), the whole chunk is read
   * without a promise: a stream pays no promise hops per chunk beyond its own (bench/ceilings.ts).
   */
  push(chunk: Uint8Array, emit: Emit): void | Promise<void> {
    if (this.#state === 'header' || this.#failed || !(chunk instanceof Uint8Array)) return this.#pushAsync(chunk, emit);
    try {
      const pending = this.#data(chunk, emit);
      if (pending) return pending.catch((error: unknown) => this.#fail(error));
    } catch (error) {
      this.#fail(error);
    }
  }

  /** The header phase (it awaits KMS), and any chunk after a failure or that is not bytes (typed errors, as a rejection). */
  async #pushAsync(chunk: Uint8Array, emit: Emit): Promise<void> {
    if (this.#failed) throw invalidEnvelope('the reader already failed', this.#debug);
    try {
      if (!(chunk instanceof Uint8Array)) throw new CborError('input chunks must be Uint8Array');
      let data = chunk;
      // Stryker disable next-line ConditionalExpression: → true is equivalent: push() sends a chunk here past the header only when the reader failed or the chunk is not bytes, and both threw above
      if (this.#state === 'header') {
        const rest = this.#headerBytes(chunk);
        if (rest === undefined) return;
        const { bytes, offset, headerEnd, header, mac } = rest;
        this.#session = await openSession(this.#opts, this.#policy, bytes, header, headerEnd, mac);
        // Abandoned while KMS answered: the keys just made go now (#fail wipes them).
        if (this.#failed) throw invalidEnvelope('the reader was abandoned', this.#debug);
        // Stryker disable next-line StringLiteral: any state but 'header', 'signature' and 'done' reads segments; 'segments' names it
        this.#state = 'segments';
        data = bytes.subarray(offset);
      }
      const pending = this.#data(data, emit);
      // Stryker disable next-line ConditionalExpression: → true awaits undefined, one idle tick
      if (pending) await pending;
    } catch (error) {
      this.#fail(error);
    }
  }

  /**
   * Ends the input: throws (as a rejection) unless the final segment, and the signature if any,
   * verified. Synchronous when there is nothing left to open (a whole envelope read at once).
   */
  end(emit: Emit): void | Promise<void> {
    // Stryker disable next-line ConditionalExpression,StringLiteral: → true (or a state that is never 'done') takes the async path, which checks the same and ends the same, a tick later (→ false and && are killed)
    if (this.#failed || this.#pending || this.#state !== 'done') return this.#endAsync(emit);
    this.#wipe();
  }

  async #endAsync(emit: Emit): Promise<void> {
    await this.#guard(async () => {
      if (this.#pending) await this.#finishPending(true, emit);
      if (this.#state !== 'done') throw new NeedMore(0);
      this.#wipe();
    });
  }

  /** Maps failures to typed errors and makes the reader unusable after one. */
  async #guard(step: () => Promise<void>): Promise<void> {
    if (this.#failed) throw invalidEnvelope('the reader already failed', this.#debug);
    try {
      await step();
    } catch (error) {
      this.#fail(error);
    }
  }

  #fail(error: unknown): never {
    this.#failed = true;
    this.#wipe();
    throw typed(error, this.#debug);
  }

  #wipe(): void {
    this.#session?.encKey.fill(0);
  }

  /**
   * Ends the message early (its stream was cancelled, aborted or destroyed): K_enc is wiped now,
   * or as soon as a header that is waiting for KMS has it, and every later call fails.
   */
  abandon(): void {
    this.#failed = true;
    this.#wipe();
  }

  /** Collects header bytes; returns the complete prefix once header and MAC are there. */
  #headerBytes(chunk: Uint8Array): { bytes: Uint8Array; offset: number; headerEnd: number; header: Header; mac: Uint8Array } | undefined {
    let bytes: Uint8Array;
    // Stryker disable next-line ConditionalExpression: → false copies the chunk into the accumulator and parses the same bytes
    if (this.#accLen === 0) {
      bytes = chunk;
    } else {
      const limit = this.#policy.maxHeaderBytes + MAC_ITEM_BYTES;
      // Stryker disable next-line MethodExpression,ArithmeticOperator: a larger take only copies more segment data into the accumulator; the bytes parsed are the same (Math.max → Math.min loses bytes and is killed)
      const take = Math.min(chunk.length, Math.max(0, limit - this.#accLen));
      this.#append(chunk.subarray(0, take));
      // Stryker disable next-line ConditionalExpression,EqualityOperator: → true / <= joins a copy of the same bytes (→ false / >= loses the rest of the chunk and is killed)
      if (take < chunk.length) {
        // Everything past the limit is segment data, or the header is too large: parse decides.
        bytes = new Uint8Array(this.#accLen + chunk.length - take);
        bytes.set(this.#acc.subarray(0, this.#accLen), 0);
        bytes.set(chunk.subarray(take), this.#accLen);
      } else {
        bytes = this.#acc.subarray(0, this.#accLen);
      }
    }
    // Stryker disable next-line BlockStatement,ConditionalExpression: without the early return (or with → false) the parse throws NeedMore again and the catch below does the same (→ true is killed)
    if (bytes.length < this.#need) {
      // Stryker disable next-line ConditionalExpression: here bytes === chunk only for an empty first chunk (#need is 1 until a NeedMore, which appends); → true duplicates bytes and is killed
      if (bytes === chunk) this.#append(chunk);
      return undefined;
    }
    try {
      const { header, headerEnd, mac } = parsePrefix(bytes, this.#policy);
      return { bytes, offset: headerEnd + MAC_ITEM_BYTES, headerEnd, header, mac };
    } catch (error) {
      if (!(error instanceof NeedMore)) throw error;
      this.#need = error.needed;
      if (bytes === chunk) this.#append(chunk);
      return undefined;
    }
  }

  #append(part: Uint8Array): void {
    // Stryker disable next-line EqualityOperator: → >= grows a buffer that already fits, changing no byte (→ <= is killed)
    if (this.#accLen + part.length > this.#acc.length) {
      // Stryker disable next-line ArithmeticOperator: acc.length / 2 still leaves accLen + part.length as the size needed (accLen - part.length is killed)
      const grown = new Uint8Array(Math.max(this.#accLen + part.length, this.#acc.length * 2, 1024));
      grown.set(this.#acc.subarray(0, this.#accLen), 0);
      this.#acc = grown;
    }
    this.#acc.set(part, this.#accLen);
    this.#accLen += part.length;
  }

  /** Reads segment (and signature) bytes from `off`; a promise only where a step awaits (a signature check, an async cipher). */
  #data(buf: Uint8Array, emit: Emit, off = 0): void | Promise<void> {
    const s = this.#session!;
    const full = s.segmentSize + TAG_BYTES;
    while (off < buf.length) {
      if (this.#state === 'done') throw new CborError('data after the end of the envelope');
      if (this.#state === 'signature') {
        return this.#signatureBytes(buf, off).then((next) => this.#data(buf, emit, next));
      }
      if (this.#pending) {
        const b = buf[off]!;
        const final = b === SIGNATURE_ITEM_HEAD && s.header.signer !== undefined;
        if (!final && !isBstrHead(b)) throw new CborError('unexpected item after a segment');
        const opening = this.#finishPending(final, emit);
        const at = off;
        if (opening) return opening.then(() => this.#data(buf, emit, at));
        continue;
      }
      if (this.#bodyLen < 0) {
        off = this.#segmentHead(buf, off, full);
        continue;
      }
      const take = Math.min(buf.length - off, this.#bodyLen - this.#bodyFill);
      // A whole chunk is kept as is (the usual case behind kmsbox's encrypt stream): no view to make.
      this.#pieces.push(off === 0 && take === buf.length ? buf : buf.subarray(off, off + take));
      this.#bodyFill += take;
      off += take;
      if (this.#bodyFill < this.#bodyLen) continue;
      const head = this.#head.slice(0, this.#headLen);
      const length = this.#bodyLen;
      const { pieces, tag } = splitTag(this.#pieces);
      this.#pieces = [];
      this.#headLen = 0;
      this.#bodyLen = -1;
      this.#bodyFill = 0;
      if (length < full) {
        const opening = this.#openSegment(head, pieces, tag, true, emit);
        const at = off;
        if (opening) return opening.then(() => this.#data(buf, emit, at));
      } else this.#pending = { head, pieces, tag }; // full length: the next byte (or the end) tells whether it is final
    }
  }

  /** Reads a segment's byte-string head (possibly split across chunks); checks its length before any body byte is read. */
  #segmentHead(buf: Uint8Array, off: number, full: number): number {
    if (this.#headLen === 0 && !isBstrHead(buf[off]!)) throw new CborError('expected a segment');
    const info = (this.#headLen === 0 ? buf[off]! : this.#head[0]!) & 0x1f;
    const size = info < 24 ? 1 : info <= 27 ? 1 + (1 << (info - 24)) : 0;
    if (size === 0) throw new CborError('indefinite or reserved segment length');
    const take = Math.min(size - this.#headLen, buf.length - off);
    this.#head.set(buf.subarray(off, off + take), this.#headLen);
    this.#headLen += take;
    if (this.#headLen < size) return off + take;
    const length = new Reader(this.#head.subarray(0, size)).expectHead(MAJOR.bytes);
    if (length > full) throw new CborError('segment longer than the segment size');
    if (length < TAG_BYTES || (length === TAG_BYTES && this.#index > 0)) throw new CborError('segment too short');
    this.#bodyLen = length;
    this.#bodyFill = 0;
    return off + take;
  }

  #finishPending(final: boolean, emit: Emit): void | Promise<void> {
    const p = this.#pending!;
    this.#pending = undefined;
    return this.#openSegment(p.head, p.pieces, p.tag, final, emit);
  }

  #openSegment(head: Uint8Array, pieces: Uint8Array[], tag: Uint8Array, final: boolean, emit: Emit): void | Promise<void> {
    const s = this.#session!;
    if (this.#index >= this.#maxSegments) throw new CborError('too many segments');
    const opening = s.cipher.openPieces(this.#index, final, pieces, tag);
    if (opening instanceof Promise) return opening.then((plaintext) => this.#opened(plaintext, head, pieces, tag, final, emit));
    this.#opened(opening, head, pieces, tag, final, emit);
  }

  #opened(plaintext: Uint8Array[] | undefined, head: Uint8Array, pieces: Uint8Array[], tag: Uint8Array, final: boolean, emit: Emit): void {
    const s = this.#session!;
    if (plaintext === undefined) throw invalidEnvelope(`segment ${this.#index}: authentication failed`, this.#debug);
    s.transcript?.add(head, ...pieces, tag);
    this.#index += 1;
    if (final) this.#state = s.header.signer ? 'signature' : 'done';
    for (const p of plaintext) if (p.length > 0) emit(p);
  }

  async #signatureBytes(buf: Uint8Array, off: number): Promise<number> {
    const s = this.#session!;
    const signer = s.header.signer!;
    const size = signatureItemBytes(signer.alg);
    this.#sig ??= new Uint8Array(size);
    const take = Math.min(size - this.#sigFill, buf.length - off);
    this.#sig.set(buf.subarray(off, off + take), this.#sigFill);
    this.#sigFill += take;
    if (this.#sigFill < size) return off + take;
    const r = new Reader(this.#sig);
    // Stryker disable next-line StringLiteral: unreachable, arrayOf(1, 1) throws its own error unless the array has one element
    if (r.arrayOf(1, 1) !== 1) throw new CborError('signature item');
    const n = SIGNERS[signer.alg].signatureBytes;
    const raw = r.bytesOf(n, n);
    // Stryker disable next-line ConditionalExpression,StringLiteral: unreachable, size is exactly a one-element array of an n-byte string (signatureItemBytes), which bytesOf(n, n) reads (→ true is killed)
    if (r.pos !== size) throw new CborError('signature item has the wrong length');
    this.#signerKeyId = await verifySignature(checkKms(this.#opts.kms), signer, s.transcript!, raw, this.#policy.signerKeyIds, this.#debug);
    this.#state = 'done';
    return off + take;
  }
}
