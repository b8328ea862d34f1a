/// <reference types="node" />
/**
 * FileProvider (Node): every key record and all material in one key-store file, encrypted and
 * authenticated as a whole under a root key (from a passphrase via scrypt, or a 32-byte root key
 * file). Writes are atomic and durable (temp file, fsync, rename, fsync the directory) and keep
 * the previous generation as `<file>.bak`; read-modify-write runs under an inter-process lock
 * file, and every call reloads the store when another process has changed it. The file format
 * is in store-file.ts.
 *
 * Rollback (the README's "Threat model: who can write the store"): a process never accepts a
 * generation lower than one it has seen, nor a store with another id; a high-water mark file
 * (`<file>.hwm` by default), MAC'd under the root key, carries the highest generation to fresh
 * processes. A write that destroys material leaves no copy of it: `.bak` then holds the new
 * generation too.
 */
import { scryptSync } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { KeySpec } from '../api/enums.js';
import { AccessDeniedException, KMSInternalException, ValidationException } from '../errors.js';
import { emptyState, type StoreState } from '../keys/record.js';
import { newMaterialId } from '../keys/arn.js';
import { writeAtomic } from './atomic-write.js';
import { lockStore } from './file-lock.js';
import { NotRegularFileError, readRegularFile } from './read-regular-file.js';
import { importedMaterial, newMaterial, SoftwareMaterialProvider, type Material } from './software.js';
import {
  checkMatches,
  checkValue,
  decodeHighWaterMark,
  DEFAULT_SCRYPT_N,
  encodeHighWaterMark,
  newScryptParams,
  newStoreId,
  openStoreFile,
  parseStoreFile,
  sameKdf,
  scryptMaxmem,
  scryptParamsProblem,
  sealStoreFile,
  SCRYPT_LIMITS,
  StoreFileError,
  type HighWaterMark,
  type KdfParams,
  type StoreFile,
  type StoreHeader,
} from './store-file.js';
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
}

type Payload = { state: StoreState; materials: Record<string, { spec: KeySpec; key: string }> };

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
/** Thrown by #load when a refusal rested on a store file that has been replaced since: read it again. */
const STORE_CHANGED = Symbol('store changed while read');
const MAX_RELOADS = 20;
const isFile = (path: string): boolean => {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
};
const stampIfAny = (path: string): string | undefined => {
  try {
    return stampOf(path);
  } catch {
    return undefined;
  }
};
const stampOf = (path: string): string => {
  const st = statSync(path);
  return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
};

