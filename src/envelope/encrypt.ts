/** Writing envelopes: one buffer (`encryptEnvelope`) or a WHATWG stream (`createEncryptStream`), same bytes. */
import { randomBytes } from '../crypto/random.js';
import { ValidationException } from '../errors.js';
import { MAJOR, headSize, writeHead } from './cbor.js';
import { DEFAULT_SUITE, LIMITS, MAC_BYTES, MESSAGE_ID_BYTES, TAG_BYTES } from './format.js';
import { encodeContext, encodeHeader } from './header.js';
import { deriveMessageKeys, headerMac, wipeKeys } from './keys.js';
import { checkContext, checkKeyIds, checkKms, checkPlaintext, checkSegmentSize, type EncryptOptions } from './options.js';
import { segmentCipher, segmentCount, type SegmentCipher } from './segments.js';
import { prepareSigner, type MessageSigner } from './signature.js';
import { wrapDataKey, type WrappedKey } from './wrap.js';

/** What every message starts with. */
interface Opening {
  /** The header item followed by the MAC item. */
  readonly prefix: Uint8Array;
  readonly cipher: SegmentCipher;
  readonly segmentSize: number;
  readonly wrapped: WrappedKey;
  readonly signer: MessageSigner | undefined;
  /** Wipes the message keys once the last segment is sealed. */
  readonly wipe: () => void;
}

/** Test seam: fixes the message id (golden vectors). Not part of the public API. */
export interface EncryptInternals {
  readonly messageId?: Uint8Array;
}

async function open(opts: EncryptOptions, plaintextBytes: number, internals: EncryptInternals): Promise<Opening> {
  if (typeof opts !== 'object' || opts === null) throw new ValidationException({ message: 'Encrypt options are required.' });
  const kms = checkKms(opts.kms);
  const keyIds = checkKeyIds(opts.keyId);
  const context = checkContext(opts.encryptionContext, true);
  const segmentSizeLog2 = checkSegmentSize(opts.segmentSize);
  const storeContext = opts.storeContext !== false;
  const signer = opts.signingKeyId === undefined ? undefined : await prepareSigner(kms, opts.signingKeyId);
  const wrapped = await wrapDataKey(kms, keyIds, context, opts.cache, plaintextBytes);
  const messageId = internals.messageId ?? randomBytes(MESSAGE_ID_BYTES);
  const hasContext = Object.keys(context).length > 0;
  const headerBytes = encodeHeader({
    suite: DEFAULT_SUITE,
    messageId,
    segmentSizeLog2,
    recipients: wrapped.recipients,
    context: storeContext ? context : undefined,
    contextNotStored: !storeContext && hasContext,
    signer: signer?.header,
  });
  const keys = deriveMessageKeys(wrapped.dek, messageId, DEFAULT_SUITE);
  wrapped.done();
  const mac = headerMac(keys, headerBytes, !storeContext && hasContext ? encodeContext(context) : undefined);
  keys.macKey.fill(0);
  const prefix = new Uint8Array(headerBytes.length + 2 + MAC_BYTES);
  prefix.set(headerBytes, 0);
  prefix.set(mac, writeHead(prefix, headerBytes.length, MAJOR.bytes, MAC_BYTES));
  // The cipher keeps its own reference to the key; it is wiped when the message ends.
  const cipher = segmentCipher(keys.encKey, mac);
  signer?.transcript.add(prefix);
  return { prefix, cipher, segmentSize: 2 ** segmentSizeLog2, wrapped, signer, wipe: () => wipeKeys(keys) };
}

/** Encrypts `plaintext` into one envelope. */
export async function encryptEnvelope(plaintext: Uint8Array, opts: EncryptOptions, internals: EncryptInternals = {}): Promise<Uint8Array> {
  checkPlaintext(plaintext);
  const o = await open(opts, plaintext.length, internals);
  const S = o.segmentSize;
  const n = segmentCount(plaintext.length, S);
  let size = o.prefix.length;
  for (let i = 0; i < n; i++) {
    const sealedLength = Math.min(S, plaintext.length - i * S) + TAG_BYTES;
    size += headSize(sealedLength) + sealedLength;
  }
  // One output buffer sized up front; the cipher's pieces are copied straight into it.
  const out = new Uint8Array(size);
  out.set(o.prefix, 0);
  let at = o.prefix.length;
  for (let i = 0; i < n; i++) {
    const part = plaintext.subarray(i * S, Math.min(plaintext.length, (i + 1) * S));
    const start = at;
    at = writeHead(out, at, MAJOR.bytes, part.length + TAG_BYTES);
    for (const piece of await o.cipher.sealParts(i, i === n - 1, part)) {
      out.set(piece, at);
      at += piece.length;
    }
    o.signer?.transcript.add(out.subarray(start, at));
  }
  o.wipe();
  if (!o.signer) return out;
  const signature = await o.signer.finish();
  const signed = new Uint8Array(out.length + signature.length);
  signed.set(out, 0);
  signed.set(signature, out.length);
  return signed;
}

/**
 * A TransformStream from plaintext chunks to envelope bytes. Memory: one segment of plaintext
 * held back (only the end of input tells whether it is the final one) plus the segment in flight.
 */
export function createEncryptStream(opts: EncryptOptions, internals: EncryptInternals = {}): TransformStream<Uint8Array, Uint8Array> {
  let o: Opening;
  let held: Uint8Array;
  let fill = 0;
  let index = 0;
  const emit = async (controller: TransformStreamDefaultController<Uint8Array>, part: Uint8Array, final: boolean): Promise<void> => {
    if (index >= LIMITS.maxSegments - 1 && !final) throw new RangeError('too many segments');
    const parts = await o.cipher.sealParts(index, final, part);
    index += 1;
    o.wrapped.addBytes(part.length);
    const length = parts.reduce((n, p) => n + p.length, 0);
    const head = new Uint8Array(headSize(length));
    writeHead(head, 0, MAJOR.bytes, length);
    o.signer?.transcript.add(head, ...parts);
    // The item goes out as its pieces: no copy of the segment to join them.
    controller.enqueue(head);
    for (const p of parts) controller.enqueue(p);
  };
  return new TransformStream<Uint8Array, Uint8Array>({
    async start(controller) {
      o = await open(opts, 0, internals);
      held = new Uint8Array(o.segmentSize);
      controller.enqueue(o.prefix);
    },
    async transform(chunk, controller) {
      checkPlaintext(chunk);
      const S = o.segmentSize;
      let off = 0;
      while (off < chunk.length) {
        if (fill === S) {
          await emit(controller, held, false); // more input follows: not the final segment
          fill = 0;
        }
        // Whole segments straight from the chunk when more follows them: no copy.
        while (fill === 0 && chunk.length - off > S) {
          await emit(controller, chunk.subarray(off, off + S), false);
          off += S;
        }
        const take = Math.min(S - fill, chunk.length - off);
        held.set(chunk.subarray(off, off + take), fill);
        fill += take;
        off += take;
      }
    },
    async flush(controller) {
      await emit(controller, held.subarray(0, fill), true);
      held.fill(0);
      o.wipe();
      if (o.signer) controller.enqueue(await o.signer.finish());
    },
  });
}

