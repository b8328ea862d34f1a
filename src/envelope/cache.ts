/**
 * DataKeyCache: reuse a data key across messages (encrypt) and skip repeated KMS Decrypt calls
 * for the same wrapped key (decrypt). Every message still gets its own HKDF-derived key (a fresh
 * message id), so reuse never repeats a nonce; the limits bound how much data one DEK protects.
 *
 * Unlike the AWS Encryption SDK's cache, it serves streams of unknown length: a stream takes an
 * entry when it starts and adds its bytes as it goes; once an entry's byte count passes
 * `maxBytes` it is retired (the stream in flight finishes under it; the next message gets a new
 * DEK).
 *
 * Every use gets its own copy of the DEK (its caller wipes it when done), so evicting or
 * replacing an entry never zeroes a key a message in flight is about to use. Entries belong to
 * the KmsLike object that made them (`scopeOf`): a cache shared by several clients or callers
 * never hands one of them a key that another's permissions obtained.
 */
import { ValidationException } from '../errors.js';
import { LIMITS } from './format.js';
import type { Recipient } from './header.js';

export interface DataKeyCacheOptions {
  /** An entry older than this is not used. */
  readonly maxAgeMs: number;
  /** Messages one cached DEK may encrypt (default and cap 2^32). */
  readonly maxMessages?: number;
  /** Plaintext bytes one cached DEK may encrypt (default: unlimited). */
  readonly maxBytes?: number;
  /** Entries kept; least recently used goes first (default 100). */
  readonly capacity?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now?: () => number;
}

interface EncryptEntry {
  readonly dek: Uint8Array;
  readonly recipients: readonly Recipient[];
  readonly created: number;
  messages: number;
  bytes: number;
  retired: boolean;
}

interface DecryptEntry {
  readonly dek: Uint8Array;
  readonly keyId: string;
  readonly created: number;
}

/** A decrypt hit: a copy of the DEK, the caller's to wipe. */
export interface CacheHit {
  readonly dek: Uint8Array;
  readonly keyId: string;
}

/** A handle a message keeps on the encrypt entry it used, to count its bytes. */
export interface CacheUse {
  /** A copy of the DEK, the caller's to wipe. */
  readonly dek: Uint8Array;
  readonly recipients: readonly Recipient[];
  addBytes(n: number): void;
}

/**
 * A cache of data keys for `encryptEnvelope`, `decryptEnvelope` and their streams (`cache` option).
 *
 * @example
 * ```ts
 * import { DataKeyCache, Kms, MemoryAuditSink, decryptEnvelope, encryptEnvelope } from 'kmsbox';
 *
 * const audit = new MemoryAuditSink();
 * const kms = new Kms({ audit });
 * const keyArn = (await kms.createKey({})).KeyMetadata!.Arn!;
 * // One data key for at most 5 minutes or 1000 messages, whichever comes first.
 * const cache = new DataKeyCache({ maxAgeMs: 5 * 60_000, maxMessages: 1000 });
 * for (const record of ['a', 'b', 'c']) {
 *   const envelope = await encryptEnvelope(new TextEncoder().encode(record), { kms, keyId: keyArn, cache });
 *   await decryptEnvelope(envelope, { kms, keyIds: [keyArn], cache });
 * }
 * const calls = audit.events.map((e) => e.eventName).filter((name) => name !== 'CreateKey');
 * console.log(calls.join(' ')); // GenerateDataKey Decrypt
 * ```
 */
export class DataKeyCache {
  readonly maxAgeMs: number;
  readonly maxMessages: number;
  readonly maxBytes: number;
  readonly capacity: number;
  readonly #now: () => number;
  readonly #encrypt = new Map<string, EncryptEntry>();
  readonly #decrypt = new Map<string, DecryptEntry>();
  readonly #scopes = new WeakMap<object, number>();

