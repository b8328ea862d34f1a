/** The public option shapes and their validation (ValidationException in AWS's style). */
import { backend, type CryptoBackend } from '../crypto/backend/index.js';
import { ValidationException } from '../errors.js';
import type { DataKeyCache } from './cache.js';
import { encodedContextLength } from './header.js';
import { asKmsLike, type KmsClientLike, type KmsLike } from './kms-like.js';
import { DEFAULT_SUITE, LIMITS, RESERVED_CONTEXT_PREFIX, SUITES, type SuiteId } from './format.js';
import { setOwn } from '../api/set-own.js';
import { parseKeyRef } from '../keys/arn.js';
import { checkTrust, type DiscoveryFilter, type KeyTrust } from './trust.js';

export interface EncryptOptions {
  readonly kms: KmsLike | KmsClientLike;
  /** The KMS key (id, ARN, alias) that makes the data key; further keys each wrap it too (any one decrypts). */
  readonly keyId: string | readonly string[];
  readonly encryptionContext?: Readonly<Record<string, string>>;
  /**
   * Plaintext bytes per segment: a power of two from 4 KiB to 16 MiB. Default 1 MiB under Node
   * (node:crypto), 256 KiB in browsers (WebCrypto). A stream holds about one segment each way and a
   * range read reads at most two, so smaller segments mean less memory per stream and cheaper range
   * reads; larger ones fewer ciphers and stream chunks per byte. Every reader reads every size, the
   * 256 KiB envelopes written under Node before the default changed included.
   */
  readonly segmentSize?: number;
  readonly cache?: DataKeyCache;
  /** false: keep the context off the wire (decrypt must then supply all of it). Default true. */
  readonly storeContext?: boolean;
  /** A KMS SIGN_VERIFY key (ECC_NIST_P256, ECC_NIST_P384 or ECC_NIST_EDWARDS25519) that signs the message. */
  readonly signingKeyId?: string;
  /**
   * The algorithm suite (docs/envelope-format.md §5). Default 2. Suite 1 is for envelopes that
   * readers older than suite 2 must read (they refuse suite 2 with UnsupportedOperationException);
   * every reader since reads both.
   */
  readonly suite?: 1 | 2;
}

export interface DecryptOptions {
  readonly kms: KmsLike | KmsClientLike;
  /** Pairs the message must have been encrypted with (all of the context when it was not stored). */
  readonly encryptionContext?: Readonly<Record<string, string>>;
  readonly cache?: DataKeyCache;
  /** Recipients accepted (default 16, at most 255). */
  readonly maxRecipients?: number;
  /** Header bytes accepted (default 64 KiB, at most 1 MiB). */
  readonly maxHeaderBytes?: number;
  /**
   * Strict mode: only these KMS keys (key ARNs or key ids, not aliases) may unwrap the data key.
   * Decrypting needs this or `discovery`.
   */
  readonly keyIds?: readonly string[];
  /**
   * Instead of `keyIds`: `true` lets any key the envelope names unwrap the data key (the header is
   * not authenticated until then, so the message's author chooses the key); `{ accountIds,
   * partition }` limits that to keys in those accounts (the AWS Encryption SDK's discovery filter).
   */
  readonly discovery?: boolean | DiscoveryFilter;
  /** A signature by one of these keys (ARNs or key ids) is required. */
  readonly signerKeyIds?: readonly string[];
  /** Keep the internal reason for an InvalidCiphertextException on its `cause`. */
  readonly debug?: boolean;
}

export interface EnvelopeResult {
  readonly plaintext: Uint8Array;
  readonly encryptionContext: Record<string, string>;
  /** The ARN of the KMS key that unwrapped the data key. */
  readonly keyId: string;
  /** The ARN of the key whose signature verified, when the message was signed. */
  readonly signerKeyId?: string;
  /** 'verified': the message was signed and the signature verified; 'none': it was not signed. */
  readonly signature: 'verified' | 'none';
}

export interface RangeOptions extends DecryptOptions {
  /**
   * A range read cannot check a signature (it covers every byte). A signed envelope is refused
   * unless this is 'allow'; the result then says `signature: 'unverified'`.
   */
  readonly unverifiedSignature?: 'allow';
}

export interface RangeResult {
  readonly plaintext: Uint8Array;
  readonly encryptionContext: Record<string, string>;
  /** The ARN of the KMS key that unwrapped the data key. */
  readonly keyId: string;
  /** 'unverified': the envelope is signed and nothing here checked it; 'none': it is not signed. */
  readonly signature: 'unverified' | 'none';
}

const invalid = (message: string) => new ValidationException({ message });

export function checkKms(kms: unknown): KmsLike {
  const k = asKmsLike(kms);
  if (k === undefined) throw invalid('kms must be a Kms or an AWS SDK KMS client (KMS or KMSClient).');
  return k;
}

export function checkKeyIds(keyId: unknown): string[] {
  const ids = typeof keyId === 'string' ? [keyId] : Array.isArray(keyId) ? [...(keyId as unknown[])] : undefined;
  if (ids === undefined || ids.length === 0 || ids.some((k) => typeof k !== 'string' || k.length === 0)) {
    throw invalid('keyId must be a key id, ARN or alias, or a non-empty list of them.');
  }
  if (ids.length > LIMITS.recipientsHardCap) throw invalid(`An envelope can have at most ${LIMITS.recipientsHardCap} recipients.`);
  return ids as string[];
}

/** log2 of the segment size a writer uses unless told: what the runtime's cipher runs best at (format.ts LIMITS). */
export function defaultSegmentSizeLog2(using: CryptoBackend = backend): number {
  return using.name === 'node' ? LIMITS.segmentSizeLog2.default : LIMITS.segmentSizeLog2.portableDefault;
}

