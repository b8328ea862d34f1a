/** Reading envelopes: one buffer (`decryptEnvelope`), a WHATWG stream (`createDecryptStream`), or just the header (`inspectEnvelope`). */
import { joinAndWipe } from '../crypto/bytes.js';
import { ValidationException } from '../errors.js';
import { NeedMore } from './cbor.js';
import { LIMITS, SIGNERS, SUITES } from './format.js';
import type { Recipient } from './header.js';
import { invalidEnvelope, typed } from './invalid.js';
import type { DecryptOptions, EnvelopeResult } from './options.js';
import { EnvelopeReader, parsePrefix } from './reader.js';
import { blobKeyId } from './wrap.js';
import type { WithCancel } from './encrypt.js';

/**
 * Decrypts a whole envelope. No plaintext is returned unless every segment (and the signature) verified.
 * `keyIds` (or an explicit `discovery`) says which KMS keys may unwrap its data key.
 *
 * @example
 * ```ts
 * import { InvalidCiphertextException, Kms, decryptEnvelope, encryptEnvelope } from 'kmsbox';
 *
 * const kms = new Kms();
 * const keyArn = (await kms.createKey({})).KeyMetadata!.Arn!;
 * const envelope = await encryptEnvelope(new TextEncoder().encode('hello'), { kms, keyId: keyArn });
 * const { plaintext, keyId } = await decryptEnvelope(envelope, { kms, keyIds: [keyArn] });
 * console.log(new TextDecoder().decode(plaintext), keyId === keyArn); // hello true
 *
 * envelope[envelope.length - 1]! ^= 1; // one flipped bit
 * const error = await decryptEnvelope(envelope, { kms, keyIds: [keyArn] }).catch((e: unknown) => e);
 * console.log(error instanceof InvalidCiphertextException); // true
 * ```
 */
export async function decryptEnvelope(envelope: Uint8Array, opts: DecryptOptions): Promise<EnvelopeResult> {
  const reader = new EnvelopeReader(opts);
  if (!(envelope instanceof Uint8Array)) throw new ValidationException({ message: 'envelope must be a Uint8Array.' });
  const parts: Uint8Array[] = [];
  const collect = (p: Uint8Array) => parts.push(p);
  try {
    // Each step is awaited only when it returned a promise: no idle microtask hops.
    const pushing = reader.push(envelope, collect);
    if (pushing) await pushing;
    const ending = reader.end(collect);
    if (ending) await ending;
  } catch (error) {
    for (const p of parts) p.fill(0);
    throw error;
  }
  const session = reader.session!;
  const plaintext = parts.length === 0 ? new Uint8Array(0) : joinAndWipe(parts);
  // Literals, not spreads: this runs once per envelope.
  const signerKeyId = reader.signerKeyId;
  return signerKeyId === undefined
    ? { plaintext, encryptionContext: session.encryptionContext, keyId: session.keyId, signature: 'none' }
    : { plaintext, encryptionContext: session.encryptionContext, keyId: session.keyId, signerKeyId, signature: 'verified' };
}

/**
 * A TransformStream from envelope bytes to plaintext. A segment's plaintext is enqueued only after
 * its tag verified; a truncated, extended or tampered envelope errors the stream instead of closing
 * it. Act on the output only once the stream has closed without error: a signature is verified
 * only after the last segment, so until then a signed message's output may be an insider's forgery.
 */
export function createDecryptStream(opts: DecryptOptions): TransformStream<Uint8Array, Uint8Array> {
  const reader = new EnvelopeReader(opts);
  // One emit function per stream (the controller is the same on every call), not one per chunk.
  let emit: ((p: Uint8Array) => void) | undefined;
  const transformer: Transformer<Uint8Array, Uint8Array> & WithCancel = {
    transform: (chunk, controller) => reader.push(chunk, (emit ??= (p) => controller.enqueue(p))),
    flush: (controller) => reader.end((p) => controller.enqueue(p)),
    // Cancelled or aborted: the message is abandoned and K_enc wiped (a failure wipes it already).
    cancel: () => reader.abandon(),
  };
  return new TransformStream<Uint8Array, Uint8Array>(transformer);
}

export interface EnvelopeInfo {
  readonly version: 1;
  readonly suite: { readonly id: number; readonly name: string };
  readonly messageId: Uint8Array;
  readonly segmentSize: number;
  /** Recipients in order; keyId is the stored ARN or the key id a kmsbox blob names. */
  readonly recipients: ReadonlyArray<{ readonly type: number; readonly keyId?: string; readonly wrappedBytes: number }>;
  /** The stored encryption context ({} when empty or withheld). */
  readonly encryptionContext: Record<string, string>;
  readonly contextStored: boolean;
  readonly signer?: { readonly keyId: string; readonly signingAlgorithm: string };
  /** Bytes of the header and MAC items: segment 0 starts here. */
  readonly headerLength: number;
  /** Always false: nothing here is authenticated until a decrypt verifies the header MAC. */
  readonly verified: false;
}

/** Header facts without any key. `bytes` must hold at least the header and MAC items (more is fine). */
export function inspectEnvelope(bytes: Uint8Array): EnvelopeInfo {
  try {
    if (!(bytes instanceof Uint8Array)) throw new ValidationException({ message: 'inspectEnvelope takes a Uint8Array.' });
    const { header, headerEnd } = parsePrefix(bytes, {
      maxRecipients: LIMITS.recipientsHardCap,
      maxHeaderBytes: LIMITS.headerBytesHardCap,
    });
    const describe = (r: Recipient) => {
      const keyId = r.keyRef ?? (r.type === 1 ? blobKeyId(r.wrapped) : undefined);
      return { type: r.type, ...(keyId === undefined ? {} : { keyId }), wrappedBytes: r.wrapped.length };
    };
    return {
      version: 1,
      suite: { id: header.suite, name: SUITES[header.suite].name },
      messageId: header.messageId.slice(),
      segmentSize: 2 ** header.segmentSizeLog2,
      recipients: header.recipients.map(describe),
      encryptionContext: { ...(header.context ?? {}) },
      contextStored: !header.contextNotStored,
      ...(header.signer ? { signer: { keyId: header.signer.keyRef, signingAlgorithm: SIGNERS[header.signer.alg].algorithm } } : {}),
      headerLength: headerEnd + 34,
      verified: false,
    };
  } catch (error) {
    if (error instanceof NeedMore) throw invalidEnvelope('fewer bytes than the header', false);
    throw typed(error, false);
  }
}
