/// <reference types="node" />
/**
 * FileProvider (Node): every key record and all material in one key-store file under a root key
 * (from a passphrase via scrypt, or a 32-byte root key file): a snapshot followed by an
 * append-only journal, each entry sealed on its own and chained to the one before
 * (journal-store.ts does the file, store-file.ts and journal.ts describe the format). A write
 * appends one entry under an inter-process lock file and fsyncs it: it costs what it changes
 * (issue #17 §2). Once the journal outgrows the snapshot, a write compacts it into a new snapshot
 * (temp file, fsync, rename, fsync the directory), keeping the previous file as `<file>.bak`.
 * Records are served from a replica kept current by reading only what other processes appended
 * (replica.ts).
 *
 * Rollback (the README's "Threat model: who can write the store"): a process never accepts a
 * generation lower than one it has seen, fewer journal entries of it, another journal of it, nor a
 * store with another id; a high-water mark file (`<file>.hwm` by default), MAC'd under the root
 * key, carries the generation and journal position to fresh processes. A write that destroys
 * material compacts, leaving no copy of it: `.bak` then holds the new generation too.
 *
 * Root key rotation (FileProvider.changeRootKey, `kmsbox store rotate-root-key`): the store and its
 * `.bak` re-sealed under the new key, the mark re-MAC'd, in an order that a crash at any point
 * leaves a store that opens with one of the two keys (JournalStore.rotateRootKey).
 */
import { scryptSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { KeySpec } from '../api/enums.js';
import { AccessDeniedException, ValidationException } from '../errors.js';
import type { StoreState } from '../keys/record.js';
import { newMaterialId } from '../keys/arn.js';
import { JournalStore, type RotationStep } from './journal-store.js';
import { ReplicatedRecords } from './replica.js';
import { importedMaterial, newMaterial, SoftwareMaterialProvider, type Material } from './software.js';
import { DEFAULT_SCRYPT_N, type KdfParams, newScryptParams, SCRYPT_LIMITS, scryptMaxmem, scryptParamsProblem } from './store-file.js';
import type { KeyMaterialProvider } from './types.js';

export interface FileProviderOptions {
  /** The key-store file; created (with its directory) on first use. */
  path: string;
  /** Derive the root key from this passphrase with scrypt. */
  passphrase?: string;
  /** Or read the root key from this file: 32 raw bytes, or 64 hex characters. */
  rootKeyFile?: string;
  /**
   * scrypt cost for a new store (stored in the file). Default N = 2^17, r = 8, p = 1 (OWASP's
   * minimum); N may be a power of two from 2^10 to 2^18, r and p only these (store-file.ts).
   */
  scrypt?: { N?: number; r?: number; p?: number };
  /** How long to wait for another process's lock before giving up. Default 10 s. */
  lockTimeoutMs?: number;
  /**
   * Where to keep the store's high-water mark (its highest generation, MAC'd under the root key),
   * which lets a new process refuse an older copy of the store. Default `<path>.hwm`; a path in a
   * directory that those who can write the store's directory cannot write protects against them
   * too. `false`: no high-water mark (a new process then accepts any authentic copy).
   */
  highWaterMark?: string | false;
  /**
   * The journal is compacted into a new snapshot once it is larger than the snapshot and than
   * this many bytes. Default 1 MiB. 0: whenever it outgrows the snapshot.
   */
  compactAfterBytes?: number;
}

/** FileProvider.changeRootKey: the store, its current root key, and the new one. */
export interface ChangeRootKeyOptions {
  /** The key-store file. */
  path: string;
  /** The current root key: its passphrase, or its root key file (exactly one). */
  passphrase?: string;
  rootKeyFile?: string;
  /** The new root key: a passphrase (scrypt with a fresh salt), or a root key file (exactly one). */
  newPassphrase?: string;
  newRootKeyFile?: string;
  /** scrypt cost for a new passphrase. Default: the store's current N (2^17 if it had a root key file). */
  scrypt?: { N?: number };
  /** The store's high-water mark, as its FileProviders are configured. Default `<path>.hwm`. */
  highWaterMark?: string | false;
  /** How long to wait for other processes' writes. Default 10 s. */
  lockTimeoutMs?: number;
}

/** A provider's journal, for changeStoreRootKey (set in FileProvider's static block: not part of its API). */
let journalOf: (provider: FileProvider) => JournalStore;

/** Journals smaller than this are never compacted (a small store would otherwise compact every few writes). */
const DEFAULT_COMPACT_AFTER_BYTES = 1 << 20;

const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

/**
 * Keys in one file, encrypted and authenticated under a root key (from a passphrase, or
 * a root key file); other processes' changes are seen without restarting.
 *
 * @example
 * ```ts
 * import { Kms } from 'kmsbox';
 * import { FileProvider } from 'kmsbox/node';
 *
 * const provider = () => new FileProvider({ path: './keys.kmsbox', passphrase: process.env.KMSBOX_PASSPHRASE! });
 * const kms = new Kms({ provider: provider() });
 * const { KeyMetadata } = await kms.createKey({});
 * const { CiphertextBlob } = await kms.encrypt({ KeyId: KeyMetadata!.KeyId!, Plaintext: new TextEncoder().encode('hello') });
 *
 * // Another Kms (or process) on the same file decrypts it.
 * const { Plaintext } = await new Kms({ provider: provider() }).decrypt({ CiphertextBlob: CiphertextBlob! });
 * console.log(new TextDecoder().decode(Plaintext)); // hello
 * ```
 */
export class FileProvider extends SoftwareMaterialProvider implements KeyMaterialProvider {
  readonly name = 'file';
  readonly path: string;
  /** The high-water mark file, or undefined when switched off. */
  readonly highWaterMarkPath: string | undefined;
  readonly #options: FileProviderOptions;
  readonly #journal: JournalStore;
  readonly #records: ReplicatedRecords;

  constructor(options: FileProviderOptions) {
    super();
    if (typeof options?.path !== 'string' || options.path === '') {
      throw new ValidationException({ message: 'FileProvider needs a path.' });
    }
    if ((options.passphrase === undefined) === (options.rootKeyFile === undefined)) {
      throw new ValidationException({ message: 'FileProvider needs exactly one of passphrase and rootKeyFile.' });
    }
    if (options.passphrase !== undefined && (typeof options.passphrase !== 'string' || options.passphrase.length === 0)) {
      throw new ValidationException({ message: 'FileProvider passphrase must be a non-empty string.' });
    }
    if (options.scrypt !== undefined) {
      const problem = scryptParamsProblem(
        options.scrypt.N ?? DEFAULT_SCRYPT_N,
        options.scrypt.r ?? SCRYPT_LIMITS.r,
        options.scrypt.p ?? SCRYPT_LIMITS.p,
      );
      if (problem !== undefined) throw new ValidationException({ message: `FileProvider scrypt: ${problem}.` });
    }
    const hwm = options.highWaterMark;
    if (hwm !== undefined && hwm !== false && (typeof hwm !== 'string' || hwm === '')) {
      throw new ValidationException({ message: 'FileProvider highWaterMark must be a path or false.' });
    }
    const compact = options.compactAfterBytes;
    if (compact !== undefined && (typeof compact !== 'number' || !Number.isSafeInteger(compact) || compact < 0)) {
      throw new ValidationException({ message: 'FileProvider compactAfterBytes must be a non-negative integer.' });
    }
    this.path = options.path;
    this.highWaterMarkPath = hwm === false ? undefined : (hwm ?? `${options.path}.hwm`);
    if (this.highWaterMarkPath !== undefined && resolve(this.highWaterMarkPath) === resolve(this.path)) {
      throw new ValidationException({ message: 'FileProvider highWaterMark must not be the store file itself.' });
    }
    this.#options = options;
    this.#journal = new JournalStore({
      path: this.path,
      highWaterMarkPath: this.highWaterMarkPath,
      lockTimeoutMs: options.lockTimeoutMs ?? 10_000,
      compactAfterBytes: compact ?? DEFAULT_COMPACT_AFTER_BYTES,
      rootKey: (kdf) => this.#deriveRootKey(kdf),
    });
    this.#records = new ReplicatedRecords(this.#journal);
  }

  read<T>(fn: (state: Readonly<StoreState>) => T): Promise<T> {
    return this.#records.read(fn);
  }

  update<T>(fn: (state: StoreState) => T): Promise<T> {
    return this.#records.update(fn);
  }

  async createMaterial(spec: KeySpec): Promise<string> {
    const material = await newMaterial(spec, this.name);
    const id = newMaterialId();
    await this.#journal.write(undefined, undefined, new Map([[id, material]]));
    return id;
  }

  async importMaterial(spec: KeySpec, bytes: Uint8Array, materialId: string): Promise<void> {
    const material = importedMaterial(spec, bytes, this.name);
    // Stored like generated material: in the store file, encrypted under the root key.
    await this.#journal.write(undefined, undefined, new Map([[materialId, material]]));
  }

  /** Compacts the store without the material (O(store)): no file of the store keeps a copy. */
  async destroyMaterial(materialIds: readonly string[]): Promise<void> {
    if (materialIds.length === 0) return;
    await this.#journal.write(undefined, undefined, new Map(materialIds.map((id) => [id, null])));
  }

  /**
   * Accepts the store file as it is now, older or not: after restoring a backup on purpose, or
   * after losing the high-water mark. Under the lock, loads the file without the rollback checks
   * (the root key still authenticates it) and writes it again as a generation above every one
   * seen, with a new high-water mark, so that running processes accept it too. That generation
   * needs its mark (a copy of it without the mark is refused): if the process dies before the
   * mark is written, call this again.
   */
  async resetHighWaterMark(): Promise<void> {
    await this.#journal.write(undefined, undefined, new Map(), { resetMark: true });
  }

  /**
   * Writes the journal into a new snapshot now (the next generation; the previous file becomes
   * `.bak`), as a write does on its own once the journal outgrows the snapshot. O(store).
   */
  async compact(): Promise<void> {
    await this.#journal.write(undefined, undefined, new Map(), { compact: true });
  }

  protected findMaterial(id: string): Material | undefined {
    return this.#journal.material(id);
  }

  /**
   * Re-seals the store at `path` under a new root key (a fresh scrypt salt for a passphrase), with
   * its high-water mark; the previous generation's copy (`.bak`) is replaced too, so no file of the
   * store opens with the old key afterwards. Under the store's lock: other processes' writes wait.
   * Processes that have the store open with the old key fail from their next access with an
   * AccessDeniedException ("its root key was changed"): restart them with the new key. A crash
   * part-way leaves a store that opens with the old key (run this again) or with the new one
   * (done). A wrong current key changes nothing (AccessDeniedException). O(store).
   */
  static async changeRootKey(options: ChangeRootKeyOptions): Promise<void> {
    await changeStoreRootKey(options);
  }

  static {
    journalOf = (provider) => provider.#journal;
  }

  /** The root key for a file's KDF parameters (undefined: a new store's): derived once per process (scrypt is deliberately slow). */
  #deriveRootKey(kdf: KdfParams | undefined): { rootKey: Uint8Array; kdf: KdfParams } {
    const o = this.#options;
    if (o.rootKeyFile !== undefined) {
      if (kdf !== undefined && kdf.name !== 'root-key-file') {
        throw new AccessDeniedException({ message: `Key store ${this.path} is protected by a passphrase, not a root key file.` });
      }
      return { rootKey: readRootKeyFile(o.rootKeyFile), kdf: { name: 'root-key-file' } };
    }
    if (kdf !== undefined && kdf.name !== 'scrypt') {
      throw new AccessDeniedException({ message: `Key store ${this.path} is protected by a root key file, not a passphrase.` });
    }
    // A file's parameters were bounded by parseStoreFile, the options' by the constructor.
    const params = kdf ?? newScryptParams(o.scrypt?.N);
    const rootKey = new Uint8Array(
      scryptSync(o.passphrase!, unb64(params.salt), 32, { N: params.N, r: params.r, p: params.p, maxmem: scryptMaxmem(params) }),
    );
    return { rootKey, kdf: params };
  }
}

