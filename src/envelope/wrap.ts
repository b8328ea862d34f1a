/**
 * The KMS side of an envelope: getting a data key wrapped for every recipient (encrypt) and
 * getting it back from one of them (decrypt), through the DataKeyCache when there is one.
 */
import { HEADER_BYTES as BLOB_HEADER_BYTES, TAG_BYTES as BLOB_TAG_BYTES } from '../blob/ciphertext-blob.js';
import { toHex } from '../crypto/bytes.js';
import { IncorrectKeyException, UnsupportedOperationException, ValidationException } from '../errors.js';
import type { CacheUse, DataKeyCache } from './cache.js';
import { DEK_BYTES, LIMITS, RECIPIENT_TYPE } from './format.js';
import { encodeContext, type Recipient, utf8Length } from './header.js';
import { decodeKeyId } from '../keys/arn.js';
import { keyIdPart, sameKey, type KmsLike } from './kms-like.js';
import { admit, callerAccount, trusts, type KeyTrust } from './trust.js';
import { invalidEnvelope } from './invalid.js';

export interface WrappedKey {
  /** The DEK. The caller derives its message keys and then calls `done`. */
  readonly dek: Uint8Array;
  readonly recipients: readonly Recipient[];
  /** Counts plaintext bytes against the cache entry (no-op without a cache). */
  addBytes(n: number): void;
  /** Wipes this message's DEK (a cache hands out copies). */
  done(): void;
}

/** The kmsbox blob's own key id, if `blob` is a kmsbox ciphertext blob; undefined for anything else (e.g. AWS's opaque blobs). */
export function blobKeyId(blob: Uint8Array): string | undefined {
  // What decodeBlob accepts (version 1 or 2, header and tag present), reading only the key id: no
  // decoded-blob object and no views on every envelope read and write (test/envelope/wrap.test.ts).
  const version = blob[0];
  if (blob.length < BLOB_HEADER_BYTES + BLOB_TAG_BYTES || (version !== 1 && version !== 2)) return undefined;
  return decodeKeyId(blob, 1);
}

const contextKey = (context: Record<string, string>) => (Object.keys(context).length === 0 ? '' : toHex(encodeContext(context)));

export async function wrapDataKey(
  kms: KmsLike,
  keyIds: readonly string[],
  context: Record<string, string>,
  cache: DataKeyCache | undefined,
  plaintextBytes: number,
): Promise<WrappedKey> {
  const cacheKey = cache && JSON.stringify([cache.scopeOf(kms), keyIds, contextKey(context)]);
  const hit = cache?.takeForEncrypt(cacheKey!, plaintextBytes);
  if (hit) return fromCache(hit);

  const ctx = Object.keys(context).length === 0 ? {} : { EncryptionContext: context };
  const first = await kms.generateDataKey({ KeyId: keyIds[0]!, KeySpec: 'AES_256', ...ctx });
  const dek = first.Plaintext;
  if (!(dek instanceof Uint8Array) || dek.length !== DEK_BYTES || !(first.CiphertextBlob instanceof Uint8Array)) {
    throw new ValidationException({ message: 'GenerateDataKey did not return a 32-byte data key and its ciphertext.' });
  }
  try {
    const recipients: Recipient[] = [recipient(first.CiphertextBlob, first.KeyId ?? keyIds[0]!)];
    for (const keyId of keyIds.slice(1)) {
      const out = await kms.encrypt({ KeyId: keyId, Plaintext: dek, ...ctx });
      if (!(out.CiphertextBlob instanceof Uint8Array)) throw new ValidationException({ message: 'Encrypt did not return a ciphertext.' });
      recipients.push(recipient(out.CiphertextBlob, out.KeyId ?? keyId));
    }
    if (cache) {
      const use = cache.putForEncrypt(cacheKey!, dek, recipients, plaintextBytes);
      dek.fill(0);
      return fromCache(use);
    }
    return { dek, recipients, addBytes() {}, done: () => dek.fill(0) };
  } catch (error) {
    dek.fill(0);
    throw error;
  }
}

/** The use's DEK is a copy made for this message: wiped when the message is done with it. */
function fromCache(use: CacheUse): WrappedKey {
  return { dek: use.dek, recipients: use.recipients, addBytes: (n) => use.addBytes(n), done: () => use.dek.fill(0) };
}

/**
 * keyRef is null when the blob names its own key (a kmsbox blob): the ARN would add ~77 bytes.
 * The KeyId KMS reported is checked before it is written: one that no reader accepts (longer than
 * the format's bound, not well-formed text) would make an envelope that nobody can decrypt.
 */