export function checkSegmentSize(size: unknown): number {
  if (size === undefined) return defaultSegmentSizeLog2();
  // An exact power of two: Math.log2 alone rounds 4096.000000000001 to 12.
  const log2 =
    Number.isSafeInteger(size) && (size as number) > 0 && ((size as number) & ((size as number) - 1)) === 0
      ? Math.log2(size as number)
      : Number.NaN;
  if (!Number.isInteger(log2) || log2 < LIMITS.segmentSizeLog2.min || log2 > LIMITS.segmentSizeLog2.max) {
    throw invalid(`segmentSize must be a power of two from ${2 ** LIMITS.segmentSizeLog2.min} to ${2 ** LIMITS.segmentSizeLog2.max}.`);
  }
  return log2;
}

/** Validates a context for writing; returns a plain copy. */
export function checkContext(context: unknown, forWrite: boolean): Record<string, string> {
  if (context === undefined) return {};
  if (typeof context !== 'object' || context === null || Array.isArray(context))
    throw invalid('encryptionContext must be an object of string values.');
  const out: Record<string, string> = {};
  const entries = Object.entries(context);
  if (entries.length > LIMITS.contextPairs) throw invalid(`encryptionContext can have at most ${LIMITS.contextPairs} pairs.`);
  for (const [k, v] of entries) {
    if (typeof v !== 'string' || k.length === 0 || !k.isWellFormed() || !v.isWellFormed()) {
      throw invalid('encryptionContext keys must be non-empty strings and its values strings, all well-formed Unicode.');
    }
    if (forWrite && k.startsWith(RESERVED_CONTEXT_PREFIX))
      throw invalid(`encryptionContext keys starting with "${RESERVED_CONTEXT_PREFIX}" are reserved.`);
    setOwn(out, k, v);
  }
  if (forWrite && entries.length > 0 && encodedContextLength(out) > LIMITS.contextEncodedBytes) {
    throw invalid(`encryptionContext is too large: at most ${LIMITS.contextEncodedBytes} bytes encoded.`);
  }
  return out;
}

export function checkPlaintext(plaintext: unknown): Uint8Array {
  if (!(plaintext instanceof Uint8Array)) throw invalid('plaintext must be a Uint8Array.');
  return plaintext;
}

const CACHE_METHODS = ['scopeOf', 'takeForEncrypt', 'putForEncrypt', 'getForDecrypt', 'putForDecrypt'] as const;

/** The cache option: absent, or a DataKeyCache (anything else is the caller's mistake, not an internal error). */
export function checkCache(cache: unknown): DataKeyCache | undefined {
  if (cache === undefined) return undefined;
  // By its methods, not instanceof: the ESM and CommonJS builds each have their own class.
  const c = cache as Partial<Record<(typeof CACHE_METHODS)[number], unknown>> | null;
  if (typeof c === 'object' && c !== null && CACHE_METHODS.every((m) => typeof c[m] === 'function')) return cache as DataKeyCache;
  throw invalid('cache must be a DataKeyCache.');
}

/** storeContext: absent (true) or a boolean; "false" as a string must not quietly store the context. */
export function checkStoreContext(value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'boolean') throw invalid('storeContext must be a boolean.');
  return value;
}

export interface ReadPolicy {
  readonly maxRecipients: number;
  readonly maxHeaderBytes: number;
  readonly trust: KeyTrust;
  readonly signerKeyIds?: readonly string[] | undefined;
  readonly required: Record<string, string>;
}

export function checkDecryptOptions(opts: DecryptOptions): ReadPolicy {
  if (typeof opts !== 'object' || opts === null) throw invalid('Decrypt options are required.');
  checkKms(opts.kms);
  checkCache(opts.cache);
  const maxRecipients = opts.maxRecipients ?? LIMITS.recipientsDefault;
  if (!Number.isInteger(maxRecipients) || maxRecipients < 1 || maxRecipients > LIMITS.recipientsHardCap) {
    throw invalid(`maxRecipients must be an integer from 1 to ${LIMITS.recipientsHardCap}.`);
  }
  const maxHeaderBytes = opts.maxHeaderBytes ?? LIMITS.headerBytesDefault;
  if (!Number.isInteger(maxHeaderBytes) || maxHeaderBytes < 64 || maxHeaderBytes > LIMITS.headerBytesHardCap) {
    throw invalid(`maxHeaderBytes must be an integer from 64 to ${LIMITS.headerBytesHardCap}.`);
  }
  const list = (v: unknown, name: string): readonly string[] | undefined => {
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s.length === 0))
      throw invalid(`${name} must be a list of key ids or ARNs.`);
    // As keyIds (src/envelope/trust.ts): a trusted signer must not move when an alias does.
    if (v.some((s) => parseKeyRef(s as string)?.kind !== 'key')) throw invalid(`${name} must list key ARNs or key ids (not aliases).`);
    return [...(v as string[])];
  };
  return {
    maxRecipients,
    maxHeaderBytes,
    trust: checkTrust(opts.keyIds, opts.discovery),
    signerKeyIds: list(opts.signerKeyIds, 'signerKeyIds'),
    required: checkContext(opts.encryptionContext, false),
  };
}

/** The suite to write (format.ts SUITES): the default, or 1 for readers older than suite 2. */
export function checkSuite(suite: unknown): SuiteId {
  if (suite === undefined) return DEFAULT_SUITE;
  if (typeof suite !== 'number' || !Object.hasOwn(SUITES, suite)) {
    throw invalid(`suite must be one of ${Object.keys(SUITES).join(', ')}.`);
  }
  return suite as SuiteId;
}