function readRootKeyFile(path: string): Uint8Array {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (error) {
    throw new AccessDeniedException({ message: `Cannot read root key file ${path}: ${(error as Error).message}` });
  }
  if (raw.length === 32) return new Uint8Array(raw);
  const text = raw.toString('utf8').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return new Uint8Array(Buffer.from(text, 'hex'));
  throw new AccessDeniedException({ message: `Root key file ${path} must hold 32 bytes, raw or as 64 hex characters.` });
}

/**
 * FileProvider.changeRootKey, with a hook called after each step (tests crash the process there):
 * the steps and what a crash after each leaves are in JournalStore.rotateRootKey.
 */
export async function changeStoreRootKey(options: ChangeRootKeyOptions, onStep?: (step: RotationStep) => void): Promise<void> {
  if (options === null || typeof options !== 'object') throw new ValidationException({ message: 'changeRootKey needs options.' });
  const { newPassphrase, newRootKeyFile } = options;
  if ((newPassphrase === undefined) === (newRootKeyFile === undefined)) {
    throw new ValidationException({ message: 'changeRootKey needs exactly one of newPassphrase and newRootKeyFile.' });
  }
  if (newPassphrase !== undefined && (typeof newPassphrase !== 'string' || newPassphrase.length === 0)) {
    throw new ValidationException({ message: 'changeRootKey newPassphrase must be a non-empty string.' });
  }
  if (newRootKeyFile !== undefined && (typeof newRootKeyFile !== 'string' || newRootKeyFile.length === 0)) {
    throw new ValidationException({ message: 'changeRootKey newRootKeyFile must be a path.' });
  }
  const N = options.scrypt?.N;
  if (N !== undefined) {
    const problem = scryptParamsProblem(N, SCRYPT_LIMITS.r, SCRYPT_LIMITS.p);
    if (problem !== undefined) throw new ValidationException({ message: `changeRootKey scrypt: ${problem}.` });
  }
  const provider = new FileProvider({
    path: options.path,
    ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
    ...(options.rootKeyFile !== undefined ? { rootKeyFile: options.rootKeyFile } : {}),
    ...(options.highWaterMark !== undefined ? { highWaterMark: options.highWaterMark } : {}),
    ...(options.lockTimeoutMs !== undefined ? { lockTimeoutMs: options.lockTimeoutMs } : {}),
  });
  const next = (current: KdfParams): { rootKey: Uint8Array; kdf: KdfParams } => {
    if (newRootKeyFile !== undefined) return { rootKey: readRootKeyFile(newRootKeyFile), kdf: { name: 'root-key-file' } };
    const params = newScryptParams(N ?? (current.name === 'scrypt' ? current.N : DEFAULT_SCRYPT_N));
    const rootKey = new Uint8Array(
      scryptSync(newPassphrase!, unb64(params.salt), 32, { N: params.N, r: params.r, p: params.p, maxmem: scryptMaxmem(params) }),
    );
    return { rootKey, kdf: params };
  };
  await journalOf(provider).rotateRootKey(next, onStep);
}