function recipient(blob: Uint8Array, arn: unknown): Recipient {
  if (typeof arn !== 'string' || arn.length === 0 || !arn.isWellFormed() || utf8Length(arn) > LIMITS.keyRefBytes) {
    throw new ValidationException({
      message: `KMS reported a KeyId that an envelope cannot name (at most ${LIMITS.keyRefBytes} bytes of text).`,
    });
  }
  const own = blobKeyId(blob);
  return { type: RECIPIENT_TYPE.kms, keyRef: own !== undefined && own === keyIdPart(arn) ? null : arn, wrapped: blob };
}

export interface Unwrapped {
  readonly dek: Uint8Array;
  /** The ARN KMS reported. */
  readonly keyId: string;
  /** Wipes this message's DEK (a cache hands out copies). */
  done(): void;
}

const errorName = (e: unknown) => (e as { name?: unknown })?.name;

/**
 * Tries the recipients in order: only those `trust` admits (src/envelope/trust.ts), at most one
 * KMS call each, with the KeyId the trust gives, stopping at the first that yields a 32-byte key.
 * A recipient that is not admitted never reaches KMS, so neither does the context for it. The
 * first KMS error that is not about the ciphertext (AccessDenied, NotFound, Disabled…) is what a
 * total failure reports.
 */
export async function unwrapDataKey(
  kms: KmsLike,
  recipients: readonly Recipient[],
  context: Record<string, string>,
  trust: KeyTrust,
  cache: DataKeyCache | undefined,
  debug: boolean,
): Promise<Unwrapped> {
  const known = recipients.filter((r) => r.type === RECIPIENT_TYPE.kms);
  if (known.length === 0)
    throw new UnsupportedOperationException({ message: 'None of the envelope recipients is of a type this reader supports.' });
  const candidates: Array<{ r: Recipient; ref: string; keyId: string | undefined }> = [];
  const caller = trust.mode === 'discovery' && trust.filter !== undefined ? callerAccount(kms) : undefined;
  for (const r of known) {
    const own = r.keyRef === null ? blobKeyId(r.wrapped) : undefined;
    const admitted = admit(trust, r.keyRef, own, caller);
    if (admitted !== undefined) candidates.push({ r, ref: (r.keyRef ?? own)!, keyId: admitted.keyId });
  }
  if (candidates.length === 0) {
    if (trust.mode === 'keys') throw new IncorrectKeyException({ message: 'None of the keys that wrapped this envelope is in keyIds.' });
    if (trust.filter !== undefined)
      throw new IncorrectKeyException({ message: 'None of the keys that wrapped this envelope is in the discovery filter.' });
    throw invalidEnvelope('no recipient names its key', debug);
  }
  // Only a cache needs the context as a key (hex of its canonical CBOR): no encoding without one.
  const ctxKey = cache === undefined ? '' : contextKey(context);
  const ctx = Object.keys(context).length === 0 ? {} : { EncryptionContext: context };
  let firstError: unknown;
  for (const { r, ref, keyId: pinned } of candidates) {
    // A bare key id as KeyId means the caller's own account, whatever account a cached ARN names:
    // such a call is answered only by an entry that the same call made (an ARN is compared exactly by `trusts`).
    const barePin = pinned !== undefined && !pinned.startsWith('arn:') ? pinned : null;
    const cacheKey = cache && JSON.stringify([cache.scopeOf(kms), toHex(r.wrapped), ref, ctxKey, barePin]);
    const hit = cache?.getForDecrypt(cacheKey!);
    if (hit && trusts(trust, hit.keyId)) return { dek: hit.dek, keyId: hit.keyId, done: () => hit.dek.fill(0) };
    hit?.dek.fill(0);
    let out: Awaited<ReturnType<KmsLike['decrypt']>>;
    try {
      // KeyId pins the key KMS may use: it refuses a blob of any other key (IncorrectKeyException).
      out = await kms.decrypt(
        pinned === undefined ? { CiphertextBlob: r.wrapped, ...ctx } : { CiphertextBlob: r.wrapped, KeyId: pinned, ...ctx },
      );
    } catch (error) {
      if (errorName(error) !== 'InvalidCiphertextException' && firstError === undefined) firstError = error;
      continue;
    }
    const dek = out.Plaintext;
    // Without a reported KeyId, the key KMS was told to use (never the header's own claim when pinned).
    const keyId = out.KeyId ?? pinned ?? ref;
    if (!sameKey(ref, keyId) || !trusts(trust, keyId)) {
      dek?.fill(0);
      throw new IncorrectKeyException({
        message: 'KMS unwrapped the data key with a key other than the one the envelope names, or one the reader does not trust.',
      });
    }
    if (!(dek instanceof Uint8Array) || dek.length !== DEK_BYTES) {
      dek?.fill(0);
      throw invalidEnvelope('the unwrapped data key is not 32 bytes', debug);
    }
    if (cache) {
      cache.putForDecrypt(cacheKey!, dek, keyId);
    }
    return { dek, keyId, done: () => dek.fill(0) };
  }
  if (firstError !== undefined) throw firstError;
  throw invalidEnvelope('no recipient could be unwrapped', debug);
}
