/// <reference types="node" />
/**
 * Envelope streams as node:stream Transforms (kmsbox/node), for `stream.pipeline` with files and
 * sockets, as the AWS Encryption SDK for Node offers them. The same bytes and checks as the WHATWG
 * streams (encrypt.ts, decrypt.ts): the write side is the same SegmentWriter, the read side the same
 * EnvelopeReader; only the stream machinery differs. The WHATWG streams cost a promise and a
 * queue entry per chunk each way, which caps them at about 82–86% of raw AES-GCM on node:crypto
 * (bench/stream-floor.ts); a Transform calls back synchronously (bench/ceilings.ts, stream row).
 * Each chunk is not enciphered as it arrives: a segment's nonce says whether it is the final one,
 * known only when more input or the end comes, so a segment is held (as views) and sealed whole;
 * that costs nothing measurable (BENCHMARKS.md, "Node streams").
 */
import { Transform, type TransformCallback } from 'node:stream';
import { ValidationException } from '../errors.js';
import { open, type EncryptInternals } from './encrypt.js';
import { typed } from './invalid.js';
import type { DecryptOptions, EncryptOptions } from './options.js';
import { EnvelopeReader } from './reader.js';
import { SegmentWriter } from './segment-writer.js';

/**
 * Object mode on the writable side: a chunk that is not bytes reaches `_transform` and fails there
 * as a ValidationException, where a byte-mode stream's write() throws Node's own TypeError. One
 * chunk queued before write() asks the producer to wait: what a byte-mode stream's 16 KiB does
 * for chunks of 16 KiB and more (fs streams read 64 KiB), so memory does not grow with the chunk
 * size. 16 chunks, or a readable high-water mark of a segment, read the same in
 * bench/ceilings.ts's stream row.
 */
const WRITABLE = { writableObjectMode: true, writableHighWaterMark: 1 } as const;

const notBytes = () => new ValidationException({ message: 'plaintext chunks must be Uint8Array (a Buffer) or string.' });

/**
 * Runs one stream step and calls back when it is done: at once when it ran synchronously (no
 * promise per chunk on node:crypto), typed on failure.
 */
function settle(step: () => void | Promise<void>, callback: TransformCallback): void {
  let pending: void | Promise<void>;
  try {
    pending = step();
  } catch (error) {
    callback(typed(error, false));
    return;
  }
  if (!pending) callback();
  else
    pending.then(
      () => callback(),
      (error: unknown) => callback(typed(error, false)),
    );
}

/** Plaintext in, envelope bytes out (see createEncryptNodeStream). */
class EncryptNodeStream extends Transform {
  readonly #opts: EncryptOptions;
  readonly #internals: EncryptInternals;
  #writer: SegmentWriter | undefined;

  constructor(opts: EncryptOptions, internals: EncryptInternals) {
    super(WRITABLE);
    this.#opts = opts;
    this.#internals = internals;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.#opts, 0, this.#internals).then(
      (o) => {
        this.#writer = new SegmentWriter(o, (bytes) => this.push(bytes));
        this.push(o.prefix);
        callback();
      },
      (error: unknown) => callback(typed(error, false)),
    );
  }

  override _transform(chunk: unknown, encoding: BufferEncoding, callback: TransformCallback): void {
    settle(() => {
      const bytes = chunk instanceof Uint8Array ? chunk : typeof chunk === 'string' ? Buffer.from(chunk, encoding) : undefined;
      if (bytes === undefined) throw notBytes();
      return this.#writer!.write(bytes);
    }, callback);
  }

  override _flush(callback: TransformCallback): void {
    settle(() => this.#writer!.end(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#writer?.abandon();
    callback(error);
  }
}

/** Envelope bytes in, verified plaintext out (see createDecryptNodeStream). */
class DecryptNodeStream extends Transform {
  readonly #reader: EnvelopeReader;
  readonly #emit = (plaintext: Uint8Array): void => void this.push(plaintext);

  constructor(opts: DecryptOptions) {
    super(WRITABLE);
    this.#reader = new EnvelopeReader(opts);
  }

  override _transform(chunk: unknown, _encoding: BufferEncoding, callback: TransformCallback): void {
    // The reader types whatever is not bytes (InvalidCiphertextException), as the WHATWG stream's does.
    settle(() => this.#reader.push(chunk as Uint8Array, this.#emit), callback);
  }

  override _flush(callback: TransformCallback): void {
    settle(() => this.#reader.end(this.#emit), callback);
  }

  // A stream destroyed while the header's KMS call is pending: the reader, abandoned, fails that
  // chunk and wipes the keys it gets (reader.ts #pushAsync), so nothing is pushed then or later.
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#reader.abandon();
    callback(error);
  }
}

/**
 * A node:stream Transform from plaintext to envelope bytes: the same bytes as createEncryptStream
 * and encryptEnvelope, for `stream.pipeline`. Chunks are Buffers, Uint8Arrays or strings (UTF-8
 * unless written with another encoding); up to one segment is held as views into the chunks
 * written, so they must not be modified after they are written. Failures (the KMS call, bad
 * chunks) destroy the stream with a typed KMSServiceException.
 *
 * @example
 * ```ts
 * import { createReadStream, createWriteStream } from 'node:fs';
 * import { readFile, writeFile } from 'node:fs/promises';
 * import { pipeline } from 'node:stream/promises';
 * import { Kms, createDecryptNodeStream, createEncryptNodeStream } from 'kmsbox/node';
 *
 * const kms = new Kms();
 * const keyArn = (await kms.createKey({})).KeyMetadata!.Arn!;
 * await writeFile('report.txt', 'quarterly numbers');
 * await pipeline(createReadStream('report.txt'), createEncryptNodeStream({ kms, keyId: keyArn }), createWriteStream('report.kmsbox'));
 * // Use the output only once the pipeline resolved: a bad or cut envelope rejects it, after what
 * // verified before the bad segment was written (decryptFile writes nothing then).
 * await pipeline(createReadStream('report.kmsbox'), createDecryptNodeStream({ kms, keyIds: [keyArn] }), createWriteStream('copy.txt'));
 * console.log(await readFile('copy.txt', 'utf8')); // quarterly numbers
 * ```
 */
export function createEncryptNodeStream(opts: EncryptOptions): Transform {
  return new EncryptNodeStream(opts, {});
}

/** createEncryptNodeStream with the test seam (EncryptInternals); not exported from the package. */
export function createEncryptNodeStreamWith(opts: EncryptOptions, internals: EncryptInternals): Transform {
  return new EncryptNodeStream(opts, internals);
}

/**
 * A node:stream Transform from envelope bytes to plaintext, with createDecryptStream's checks: a
 * segment's plaintext is pushed only after its tag verified, and a truncated, extended or tampered
 * envelope destroys the stream with InvalidCiphertextException instead of ending it. Act on the
 * output only once the stream ended without an error (a signature is verified after the last
 * segment). Bad options throw here, typed, as createDecryptStream does.
 */
export function createDecryptNodeStream(opts: DecryptOptions): Transform {
  return new DecryptNodeStream(opts);
}
