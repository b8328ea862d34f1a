/**
 * The write side of an envelope stream, shared by the WHATWG stream (encrypt.ts) and the
 * node:stream one (node-streams.ts): holds up to one segment of plaintext (only the end of input
 * tells whether it is the final one) as views into the chunks written, and seals it once more input
 * follows. Chunks must not be modified after they are written (as with any stream).
 */
import { LimitExceededException } from '../errors.js';
import { MAJOR, headSize, writeHead } from './cbor.js';
import type { Opening } from './encrypt.js';
import { LIMITS, TAG_BYTES } from './format.js';

export class SegmentWriter {
  readonly #o: Opening;
  readonly #enqueue: (bytes: Uint8Array) => void;
  #held: Uint8Array[] = [];
  #heldBytes = 0;
  #index = 0;

  /** `enqueue` gets the envelope's bytes in order, from the first segment on (the caller sends `o.prefix` first). */
  constructor(o: Opening, enqueue: (bytes: Uint8Array) => void) {
    this.#o = o;
    this.#enqueue = enqueue;
  }

  /**
   * Holds `chunk` from `off` on, sealing each full segment before more input is held. Synchronous
   * unless the cipher is async: no promise per chunk on node:crypto.
   */
  write(chunk: Uint8Array, off = 0): void | Promise<void> {
    const S = this.#o.segmentSize;
    while (off < chunk.length) {
      if (this.#heldBytes === S) {
        const sealing = this.#seal(false); // more input follows: not the final segment
        const at = off;
        if (sealing) return sealing.then(() => this.write(chunk, at));
      }
      const take = Math.min(S - this.#heldBytes, chunk.length - off);
      // A whole chunk is held as is: a Buffer's subarray is a costly object, made per chunk otherwise.
      this.#held.push(off === 0 && take === chunk.length ? chunk : chunk.subarray(off, off + take));
      this.#heldBytes += take;
      off += take;
    }
  }

  /** Seals the final segment, wipes the keys and adds the signature, if any. */
  async end(): Promise<void> {
    await this.#seal(true);
    this.#o.wipe();
    if (this.#o.signer) this.#enqueue(await this.#o.signer.finish());
  }

  /** Abandons the message (the stream was destroyed): the keys are wiped and the held chunks let go. */
  abandon(): void {
    this.#held = [];
    this.#heldBytes = 0;
    this.#o.wipe();
  }

  #seal(final: boolean): void | Promise<void> {
    if (this.#index >= LIMITS.maxSegments - 1 && !final)
      throw new LimitExceededException({ message: `An envelope holds at most ${LIMITS.maxSegments} segments; use a larger segmentSize.` });
    const sealing = this.#o.cipher.sealPieces(this.#index, final, this.#held);
    // node:crypto seals synchronously: then no promise at all (a stream pays per chunk for each).
    if (sealing instanceof Promise) return sealing.then((pieces) => this.#send(pieces));
    this.#send(sealing);
  }

  #send(pieces: Uint8Array[]): void {
    const n = this.#heldBytes;
    this.#index += 1;
    this.#o.wrapped.addBytes(n);
    const head = new Uint8Array(headSize(n + TAG_BYTES));
    writeHead(head, 0, MAJOR.bytes, n + TAG_BYTES);
    this.#o.signer?.transcript.add(head, ...pieces);
    // The item goes out as its pieces: no copy of the segment to join them.
    this.#enqueue(head);
    for (const p of pieces) this.#enqueue(p);
    this.#held = [];
    this.#heldBytes = 0;
  }
}
