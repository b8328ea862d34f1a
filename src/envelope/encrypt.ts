/** Writing envelopes: one buffer (`encryptEnvelope`) or a WHATWG stream (`createEncryptStream`), same bytes. */
import { publicRandomBytes } from '../crypto/random.js';
import { typed } from './invalid.js';
import { ValidationException } from '../errors.js';
import { MAJOR, headSize, writeHead } from './cbor.js';
import { MAC_BYTES, MAC_ITEM_BYTES, MESSAGE_ID_BYTES, TAG_BYTES } from './format.js';
import { encodeContext, encodeHeader, type Header } from './header.js';
import { messageKeys, type MessageKeys } from './key-schedule.js';
import {
  checkCache,
  checkContext,
  checkKeyIds,
  checkKms,
  checkPlaintext,
  checkSegmentSize,
  checkStoreContext,
  checkSuite,
  type EncryptOptions,
} from './options.js';
import { SegmentWriter } from './segment-writer.js';
import { segmentCipher, segmentCount, type SegmentCipher } from './segments.js';
import { prepareSigner, type MessageSigner } from './signature.js';
import { wrapDataKey, type WrappedKey } from './wrap.js';

/** What every message starts with. */
export interface Opening {
  /** The header item followed by the MAC item: a view of the start of `out`. */
  readonly prefix: Uint8Array;
  /** The prefix followed by the `trailing` bytes `open` was asked to reserve (zeros). */
  readonly out: Uint8Array;
  readonly cipher: SegmentCipher;
  readonly segmentSize: number;
  readonly wrapped: WrappedKey;
  readonly signer: MessageSigner | undefined;
  /** Wipes the message keys once the last segment is sealed. */
  readonly wipe: () => void;
}

/**
 * Test seam: fixes the message id (golden vectors). Not part of the public API: only the `…With`
 * functions take it, and the package exports none of them (a fixed id with a cached data key
 * would give two messages one K_enc and one nonce sequence).
 */
export interface EncryptInternals {
  readonly messageId?: Uint8Array;
}

/**
 * Checks the options, gets the data key wrapped and writes header and MAC. `trailing(S)`: bytes to
 * reserve after them for a message of segment size S (the whole buffer API allocates its output
 * once; a stream reserves nothing).
 */
export async function open(
  opts: EncryptOptions,
  plaintextBytes: number,
  internals: EncryptInternals,
  trailing: (segmentSize: number) => number = () => 0,
): Promise<Opening> {
  if (typeof opts !== 'object' || opts === null) throw new ValidationException({ message: 'Encrypt options are required.' });
  const kms = checkKms(opts.kms);
  const keyIds = checkKeyIds(opts.keyId);
  const context = checkContext(opts.encryptionContext, true);
  const segmentSizeLog2 = checkSegmentSize(opts.segmentSize);
  const storeContext = checkStoreContext(opts.storeContext);
  const suite = checkSuite(opts.suite);
  const cache = checkCache(opts.cache);
  const signer = opts.signingKeyId === undefined ? undefined : await prepareSigner(kms, opts.signingKeyId);
  const messageId = internals.messageId ?? publicRandomBytes(MESSAGE_ID_BYTES);
  if (!(messageId instanceof Uint8Array) || messageId.length !== MESSAGE_ID_BYTES) throw new RangeError('the message id must be 32 bytes');
  const hasContext = Object.keys(context).length > 0;
  const segmentSize = 2 ** segmentSizeLog2;
  const reserve = MAC_ITEM_BYTES + trailing(segmentSize);
  const wrapped = await wrapDataKey(kms, keyIds, context, cache, plaintextBytes);
  const header: Header = {
    suite,
    messageId,
    segmentSizeLog2,
    recipients: wrapped.recipients,
    context: storeContext ? context : undefined,
    contextNotStored: !storeContext && hasContext,
    signer: signer?.header,
  };
  let out: Uint8Array;
  let keys: MessageKeys;
  try {
    out = encodeHeader(header, reserve);
    const withheld = header.contextNotStored ? encodeContext(context) : undefined;
    keys = messageKeys(suite, wrapped.dek, messageId, out.subarray(0, out.length - reserve), withheld);
  } finally {
    wrapped.done(); // the DEK is wiped whether or not the header and keys were made
  }
  const headerLength = out.length - reserve;
  const { encKey, mac } = keys;
  out.set(mac, writeHead(out, headerLength, MAJOR.bytes, MAC_BYTES));
  const prefix = reserve === MAC_ITEM_BYTES ? out : out.subarray(0, headerLength + MAC_ITEM_BYTES);
  // The cipher keeps its own reference to the key; it is wiped when the message ends.
  const cipher = segmentCipher(encKey, mac);
  signer?.transcript.add(prefix);
  return { prefix, out, cipher, segmentSize, wrapped, signer, wipe: () => encKey.fill(0) };
}

/**
 * Encrypts `plaintext` into one envelope (docs/envelope-format.md): a fresh data key, wrapped by
 * each of `keyId`'s KMS keys, encrypts it in authenticated segments.
 *
 * @example
 * ```ts
 * import { Kms, decryptEnvelope, encryptEnvelope } from 'kmsbox';
 *
 * const kms = new Kms();
 * const keyArn = (await kms.createKey({})).KeyMetadata!.Arn!;
 * const envelope = await encryptEnvelope(new TextEncoder().encode('hello'), {
 *   kms,
 *   keyId: keyArn,
 *   encryptionContext: { tenant: 't1' },
 * });
 * const { plaintext } = await decryptEnvelope(envelope, { kms, keyIds: [keyArn], encryptionContext: { tenant: 't1' } });
 * console.log(new TextDecoder().decode(plaintext)); // hello
 * ```
 */
