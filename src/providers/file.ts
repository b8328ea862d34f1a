/// <reference types="node" />
/**
 * FileProvider (Node): every key record and all material in one key-store file, encrypted and
 * authenticated as a whole under a root key (from a passphrase via scrypt, or a 32-byte root key
 * file). Writes are atomic and durable (temp file, fsync, rename, fsync the directory) and keep
 * the previous generation as `<file>.bak`; read-modify-write runs under an inter-process lock
 * file, and every call reloads the store when another process has changed it.
 *
 * File format (JSON): { format: "kmsbox-store", version: 1, kdf, check, generation, nonce,
 * payload }. `payload` is AES-256-GCM over JSON { state, materials } with the other fields as
 * AAD; `check` = HMAC-SHA256(rootKey, "kmsbox-store check") tells a wrong passphrase from a
 * damaged file.
 */
import { createCipheriv, createDecipheriv, createHmac, scryptSync, timingSafeEqual } from 'node:crypto';
import { closeSync, existsSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import type { KeySpec } from '../api/enums.js';
import { AccessDeniedException, KMSInternalException, ValidationException } from '../errors.js';
import { randomBytes } from '../crypto/random.js';
import { newMaterialId } from '../keys/arn.js';
import { emptyState, type StoreState } from '../keys/record.js';
import { tempFilePid, tempPath, tempPrefix, writeAll, writeAtomic } from './atomic-write.js';
import { importedMaterial, newMaterial, SoftwareMaterialProvider, type Material } from './software.js';
import type { KeyMaterialProvider } from './types.js';

export interface FileProviderOptions {
  /** The key-store file; created (with its directory) on first use. */
  path: string;
  /** Derive the root key from this passphrase with scrypt. */
  passphrase?: string;
  /** Or read the root key from this file: 32 raw bytes, or 64 hex characters. */
  rootKeyFile?: string;
  /** scrypt cost for a new store (stored in the file). Default N = 2^17, r = 8, p = 1 (OWASP's minimum). */
  scrypt?: { N?: number; r?: number; p?: number };
  /** How long to wait for another process's lock before giving up. Default 10 s. */
  lockTimeoutMs?: number;
}

interface ScryptParams {
  name: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
}
type KdfParams = ScryptParams | { name: 'root-key-file' };

interface StoreFile {
  format: 'kmsbox-store';
  version: 1;
  kdf: KdfParams;
  check: string;
  generation: number;
  nonce: string;
  payload: string;
}

const STALE_LOCK_MS = 30_000;
const EMPTY_LOCK_GRACE_MS = 1000;
/** A break lock is held for a few system calls only: one this old was left by a dead process. */
const STALE_BREAK_LOCK_MS = 5000;
/**
 * The lock files this process holds now (resolved paths), shared by every FileProvider in the
 * process (and every copy of this module): a lock carrying our own pid that is not in here was
 * left by an earlier process with the same pid (a restarted container) and is stale.
 */
const HELD_LOCKS = ((globalThis as Record<symbol, unknown>)[Symbol.for('kmsbox.file-provider.held-locks')] ??= new Set<string>()) as Set<string>;
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

function aadOf(f: Pick<StoreFile, 'format' | 'version' | 'kdf' | 'check' | 'generation'>): Buffer {
  return Buffer.from(JSON.stringify([f.format, f.version, f.kdf, f.check, f.generation]));
}

function checkValue(rootKey: Uint8Array): string {
  return createHmac('sha256', rootKey).update('kmsbox-store check').digest('base64');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class FileProvider extends SoftwareMaterialProvider implements KeyMaterialProvider {
  readonly name = 'file';
  readonly path: string;
  readonly #options: FileProviderOptions;
  #rootKey: Uint8Array | undefined;
  #kdf: KdfParams | undefined;
  #state: StoreState = emptyState();
  #material = new Map<string, Material>();
  #generation = -1;
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
    this.path = options.path;
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
    await this.#transact(() => undefined, (materials) => materials.set(id, material));
    return id;
  }

  async importMaterial(spec: KeySpec, bytes: Uint8Array, materialId: string): Promise<void> {
    const material = importedMaterial(spec, bytes, this.name);
    // Stored like generated material: in the store file, encrypted under the root key.
    await this.#transact(() => undefined, (materials) => materials.set(materialId, material));
  }

  async destroyMaterial(materialIds: readonly string[]): Promise<void> {
    if (materialIds.length === 0) return;
    await this.#transact(() => undefined, (materials) => {
      for (const id of materialIds) materials.delete(id);
    });
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

  /** Loads the file if it changed since we last saw it (or creates it on first use). */
  #refresh(): void {
    let stamp: string;
    try {
      const st = statSync(this.path);
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw this.#corrupt(`cannot stat it (${(error as Error).message})`);
      if (this.#generation < 0) {
        this.#ensureRootKey(undefined); // a new store: nothing to load yet, but a wrong root key file fails now
        return;
      }
      throw this.#corrupt('the file has disappeared');
    }
    if (stamp === this.#seen) return;
    this.#load(stamp);
  }

  #load(stamp: string): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      throw this.#corrupt(`cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    let file: StoreFile;
    try {
      file = JSON.parse(text) as StoreFile;
    } catch {
      // Never the parser's message: it quotes the file (a root key or an .env given as the store path).
      throw this.#corrupt(`it is not a readable key-store file (not JSON)${this.#bakHint()}`);
    }
    if (file === null || typeof file !== 'object' || file.format !== 'kmsbox-store' || file.version !== 1 || typeof file.payload !== 'string' || typeof file.nonce !== 'string' || typeof file.check !== 'string' || typeof file.generation !== 'number') {
      throw this.#corrupt(`it is not a kmsbox key store (format/version fields missing or unknown)${this.#bakHint()}`);
    }
    const rootKey = this.#ensureRootKey(file.kdf);
    const expected = Buffer.from(checkValue(rootKey));
    const actual = Buffer.from(file.check);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
      throw new AccessDeniedException({ message: `Cannot open key store ${this.path}: wrong passphrase or root key.` });
    }
    let payload: { state: StoreState; materials: Record<string, { spec: KeySpec; key: string }> };
    try {
      const sealed = unb64(file.payload);
      const d = createDecipheriv('aes-256-gcm', rootKey, unb64(file.nonce), { authTagLength: 16 });
      d.setAAD(aadOf(file));
      d.setAuthTag(sealed.subarray(sealed.length - 16));
      const text = Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]).toString('utf8');
      payload = JSON.parse(text) as typeof payload;
    } catch {
      throw this.#corrupt(`its contents fail authentication (damaged or edited)${this.#bakHint()}`);
    }
    this.#state = payload.state;
    this.#material = new Map(Object.entries(payload.materials).map(([id, m]) => [id, { spec: m.spec, bytes: unb64(m.key) }]));
    this.#generation = file.generation;
    this.#seen = stamp;
  }

  /** The root key: derived once per process (scrypt is deliberately slow). */
  #ensureRootKey(kdf: KdfParams | undefined): Uint8Array {
    if (this.#rootKey !== undefined && (kdf === undefined || JSON.stringify(kdf) === JSON.stringify(this.#kdf))) return this.#rootKey;
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
    const params: ScryptParams = kdf ?? {
      name: 'scrypt',
      N: o.scrypt?.N ?? 2 ** 17,
      r: o.scrypt?.r ?? 8,
      p: o.scrypt?.p ?? 1,
      salt: b64(randomBytes(16)),
    };
    this.#kdf = params;
    this.#rootKey = new Uint8Array(
      scryptSync(o.passphrase!, unb64(params.salt), 32, { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + (1 << 20) }),
    );
    return this.#rootKey;
  }

  /** One read-modify-write: lock, reload, apply to a copy, write, swap in. */
  #transact<T>(fn: (state: StoreState) => T, changeMaterial?: (m: Map<string, Material>) => void): Promise<T> {
    const run = async (): Promise<T> => {
      const unlock = await this.#lock();
      try {
        this.#refresh();
        const state = structuredClone(this.#state);
        const result = fn(state); // a throw here leaves file and memory untouched
        const materials = new Map(this.#material);
        changeMaterial?.(materials);
        this.#write(state, materials);
        this.#state = state;
        this.#material = materials;
        return result;
      } finally {
        unlock();
      }
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #write(state: StoreState, materials: Map<string, Material>): void {
    const rootKey = this.#ensureRootKey(this.#generation < 0 ? undefined : this.#kdf);
    const header = { format: 'kmsbox-store' as const, version: 1 as const, kdf: this.#kdf!, check: checkValue(rootKey), generation: this.#generation + 1 };
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', rootKey, nonce, { authTagLength: 16 });
    c.setAAD(aadOf(header));
    const plain = Buffer.from(JSON.stringify({ state, materials: Object.fromEntries([...materials].map(([id, m]) => [id, { spec: m.spec, key: b64(m.bytes) }])) }));
    const sealed = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
    plain.fill(0);
    const file: StoreFile = { ...header, nonce: b64(nonce), payload: sealed.toString('base64') };
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    try {
      writeAtomic(`${this.path}.bak`, readFileSync(this.path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    writeAtomic(this.path, Buffer.from(JSON.stringify(file)));
    const st = statSync(this.path);
    this.#seen = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    this.#generation = header.generation;
  }

  /**
   * The inter-process lock: `<file>.lock` created exclusively, holding `<pid> <ms>`. A lock whose
   * owner died, older than 30 s, or carrying our pid but not held by this process, is stale and
   * taken over atomically (see breakStaleLock).
   */
  async #lock(): Promise<() => void> {
    const lockPath = `${this.path}.lock`;
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const deadline = Date.now() + (this.#options.lockTimeoutMs ?? 10_000);
    for (let attempt = 0; ; attempt++) {
      const mine = createLockFile(lockPath);
      if (mine !== undefined) {
        HELD_LOCKS.add(resolve(lockPath));
        try {
          removeOrphanTempFiles(this.path);
        } catch {
          // housekeeping only
        }
        return () => releaseLockFile(lockPath, mine);
      }
      if (breakStaleLock(lockPath)) continue;
      if (Date.now() > deadline) {
        throw new KMSInternalException({ message: `Key store ${this.path} is locked by another process (${lockPath}).` });
      }
      await sleep(Math.min(50, 1 + attempt));
    }
  }

  /** Where the previous generation is, when there is one. */
  #bakHint(): string {
    return existsSync(`${this.path}.bak`) ? `; the previous generation is in ${this.path}.bak` : '';
  }

  #corrupt(what: string): KMSInternalException {
    return new KMSInternalException({ message: `Key store ${this.path} cannot be used: ${what}.` });
  }
}

function pidIsDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Temp files of writers killed mid-write, for the store, its `.bak` and its lock: removed under
 * the lock when their writer is dead, or is this process (holding the lock, it writes none now).
 * Also the names of earlier versions (`.<name>[.bak].<pid>.<rand>.tmp`).
 */
function removeOrphanTempFiles(path: string): void {
  const dir = dirname(path);
  const prefixes = [path, `${path}.bak`, `${path}.lock`].map(tempPrefix);
  const legacy = `.${basename(path)}.`;
  for (const name of readdirSync(dir)) {
    let pid: number | undefined;
    for (const prefix of prefixes) pid ??= tempFilePid(prefix, name);
    if (pid !== undefined) {
      if (pid === process.pid || pidIsDead(pid)) rmSync(join(dir, name), { force: true });
      continue;
    }
    const old = name.startsWith(legacy) ? /\.(\d+)\.[\w-]+\.tmp$/.exec(name)?.[1] : undefined;
    if (old !== undefined && Number(old) !== process.pid && pidIsDead(Number(old))) rmSync(join(dir, name), { force: true });
  }
}

/**
 * Creates `lockPath` exclusively with `<pid> <ms>`: that content, or undefined if it exists. If
 * writing the content fails the file is removed again (an empty lock would stall everyone).
 */
function createLockFile(lockPath: string): string | undefined {
  const content = `${process.pid} ${Date.now()}`;
  let fd: number;
  try {
    fd = openSync(lockPath, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  }
  try {
    try {
      writeAll(fd, Buffer.from(content));
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    rmSync(lockPath, { force: true });
    throw error;
  }
  return content;
}

/** Removes our lock, unless it was taken over (we were too slow) and is now someone else's. */
function releaseLockFile(lockPath: string, mine: string): void {
  HELD_LOCKS.delete(resolve(lockPath));
  try {
    if (readFileSync(lockPath, 'utf8') === mine) rmSync(lockPath, { force: true });
  } catch {
    // already gone
  }
}

/**
 * Takes a stale lock away, so that the next attempt can create a fresh one; true if the lock was
 * stale (or gone), false to keep waiting. Takeovers are serialized by a break lock: each one
 * re-checks the lock under it, so a late waiter that judged the old lock stale finds the fresh
 * one and leaves it alone. The stale lock is renamed aside and removed only if it is still what
 * was judged stale; anything else (a fresh lock created meanwhile) is put back.
 */
function breakStaleLock(lockPath: string): boolean {
  if (staleLockContent(lockPath, STALE_LOCK_MS) === undefined) return false;
  const breakPath = join(dirname(lockPath), `${tempPrefix(lockPath)}break`);
  const mine = createLockFile(breakPath);
  if (mine === undefined) {
    // another process is taking over right now, or died doing so
    const stale = staleLockContent(breakPath, STALE_BREAK_LOCK_MS);
    if (stale !== undefined) removeIfUnchanged(breakPath, stale);
    return false;
  }
  try {
    const stale = staleLockContent(lockPath, STALE_LOCK_MS);
    if (stale !== undefined) removeIfUnchanged(lockPath, stale);
    return true;
  } finally {
    rmSync(breakPath, { force: true });
  }
}

/** Removes `path` if it still holds `expected`: renamed aside first, checked, put back if not. */
function removeIfUnchanged(path: string, expected: string): void {
  const aside = tempPath(path);
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    let now: string | undefined;
    try {
      now = readFileSync(aside, 'utf8');
    } catch {
      now = undefined;
    }
    if (now !== expected) {
      try {
        linkSync(aside, path); // back in place, unless yet another lock exists by now
      } catch {
        // EEXIST: that one stands
      }
    }
  } finally {
    rmSync(aside, { force: true });
  }
}

/**
 * The content of a lock that is stale, or undefined if it is live (or gone). Stale: its owner is
 * dead; it is older than `maxAgeMs`; it carries this process's pid but this process does not hold
 * it; or it is still empty (or garbled) a second after its creation.
 */
function staleLockContent(lockPath: string, maxAgeMs: number): string | undefined {
  let content: string;
  let mtimeMs: number;
  try {
    content = readFileSync(lockPath, 'utf8');
    mtimeMs = statSync(lockPath).mtimeMs;
  } catch {
    return undefined; // vanished meanwhile: free now, the next attempt takes it
  }
  const m = /^(\d+) (\d+)$/.exec(content);
  if (m === null) return Date.now() - mtimeMs > EMPTY_LOCK_GRACE_MS ? content : undefined;
  const pid = Number(m[1]);
  if (Date.now() - Number(m[2]) > maxAgeMs) return content;
  if (pid === process.pid) return HELD_LOCKS.has(resolve(lockPath)) ? undefined : content;
  return pid > 0 && pidIsDead(pid) ? content : undefined;
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