/**
 * Keys in one file, encrypted and authenticated as a whole under a root key (from a passphrase, or
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
  #rootKey: Uint8Array | undefined;
  #kdf: KdfParams | undefined;
  #state: StoreState = emptyState();
  #material = new Map<string, Material>();
  /** The highest generation this process has seen (-1: none yet), with its nonce. */
  #generation = -1;
  #nonce = '';
  /** The id of the store this process has seen (undefined: none yet, or only a version-1 file). */
  #storeId: string | undefined;
  /** Whether the high-water mark for #storeId is known to be on disk (read and verified, or written by us). */
  #hwmOnDisk = false;
  /** What the file looked like when we last loaded it, to notice other processes' writes. */
  #seen = '';
  /** Serializes this process's own read-modify-writes (the lock file serializes processes). */
  #queue: Promise<unknown> = Promise.resolve();

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
    this.path = options.path;
    this.highWaterMarkPath = hwm === false ? undefined : (hwm ?? `${options.path}.hwm`);
    if (this.highWaterMarkPath !== undefined && resolve(this.highWaterMarkPath) === resolve(this.path)) {
      throw new ValidationException({ message: 'FileProvider highWaterMark must not be the store file itself.' });
    }
    this.#options = options;
  }

  async read<T>(fn: (state: Readonly<StoreState>) => T): Promise<T> {
    this.#refresh();
    return fn(this.#state);
  }

  update<T>(fn: (state: StoreState) => T): Promise<T> {
    return this.#transact((state) => fn(state));
  }

  async createMaterial(spec: KeySpec): Promise<string> {
    const material = await newMaterial(spec, this.name);
    const id = newMaterialId();
    await this.#transact(
      () => undefined,
      (materials) => materials.set(id, material),
    );
    return id;
  }

  async importMaterial(spec: KeySpec, bytes: Uint8Array, materialId: string): Promise<void> {
    const material = importedMaterial(spec, bytes, this.name);
    // Stored like generated material: in the store file, encrypted under the root key.
    await this.#transact(
      () => undefined,
      (materials) => materials.set(materialId, material),
    );
  }

  async destroyMaterial(materialIds: readonly string[]): Promise<void> {
    if (materialIds.length === 0) return;
    await this.#transact(
      () => undefined,
      (materials) => {
        for (const id of materialIds) materials.delete(id);
      },
    );
  }

  /**
   * Accepts the store file as it is now, older or not: after restoring a backup on purpose, or
   * after losing the high-water mark. Under the lock, loads the file without the rollback checks
   * (the root key still authenticates it) and writes it again as a generation above every one
   * seen, with a new high-water mark, so that running processes accept it too. That generation
   * needs its mark (a copy of it without the mark is refused): if the process dies before the
   * mark is written, call this again.
   */
  resetHighWaterMark(): Promise<void> {
    return this.#transact(() => undefined, undefined, true);
  }

  protected findMaterial(id: string): Material | undefined {
    return this.#materialFor(id);
  }

  #materialFor(id: string): Material | undefined {
    let m = this.#material.get(id);
    if (m === undefined) {
      this.#refresh(); // created by another process since we last looked
      m = this.#material.get(id);
    }
    return m;
  }

  /**
   * Loads the file if it changed since we last saw it (or creates it on first use). A writer
   * replaces the store first and its high-water mark second: a store read just before another
   * process's write can meet the newer mark, so a refusal that rests on the mark counts only if
   * the store is still the file that was read (else it is read again).
   */
  #refresh(acceptAsIs = false): void {
    for (let attempt = 0; ; attempt++) {
      let stamp: string;
      try {
        stamp = stampOf(this.path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw this.#corrupt(`cannot stat it (${(error as Error).message})`);
        if (this.#generation >= 0) throw this.#corrupt('the file has disappeared');
        // A new store: nothing to load yet, but a wrong root key file fails now ...
        this.#ensureRootKey(undefined);
        // ... unless a high-water mark says this store was written before: then it was deleted.
        if (acceptAsIs || this.highWaterMarkPath === undefined || !isFile(this.highWaterMarkPath)) return;
        if (attempt < MAX_RELOADS && isFile(this.path)) continue; // created meanwhile
        throw this.#rolledBack(`the file is missing, but its high-water mark ${this.highWaterMarkPath} says it existed`);
      }
      if (stamp === this.#seen && !acceptAsIs) return;
      try {
        this.#load(stamp, acceptAsIs);
        return;
      } catch (error) {
        if (error !== STORE_CHANGED || attempt >= MAX_RELOADS)
          throw error === STORE_CHANGED ? this.#corrupt('it keeps changing while being read') : error;
      }
    }
  }

  #load(stamp: string, acceptAsIs: boolean): void {
    let text: string;
    try {
      text = readRegularFile(this.path).toString('utf8'); // a FIFO or a device planted here would block or never end
    } catch (error) {
      if (error instanceof NotRegularFileError) throw this.#corrupt('it is not a regular file');
      throw this.#corrupt(`cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    let file: StoreFile;
    try {
      file = parseStoreFile(text); // checks the KDF cost before anything is derived
    } catch (error) {
      throw this.#corrupt(`${(error as Error).message}${this.#bakHint()}`);
    }
    // A store's KDF parameters never change: other ones are another store (and no scrypt is run for it).
    if (!acceptAsIs && this.#generation >= 0 && this.#kdf !== undefined && !sameKdf(file.kdf, this.#kdf)) {
      throw this.#rolledBack('it was replaced by a different store (other key-derivation parameters)');
    }
    const rootKey = this.#ensureRootKey(file.kdf);
    if (!checkMatches(rootKey, file)) {
      throw new AccessDeniedException({ message: `Cannot open key store ${this.path}: wrong passphrase or root key.` });
    }
    let payload: Payload;
    try {
      payload = JSON.parse(openStoreFile(rootKey, file).toString('utf8')) as Payload;
    } catch (error) {
      throw this.#corrupt(`${error instanceof StoreFileError ? error.message : 'its contents are not a key store'}${this.#bakHint()}`);
    }
    if (!acceptAsIs) this.#checkNotRolledBack(file, rootKey, stamp);
    this.#state = payload.state;
    this.#material = new Map(Object.entries(payload.materials).map(([id, m]) => [id, { spec: m.spec, bytes: unb64(m.key) }]));
    if (acceptAsIs) {
      // Above every generation seen here or in the high-water mark, so that every process accepts the next write.
      let hwm: HighWaterMark | undefined;
      try {
        hwm = this.#readHighWaterMark();
      } catch {
        hwm = undefined; // unreadable or another store's: replaced by the next write
      }
      this.#generation = Math.max(file.generation, this.#generation, hwm?.generation ?? -1);
      this.#hwmOnDisk = false;
    } else {
      this.#generation = file.generation;
    }
    this.#nonce = file.nonce;
    this.#storeId = file.storeId ?? this.#storeId;
    this.#seen = stamp;
  }

  /**
   * Refuses a store file older than what this process has seen or the high-water mark records,
   * or another store's: never decrypt under a key state (disabled, deleted, revoked grant) that
   * has since changed.
   */
  #checkNotRolledBack(file: StoreFile, rootKey: Uint8Array, stamp: string): void {
    if (this.#storeId !== undefined && file.storeId !== this.#storeId) {
      throw this.#rolledBack(
        file.storeId === undefined
          ? 'it was replaced by an older copy from before it had a store id'
          : 'it was replaced by a different store (another store id)',
      );
    }
    if (file.generation < this.#generation || (file.generation === this.#generation && file.nonce !== this.#nonce)) {
      throw this.#rolledBack(`it was rolled back: generation ${file.generation} after generation ${this.#generation}`);
    }
    if (this.highWaterMarkPath === undefined) return;
    const hwm = this.#readHighWaterMark(rootKey);
    const refuse = (what: string): KMSInternalException | typeof STORE_CHANGED =>
      stampIfAny(this.path) === stamp ? this.#rolledBack(what) : STORE_CHANGED;
    if (hwm === undefined) {
      if (file.hwm === true) throw refuse(`its high-water mark ${this.highWaterMarkPath} is missing, though the store says it was written`);
      this.#hwmOnDisk = false;
      return;
    }
    if (file.storeId === undefined)
      throw refuse(`it was replaced by an older copy from before it had a store id (see ${this.highWaterMarkPath})`);
    if (file.storeId !== hwm.storeId) throw refuse(`it is not the store its high-water mark ${this.highWaterMarkPath} belongs to`);
    if (file.generation < hwm.generation || (file.generation === hwm.generation && file.nonce !== hwm.nonce)) {
      throw refuse(
        `it was rolled back: generation ${file.generation}, but its high-water mark ${this.highWaterMarkPath} records generation ${hwm.generation}`,
      );
    }
    this.#hwmOnDisk = true;
  }

  /** The high-water mark, authenticated; undefined when there is none. */
  #readHighWaterMark(rootKey: Uint8Array | undefined = this.#rootKey): HighWaterMark | undefined {
    const path = this.highWaterMarkPath!;
    let text: string;
    try {
      text = readRegularFile(path).toString('utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      if (error instanceof NotRegularFileError) throw this.#corrupt(`its high-water mark ${path} is not a regular file`);
      throw this.#corrupt(`its high-water mark ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    try {
      return decodeHighWaterMark(rootKey!, text);
    } catch (error) {
      throw this.#corrupt(`its high-water mark ${path}: ${(error as Error).message}`);
    }
  }

  /** The root key: derived once per process (scrypt is deliberately slow). */
  #ensureRootKey(kdf: KdfParams | undefined): Uint8Array {
    if (this.#rootKey !== undefined && (kdf === undefined || sameKdf(kdf, this.#kdf!))) return this.#rootKey;
    const o = this.#options;
    if (o.rootKeyFile !== undefined) {
      if (kdf !== undefined && kdf.name !== 'root-key-file') {
        throw new AccessDeniedException({ message: `Key store ${this.path} is protected by a passphrase, not a root key file.` });
      }
      this.#kdf = { name: 'root-key-file' };
      this.#rootKey = readRootKeyFile(o.rootKeyFile);
      return this.#rootKey;
    }
    if (kdf !== undefined && kdf.name !== 'scrypt') {
      throw new AccessDeniedException({ message: `Key store ${this.path} is protected by a root key file, not a passphrase.` });
    }
    // A file's parameters were bounded by parseStoreFile, the options' by the constructor.
    const params = kdf ?? newScryptParams(o.scrypt?.N);
    this.#kdf = params;
    this.#rootKey = new Uint8Array(
      scryptSync(o.passphrase!, unb64(params.salt), 32, { N: params.N, r: params.r, p: params.p, maxmem: scryptMaxmem(params) }),
    );
    return this.#rootKey;
  }

  /** One read-modify-write: lock, reload, apply to a copy, write, swap in. */
  #transact<T>(fn: (state: StoreState) => T, changeMaterial?: (m: Map<string, Material>) => void, acceptAsIs = false): Promise<T> {
    const run = async (): Promise<T> => {
      const unlock = await lockStore(this.path, this.#options.lockTimeoutMs ?? 10_000, this.highWaterMarkPath);
      try {
        this.#refresh(acceptAsIs);
        const state = structuredClone(this.#state);
        const result = fn(state); // a throw here leaves file and memory untouched
        const materials = new Map(this.#material);
        changeMaterial?.(materials);
        const destroyed = [...this.#material.keys()].some((id) => !materials.has(id));
        this.#write(state, materials, destroyed, acceptAsIs);
        this.#state = state;
        this.#material = materials;
        this.#writeHighWaterMark();
        return result;
      } finally {
        unlock();
      }
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Writes the next generation. Normally the current file becomes `.bak` first. When the write
   * destroys material, the new generation goes to `.bak` first and then to the store, so no file
   * of ours holds the material once the call returns, and a crash in between leaves the store at
   * the generation that still holds it (the destruction was not acknowledged).
   */
  #write(state: StoreState, materials: Map<string, Material>, destroysMaterial: boolean, resetsMark = false): void {
    const rootKey = this.#ensureRootKey(this.#generation < 0 ? undefined : this.#kdf);
    const storeId = this.#storeId ?? newStoreId(); // a version-1 store gets its id with this write
    const header: StoreHeader = {
      format: 'kmsbox-store',
      version: 2,
      kdf: this.#kdf!,
      check: checkValue(rootKey),
      generation: this.#generation + 1,
      storeId,
      // The generation resetHighWaterMark writes requires its mark too: recorded as false, its copy
      // (the next write's .bak) with the mark deleted would be accepted, undoing every later change.
      // A crash before the mark is written then leaves a store refused until reset again.
      hwm: this.highWaterMarkPath !== undefined && (this.#hwmOnDisk || resetsMark),
    };
    const plain = Buffer.from(
      JSON.stringify({ state, materials: Object.fromEntries([...materials].map(([id, m]) => [id, { spec: m.spec, key: b64(m.bytes) }])) }),
    );
    const file = sealStoreFile(rootKey, header, plain);
    plain.fill(0);
    const bytes = Buffer.from(JSON.stringify(file));
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    if (destroysMaterial) {
      writeAtomic(`${this.path}.bak`, bytes);
    } else {
      try {
        writeAtomic(`${this.path}.bak`, readRegularFile(this.path));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    writeAtomic(this.path, bytes);
    this.#seen = stampOf(this.path);
    this.#generation = header.generation;
    this.#nonce = file.nonce;
    this.#storeId = storeId;
  }

  /**
   * Records the generation just written, after the store (a crash in between leaves the mark one
   * behind, which only weakens it). The change is saved already: a failure here is reported, and
   * the next write tries again.
   */
  #writeHighWaterMark(): void {
    const path = this.highWaterMarkPath;
    if (path === undefined) return;
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // Its content is synced (a mark must never be half-written), its rename need not be: a lost
      // rename leaves the previous mark, one generation behind, which only weakens it.
      writeAtomic(
        path,
        encodeHighWaterMark(this.#rootKey!, { storeId: this.#storeId!, generation: this.#generation, nonce: this.#nonce }),
        { syncDirectory: false },
      );
    } catch (error) {
      throw new KMSInternalException({
        message: `Key store ${this.path}: the change was saved, but its high-water mark ${path} could not be written (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
      });
    }
    this.#hwmOnDisk = true;
  }

  /** Where the previous generation is, when there is one. */
  #bakHint(): string {
    // Put back by hand it is an older generation: resetHighWaterMark() accepts it (see #rolledBack).
    return isFile(`${this.path}.bak`) ? `; the previous generation is in ${this.path}.bak` : '';
  }

  #corrupt(what: string): KMSInternalException {
    return new KMSInternalException({ message: `Key store ${this.path} cannot be used: ${what}.` });
  }

  #rolledBack(what: string): KMSInternalException {
    return new KMSInternalException({
      message: `Key store ${this.path} refused: ${what}. Nothing from it was used and nothing was written over it. If you restored an older copy on purpose, call resetHighWaterMark() on a FileProvider for it.`,
    });
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