  constructor(options: DataKeyCacheOptions) {
    const {
      maxAgeMs,
      maxMessages = LIMITS.cacheMaxMessages,
      maxBytes = Number.POSITIVE_INFINITY,
      capacity = 100,
    } = options ?? ({} as DataKeyCacheOptions);
    if (!(typeof maxAgeMs === 'number' && maxAgeMs > 0))
      throw new ValidationException({ message: 'DataKeyCache: maxAgeMs must be a positive number.' });
    if (!Number.isInteger(maxMessages) || maxMessages < 1 || maxMessages > LIMITS.cacheMaxMessages) {
      throw new ValidationException({ message: `DataKeyCache: maxMessages must be an integer from 1 to ${LIMITS.cacheMaxMessages}.` });
    }
    if (!(typeof maxBytes === 'number' && maxBytes > 0))
      throw new ValidationException({ message: 'DataKeyCache: maxBytes must be a positive number.' });
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new ValidationException({ message: 'DataKeyCache: capacity must be a positive integer.' });
    this.maxAgeMs = maxAgeMs;
    this.maxMessages = maxMessages;
    this.maxBytes = maxBytes;
    this.capacity = capacity;
    this.#now = options.now ?? Date.now;
  }

  /** A number for the KmsLike object `kms`, part of every cache key made for it. */
  scopeOf(kms: object): number {
    let id = this.#scopes.get(kms);
    if (id === undefined) {
      id = this.#nextScope++;
      this.#scopes.set(kms, id);
    }
    return id;
  }
  #nextScope = 0;

  /** Entries held (both directions). */
  get size(): number {
    return this.#encrypt.size + this.#decrypt.size;
  }

  /** Takes an encrypt entry for one message, if a usable one exists. */
  takeForEncrypt(key: string, plaintextBytes: number): CacheUse | undefined {
    const entry = this.#encrypt.get(key);
    if (entry === undefined) return undefined;
    if (
      entry.retired ||
      this.#expired(entry.created) ||
      entry.messages >= this.maxMessages ||
      entry.bytes + plaintextBytes > this.maxBytes ||
      entry.bytes >= this.maxBytes
    ) {
      this.#drop(this.#encrypt, key);
      return undefined;
    }
    entry.messages += 1;
    this.#touch(this.#encrypt, key, entry);
    return this.#use(entry, plaintextBytes);
  }

  /** Stores a fresh DEK after a message took it (its first use counts). */
  putForEncrypt(key: string, dek: Uint8Array, recipients: readonly Recipient[], plaintextBytes: number): CacheUse {
    const entry: EncryptEntry = { dek: new Uint8Array(dek), recipients, created: this.#now(), messages: 1, bytes: 0, retired: false };
    this.#drop(this.#encrypt, key);
    this.#encrypt.set(key, entry);
    this.#evict(this.#encrypt);
    return this.#use(entry, plaintextBytes);
  }

  getForDecrypt(key: string): CacheHit | undefined {
    const entry = this.#decrypt.get(key);
    if (entry === undefined) return undefined;
    if (this.#expired(entry.created)) {
      this.#drop(this.#decrypt, key);
      return undefined;
    }
    this.#touch(this.#decrypt, key, entry);
    return { dek: new Uint8Array(entry.dek), keyId: entry.keyId };
  }

  putForDecrypt(key: string, dek: Uint8Array, keyId: string): void {
    this.#drop(this.#decrypt, key);
    this.#decrypt.set(key, { dek: new Uint8Array(dek), keyId, created: this.#now() });
    this.#evict(this.#decrypt);
  }

  /** Forgets (and zeroes) every entry. */
  clear(): void {
    for (const k of [...this.#encrypt.keys()]) this.#drop(this.#encrypt, k);
    for (const k of [...this.#decrypt.keys()]) this.#drop(this.#decrypt, k);
  }

  #use(entry: EncryptEntry, plaintextBytes: number): CacheUse {
    const max = this.maxBytes;
    entry.bytes += plaintextBytes;
    if (entry.bytes >= max) entry.retired = true; // a message that filled it: the next one gets a new DEK
    return {
      dek: new Uint8Array(entry.dek),
      recipients: entry.recipients,
      addBytes(n: number) {
        entry.bytes += n;
        if (entry.bytes >= max) entry.retired = true;
      },
    };
  }

  #expired(created: number): boolean {
    return this.#now() - created >= this.maxAgeMs;
  }

  #touch<E>(map: Map<string, E>, key: string, entry: E): void {
    map.delete(key);
    map.set(key, entry);
  }

  #drop(map: Map<string, { dek: Uint8Array }>, key: string): void {
    const entry = map.get(key);
    if (entry === undefined) return;
    map.delete(key);
    entry.dek.fill(0); // messages in flight hold copies, not this buffer
  }

  #evict(map: Map<string, { dek: Uint8Array }>): void {
    while (map.size > this.capacity) this.#drop(map, map.keys().next().value!);
  }
}