export function encryptEnvelope(plaintext: Uint8Array, opts: EncryptOptions): Promise<Uint8Array> {
  return encryptEnvelopeWith(plaintext, opts, {});
}

/** encryptEnvelope with the test seam (EncryptInternals); not exported from the package. */
export async function encryptEnvelopeWith(plaintext: Uint8Array, opts: EncryptOptions, internals: EncryptInternals): Promise<Uint8Array> {
  try {
    return await sealWhole(plaintext, opts, internals);
  } catch (error) {
    throw typed(error, false);
  }
}

async function sealWhole(plaintext: Uint8Array, opts: EncryptOptions, internals: EncryptInternals): Promise<Uint8Array> {
  checkPlaintext(plaintext);
  // One output buffer sized up front (header, MAC and every segment item); the cipher's pieces
  // are copied straight into it.
  const o = await open(opts, plaintext.length, internals, (S) => {
    let size = 0;
    for (let i = 0, n = segmentCount(plaintext.length, S); i < n; i++) {
      const sealedLength = Math.min(S, plaintext.length - i * S) + TAG_BYTES;
      size += headSize(sealedLength) + sealedLength;
    }
    return size;
  });
  const S = o.segmentSize;
  const n = segmentCount(plaintext.length, S);
  const out = o.out;
  let at = o.prefix.length;
  try {
    for (let i = 0; i < n; i++) {
      const part = plaintext.subarray(i * S, Math.min(plaintext.length, (i + 1) * S));
      const start = at;
      at = writeHead(out, at, MAJOR.bytes, part.length + TAG_BYTES);
      // node:crypto seals synchronously: no promise per segment then.
      const sealing = o.cipher.sealPieces(i, i === n - 1, [part]);
      for (const piece of sealing instanceof Promise ? await sealing : sealing) {
        out.set(piece, at);
        at += piece.length;
      }
      o.signer?.transcript.add(out.subarray(start, at));
    }
  } finally {
    o.wipe(); // K_enc, also when a seal failed
  }
  if (!o.signer) return out;
  const signature = await o.signer.finish();
  const signed = new Uint8Array(out.length + signature.length);
  signed.set(out, 0);
  signed.set(signature, out.length);
  return signed;
}

/**
 * A TransformStream from plaintext chunks to envelope bytes. It holds back up to one segment of
 * plaintext (only the end of input tells whether it is the final one) as views into the chunks
 * written, so chunks must not be modified after they are written (as with any stream).
 *
 * @example
 * ```ts
 * import { Kms, createDecryptStream, createEncryptStream } from 'kmsbox';
 *
 * const kms = new Kms();
 * const keyArn = (await kms.createKey({})).KeyMetadata!.Arn!;
 * const source = new Blob(['a stream ', 'of any length']).stream();
 * const decrypted = source
 *   .pipeThrough(createEncryptStream({ kms, keyId: keyArn }))
 *   .pipeThrough(createDecryptStream({ kms, keyIds: [keyArn] }));
 * // Act on decrypted data only once the stream has ended without an error.
 * console.log(await new Response(decrypted).text()); // a stream of any length
 * ```
 */
export function createEncryptStream(opts: EncryptOptions): TransformStream<Uint8Array, Uint8Array> {
  return createEncryptStreamWith(opts, {});
}

/** createEncryptStream with the test seam (EncryptInternals); not exported from the package. */
export function createEncryptStreamWith(opts: EncryptOptions, internals: EncryptInternals): TransformStream<Uint8Array, Uint8Array> {
  let writer: SegmentWriter | undefined;
  // A stream that fails, or is cancelled or aborted, abandons its message: K_enc is wiped then,
  // not only after the final segment (from the attacker review of session 9).
  const failed = (error: unknown) => {
    writer?.abandon();
    return typed(error, false);
  };
  const transformer: Transformer<Uint8Array, Uint8Array> & WithCancel = {
    start: (controller) =>
      typedStep(async () => {
        const o = await open(opts, 0, internals);
        writer = new SegmentWriter(o, (bytes) => controller.enqueue(bytes));
        controller.enqueue(o.prefix);
      }),
    // Synchronous unless a step awaits (an async cipher): no promise per chunk on node:crypto.
    transform: (chunk) => {
      try {
        checkPlaintext(chunk);
        const pending = writer!.write(chunk);
        return pending?.catch((error: unknown) => Promise.reject(failed(error)));
      } catch (error) {
        throw failed(error);
      }
    },
    flush: () => writer!.end().catch((error: unknown) => Promise.reject(failed(error))),
    cancel: () => writer?.abandon(),
  };
  return new TransformStream<Uint8Array, Uint8Array>(transformer);
}

/**
 * A transformer's `cancel`, which TypeScript's DOM types lack: the stream calls it when its
 * readable side is cancelled or its writable side aborted (WHATWG Streams; Node ≥ 20, Chromium).
 */
export interface WithCancel {
  cancel?: (reason: unknown) => void | Promise<void>;
}

/** Runs one stream step; whatever fails comes out typed (the stream errors with it). */
async function typedStep(step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    throw typed(error, false);
  }
}
