/// <reference types="node" />
/**
 * The FileProvider's RecordBackend (replica.ts): one key-store file, a snapshot line followed by
 * an append-only journal (store-file.ts has the layout, journal.ts the entries), records and
 * material alike, all under the root key.
 *
 * - A write appends one entry under the lock file, fsyncs it, then records the new journal
 *   position in the high-water mark: it costs what it changes. When the journal outgrows the
 *   snapshot, the writer compacts: a new snapshot (the next generation) replaces the file
 *   atomically (writeAtomic), the old file kept as `.bak`. A write that destroys material always
 *   compacts, and writes `.bak` as the new generation too, so no file keeps a copy: O(store).
 * - A reader stats the file; when only appended to (same inode, the bytes it last read still in
 *   place), it reads and authenticates just the new entries; otherwise it loads the whole file.
 * - Rollback: a process never accepts a lower generation, fewer entries of its generation, a
 *   different chain (a fork), or another store id; the high-water mark carries generation, entry
 *   count and chain head to new processes. Version-1 and -2 files (one sealed JSON object, no
 *   journal) open as they are and become version 4 on their first write; a version-3 file is
 *   appended to as it is, and becomes version 4 at its next compaction.
 * - Root key rotation (rotateRootKey): new generations under the new key, the mark taken out of the
 *   way and written again, step by step, so that a crash leaves a store that opens with one key.
 */
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import { dirname } from 'node:path';
import { AccessDeniedException, KMSInternalException, ValidationException } from '../errors.js';
import type { StoreState } from '../keys/record.js';
import { writeAll, writeAtomic } from './atomic-write.js';
import { lockStore, type StoreLock } from './file-lock.js';
import { type ChainHead, JournalError, readEntries, sealEntry } from './journal.js';
import { NotRegularFileError, readRegularFile } from './read-regular-file.js';
import { applyChanges, COLLECTIONS, completeState, type RecordChange } from './records.js';
import type { Pulled, RecordBackend } from './replica.js';
import {
  decodeSnapshot,
  encodeSnapshot,
  type MaterialMap,
  MaterialTable,
  type SnapshotPayload,
  SnapshotPayloadError,
  type StoredMaterial,
} from './snapshot-payload.js';
import type { Material } from './software.js';
import {
  checkMatches,
  checkValue,
  decodeHighWaterMark,
  encodeHighWaterMark,
  type HighWaterMark,
  type KdfParams,
  newStoreId,
  openStoreFile,
  parseSnapshotLines,
  parseStoreFile,
  payloadTag,
  type StoreFile,
  StoreFileError,
  type StoreHeader,
  type StoreVersion,
  isJournaled,
  sameKdf,
  sealStoreFile,
  snapshotLines,
} from './store-file.js';

/** Material changes of one write: set (a Material) or destroyed (null). */
export type MaterialChanges = ReadonlyMap<string, Material | null>;

export interface JournalStoreOptions {
  readonly path: string;
  readonly highWaterMarkPath: string | undefined;
  readonly lockTimeoutMs: number;
  /** The journal is compacted once it is larger than the snapshot and than this many bytes. */
  readonly compactAfterBytes: number;
  /** The root key for the KDF parameters of a file (undefined: a new store's). */
  readonly rootKey: (kdf: KdfParams | undefined) => { rootKey: Uint8Array; kdf: KdfParams };
}

/** A root key with the KDF parameters a store file records for it. */
export type DerivedRootKey = { rootKey: Uint8Array; kdf: KdfParams };

/** The points of a root key change (rotateRootKey), in order: a crash after each leaves a store that opens (tests stop there). */
export type RotationStep =
  | 'sealed-without-mark'
  | 'mark-removed'
  | 'sealed-under-new-key'
  | 'new-mark-written'
  | 'sealed-with-mark'
  | 'done';

/** `mark`: the high-water mark existed when the entry was written (as the header's `hwm` for the snapshot). */
type EntryPayload = { records: RecordChange[]; materials: Array<[string, StoredMaterial | null]>; mark?: true };

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
/** Thrown by #load when a refusal rested on a store file that has been replaced since: read it again. */
const STORE_CHANGED = Symbol('store changed while read');
const MAX_RELOADS = 20;
/** Bytes before the read position compared on each incremental read: the file is still the one read. */
const TAIL_CHECK = 32;
const NEWLINE = 0x0a;

const isFile = (path: string): boolean => {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
};
const stampOf = (st: { ino: number; size: number; mtimeMs: number; ctimeMs: number }): string =>
  `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
const stampIfAny = (path: string): string | undefined => {
  try {
    return stampOf(statSync(path));
  } catch {
    return undefined;
  }
};

/** A whole store file read and authenticated: its header, snapshot, entries and where they end. */
interface LoadedFile {
  readonly file: StoreFile;
  readonly rootKey: Uint8Array;
  readonly payload: SnapshotPayload;
  readonly entries: EntryPayload[];
  /** Chain tags: tags[0] is the snapshot's, tags[i] the head after i entries. */
  readonly tags: Buffer[];
  /** Bytes of the header line (with its `\n`); the whole length for versions 1 and 2. */
  readonly snapshotBytes: number;
  /** Bytes up to the end of the last complete entry. */
  readonly end: number;
  readonly tail: Buffer;
  readonly ino: number;
  readonly stamp: string;
}

export class JournalStore implements RecordBackend {
  readonly #o: JournalStoreOptions;
  #rootKey: Uint8Array | undefined;
  #kdf: KdfParams | undefined;
  /** The highest generation this process has seen (-1: none yet), with its nonce. */
  #generation = -1;
  #nonce = '';
  /** The id of the store this process has seen (undefined: none yet, or only a version-1 file). */
  #storeId: string | undefined;
  /** The format version of the file last read (4 once written by us). */
  #format: StoreVersion = 4;
  /** Whether the high-water mark for #storeId is known to be on disk (read and verified, or written by us). */
  #hwmOnDisk = false;
  /** Where reading stopped: the file's inode, the offset after the last complete entry, the bytes before it. */
  #ino = -1;
  #offset = 0;
  #tail: Buffer = Buffer.alloc(0);
  #snapshotBytes = 0;
  #head: ChainHead = { seq: 0, tag: Buffer.alloc(16) };
  #seen = '';
  /** Material as stored (decoded on first use: a large store opens without decoding all of it) or decoded. */
  #materials: MaterialMap<StoredMaterial | Material> = new Map();
  /** This process's version counter (replica.ts): one step per entry read or written, one per full load. */
  #version = 0;
  /** The version the record changes below start from, and each entry's changes since (JSON). */
  #deltaFrom = 0;
  #deltas: string[] = [];
  /** Every record at #deltaFrom, from the last full load, until a replica takes it. */
  #full: RecordChange[] | undefined;
  /** The lock while a write holds it: refreshed between the long steps of a compaction, which never yield to its timer. */
  #lock: StoreLock | undefined;
  /** Serializes this process's writes (the lock file serializes processes). */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: JournalStoreOptions) {
    this.#o = options;
  }

  get path(): string {
    return this.#o.path;
  }

  async pull(since: number | undefined): Promise<Pulled> {
    this.refresh();
    return this.#pulled(since);
  }

  commit(since: number | undefined, apply: (pulled: Pulled) => readonly RecordChange[]): Promise<number> {
    return this.write(since, apply, new Map());
  }

  /** The material under `id`, reading what other processes appended when it is not known yet. */
  material(id: string): Material | undefined {
    let m = this.#materials.get(id);
    if (m === undefined) {
      this.refresh();
      m = this.#materials.get(id);
    }
    if (m === undefined || 'bytes' in m) return m;
    const decoded: Material = { spec: m.spec, bytes: unb64(m.key) };
    this.#materials.set(id, decoded);
    return decoded;
  }

  /**
   * One write under the lock: the records `apply` returns and the given material changes, as one
   * entry (or, when it destroys material or resets the mark, as a new snapshot).
   */
  write(
    since: number | undefined,
    apply: ((pulled: Pulled) => readonly RecordChange[]) | undefined,
    materials: MaterialChanges,
    { resetMark = false, compact = false }: { resetMark?: boolean; compact?: boolean } = {},
  ): Promise<number> {
    const run = async (): Promise<number> => {
      const unlock = await lockStore(this.#o.path, this.#o.lockTimeoutMs, this.#o.highWaterMarkPath);
      this.#lock = unlock;
      try {
        this.refresh(resetMark);
        // Serialized before anything else runs: the changes are live records (replica.ts).
        const records = JSON.stringify(apply === undefined ? [] : apply(this.#pulled(since)));
        const destroys = [...materials.values()].some((m) => m === null);
        const entry: EntryPayload = {
          records: JSON.parse(records) as RecordChange[],
          materials: [...materials].map(([id, m]) => [id, m === null ? null : { spec: m.spec, key: b64(m.bytes) }]),
        };
        const empty = entry.records.length === 0 && entry.materials.length === 0;
        if (empty && !resetMark && !(compact && this.#generation >= 0)) return this.#version;
        mkdirSync(dirname(this.#o.path), { recursive: true, mode: 0o700 });
        if (!isJournaled(this.#format) || this.#generation < 0 || destroys || resetMark || compact) {
          this.#compact(empty ? undefined : entry, destroys, resetMark);
        } else {
          this.#append(entry);
          this.#writeHighWaterMark();
          const journalBytes = this.#offset - this.#snapshotBytes;
          if (journalBytes > this.#snapshotBytes && journalBytes > this.#o.compactAfterBytes) {
            try {
              this.#compact(undefined, false, false);
              this.#writeHighWaterMark();
            } catch {
              // The entry is durable and acknowledged; the next write compacts again.
            }
          }
          return this.#version;
        }
        this.#writeHighWaterMark();
        return this.#version;
      } finally {
        this.#lock = undefined;
        unlock();
      }
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Seals the store under `next` (FileProvider.changeRootKey), under the lock, in steps each of
   * which leaves a store that opens with exactly one root key, nothing acknowledged lost (the file
   * and its mark cannot change together, so the mark is taken out of the way first):
   * 1. `sealed-without-mark`: the next generation under the old key, its header saying no mark is
   *    required (the old mark, one generation behind, still verifies). Opens with the old key.
   * 2. `mark-removed`: the old key's mark deleted (and the directory synced). Opens with the old key.
   * 3. `sealed-under-new-key`: the next generation under the new key (fresh KDF salt), written to
   *    `.bak` first, then over the store: no file holds the old key's copy any more. Opens with the
   *    new key only; processes with the old key get "its root key was changed".
   * 4. `new-mark-written`: the mark under the new key. 5. `sealed-with-mark`: one more generation
   *    whose header requires the mark (a copy without it is refused again), then its mark.
   * Without a high-water mark, only step 3. A wrong old key fails in the lock's first read,
   * before anything is written. Interrupted: if the old key still opens the store, run it again.
   */
  rotateRootKey(next: (current: KdfParams) => DerivedRootKey, onStep: (step: RotationStep) => void = () => undefined): Promise<void> {
    const run = async (): Promise<void> => {
      if (!isFile(this.#o.path))
        throw new ValidationException({ message: `There is no key store at ${this.#o.path} to change the root key of.` });
      const unlock = await lockStore(this.#o.path, this.#o.lockTimeoutMs, this.#o.highWaterMarkPath);
      this.#lock = unlock; // refreshed (and checked still ours) between the steps: #compact
      try {
        this.refresh(); // authenticates under the old key (AccessDeniedException if wrong) and checks for rollback
        if (this.#generation < 0)
          throw new ValidationException({ message: `There is no key store at ${this.#o.path} to change the root key of.` });
        const derived = next(this.#kdf!);
        if (derived.rootKey.length === this.#rootKey!.length && timingSafeEqual(derived.rootKey, this.#rootKey!)) {
          throw new ValidationException({ message: `Key store ${this.#o.path}: the new root key is the current one.` });
        }
        const hwmPath = this.#o.highWaterMarkPath;
        if (hwmPath !== undefined) {
          this.#compact(undefined, false, false, { mark: false });
          onStep('sealed-without-mark');
          rmSync(hwmPath, { force: true });
          syncDirectory(dirname(hwmPath));
          this.#hwmOnDisk = false;
          onStep('mark-removed');
        }
        this.#compact(undefined, false, false, { next: derived, mark: false });
        onStep('sealed-under-new-key');
        if (hwmPath !== undefined) {
          this.#writeHighWaterMark();
          onStep('new-mark-written');
          // `.bak` too (as for destroyed material): kept, step 3's generation (no mark required) would
          // open once the mark is deleted, undoing every later change.
          this.#compact(undefined, true, false);
          onStep('sealed-with-mark');
          this.#writeHighWaterMark();
        }
        onStep('done');
      } finally {
        this.#lock = undefined;
        unlock();
      }
    };
    const queued = this.#queue.then(run, run);
    this.#queue = queued.catch(() => undefined);
    return queued;
  }

  #pulled(since: number | undefined): Pulled {
    if (since !== undefined && since >= this.#deltaFrom && since <= this.#version) {
      return { version: this.#version, full: false, changes: this.#deltas.slice(since - this.#deltaFrom).flatMap((d) => JSON.parse(d)) };
    }
    if (this.#full === undefined) this.#reload();
    const full = this.#full ?? [];
    this.#full = undefined;
    const changes = [...full, ...this.#deltas.flatMap((d) => JSON.parse(d) as RecordChange[])];
    return { version: this.#version, full: true, changes };
  }

  /** Loads the whole file again (a replica that needs every record after they were handed out). */
  #reload(): void {
    this.#seen = '';
    this.#ino = -1;
    this.refresh();
  }

  /**
   * Reads what changed since the last read: nothing (same stamp), the appended entries (same
   * inode, the bytes before the read position unchanged), or the whole file. A writer appends to
   * the store first and updates its high-water mark second: a store read just before another
   * process's write can meet the newer mark, so a refusal that rests on the mark counts only if
   * the store is still the file that was read (else it is read again).
   */
  refresh(acceptAsIs = false): void {
    for (let attempt = 0; ; attempt++) {
      let stamp: string;
      try {
        stamp = stampOf(statSync(this.#o.path));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw this.#corrupt(`cannot stat it (${(error as Error).message})`);
        if (this.#generation >= 0) throw this.#corrupt('the file has disappeared');
        // A new store: nothing to load yet, but a wrong root key file fails now ...
        this.#ensureRootKey(undefined);
        // ... unless a high-water mark says this store was written before: then it was deleted.
        const hwmPath = this.#o.highWaterMarkPath;
        if (acceptAsIs || hwmPath === undefined || !isFile(hwmPath)) return;
        if (attempt < MAX_RELOADS && isFile(this.#o.path)) continue; // created meanwhile
        throw this.#rolledBack(`the file is missing, but its high-water mark ${hwmPath} says it existed`);
      }
      if (stamp === this.#seen && !acceptAsIs) return;
      try {
        if (acceptAsIs || !this.#readAppended()) this.#load(acceptAsIs);
        return;
      } catch (error) {
        if (error !== STORE_CHANGED || attempt >= MAX_RELOADS)
          throw error === STORE_CHANGED ? this.#corrupt('it keeps changing while being read') : error;
      }
    }
  }

  /** Reads the entries appended since the last read; false when the file is not the one read then. */
  #readAppended(): boolean {
    if (!isJournaled(this.#format) || this.#ino < 0) return false;
    let fd: number;
    try {
      fd = openSync(this.#o.path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch {
      return false;
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || st.ino !== this.#ino || st.size < this.#offset) return false;
      const from = this.#offset - this.#tail.length;
      const bytes = Buffer.alloc(st.size - from);
      for (let done = 0; done < bytes.length; ) {
        const n = readSync(fd, bytes, done, bytes.length - done, from + done);
        if (n === 0) break;
        done += n;
      }
      if (!bytes.subarray(0, this.#tail.length).equals(this.#tail)) return false;
      const { entries, end } = this.#readJournal(bytes.subarray(this.#tail.length), this.#head, this.#storeId!, this.#generation);
      for (const e of entries) this.#takeEntry(e.payload, e.tag);
      const newOffset = this.#offset + end;
      if (end > 0) this.#tail = Buffer.from(bytes.subarray(this.#tail.length + end - TAIL_CHECK, this.#tail.length + end));
      this.#offset = newOffset;
      this.#seen = stampOf(st);
      return true;
    } finally {
      closeSync(fd);
    }
  }

  #readJournal(
    bytes: Uint8Array,
    head: ChainHead,
    storeId: string,
    generation: number,
  ): { entries: Array<{ payload: EntryPayload; tag: Buffer }>; end: number } {
    let read: ReturnType<typeof readEntries>;
    try {
      read = readEntries(this.#rootKey!, { storeId, generation }, head, bytes);
    } catch (error) {
      if (error instanceof JournalError) throw this.#corrupt(`${error.message}${this.#bakHint()}`);
      throw error;
    }
    const entries = read.entries.map((e) => {
      const payload = parseEntryPayload(e.plaintext);
      e.plaintext.fill(0);
      if (payload === undefined) throw this.#corrupt(`a journal entry authenticates but is not a kmsbox entry${this.#bakHint()}`);
      return { payload, tag: e.tag };
    });
    return { entries, end: read.end };
  }

  #takeEntry(entry: EntryPayload, tag: Buffer): void {
    for (const [id, m] of entry.materials) {
      if (m === null) this.#materials.delete(id);
      else this.#materials.set(id, m);
    }
    this.#deltas.push(JSON.stringify(entry.records));
    this.#version++;
    this.#head = { seq: this.#head.seq + 1, tag };
  }

  /** Reads and authenticates the whole file (no rollback checks). */
  #readFile(): LoadedFile {
    const path = this.#o.path;
    let bytes: Buffer;
    let stamp: string;
    let ino: number;
    try {
      // As readRegularFile: a FIFO or a device planted here would block or never end.
      const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        const st = fstatSync(fd);
        if (!st.isFile()) throw new NotRegularFileError(path);
        stamp = stampOf(st);
        ino = st.ino;
        bytes = readFileSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      if (error instanceof NotRegularFileError) throw this.#corrupt('it is not a regular file');
      throw this.#corrupt(`cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    // Versions 1 and 2: one JSON object, no line end. Version 3: header line, payload line, entries.
    const nl = bytes.indexOf(NEWLINE);
    const nl2 = nl < 0 ? -1 : bytes.indexOf(NEWLINE, nl + 1);
    let file: StoreFile;
    try {
      // Both check the KDF cost before anything is derived.
      if (nl < 0) file = parseStoreFile(bytes.toString('utf8'));
      else file = parseSnapshotLines(bytes.subarray(0, nl).toString('utf8'), nl2 < 0 ? '' : bytes.subarray(nl + 1, nl2).toString('latin1'));
      if (nl >= 0 && nl2 < 0)
        throw new StoreFileError(`it is not a kmsbox key store (a version-${file.version} snapshot without its payload line)`);
      if (nl < 0 && isJournaled(file.version))
        throw new StoreFileError(`it is not a kmsbox key store (version ${file.version} in one line)`);
    } catch (error) {
      throw this.#corrupt(`${(error as Error).message}${this.#bakHint()}`);
    }
    return { ...this.#openFile(file, bytes, nl < 0 ? bytes.length : nl2 + 1), ino, stamp } as LoadedFile;
  }

  /** `snapshotBytes`: where the journal starts (the file's length for versions 1 and 2). */
  #openFile(file: StoreFile, bytes: Buffer, snapshotBytes: number): Omit<LoadedFile, 'ino' | 'stamp'> & { file: StoreFile } {
    // The store this process has open, under another root key: changed by rotateRootKey. (Its store
    // id is not authenticated yet: this only picks the message; nothing from the file is used.)
    if (
      this.#generation >= 0 &&
      this.#kdf !== undefined &&
      file.storeId !== undefined &&
      file.storeId === this.#storeId &&
      (!sameKdf(file.kdf, this.#kdf) || !checkMatches(this.#rootKey!, file))
    ) {
      throw new AccessDeniedException({
        message: `Key store ${this.#o.path}: its root key was changed since this process opened it (or it was replaced by a copy under another root key); nothing was read from it or written to it. Restart with the new root key.`,
      });
    }
    // A store's KDF parameters never change but with its root key: other ones are another store (and no scrypt is run for it).
    if (this.#generation >= 0 && this.#kdf !== undefined && !sameKdf(file.kdf, this.#kdf)) {
      throw this.#rolledBack('it was replaced by a different store (other key-derivation parameters)');
    }
    const rootKey = this.#ensureRootKey(file.kdf);
    if (!checkMatches(rootKey, file)) {
      throw new AccessDeniedException({ message: `Cannot open key store ${this.#o.path}: wrong passphrase or root key.` });
    }
    let payload: SnapshotPayload;
    try {
      const plain = openStoreFile(rootKey, file);
      try {
        payload = decodeSnapshot(plain, file.version);
      } finally {
        plain.fill(0);
      }
    } catch (error) {
      const known = error instanceof StoreFileError || error instanceof SnapshotPayloadError;
      throw this.#corrupt(`${known ? error.message : 'its contents are not a key store'}${this.#bakHint()}`);
    }
    const tags = [payloadTag(file)];
    let entries: EntryPayload[] = [];
    let end = bytes.length;
    if (isJournaled(file.version)) {
      const journal = this.#readJournal(bytes.subarray(snapshotBytes), { seq: 0, tag: tags[0]! }, file.storeId!, file.generation);
      entries = journal.entries.map((e) => e.payload);
      for (const e of journal.entries) tags.push(e.tag);
      end = snapshotBytes + journal.end;
    }
    const tail = Buffer.from(bytes.subarray(Math.max(0, end - TAIL_CHECK), end));
    return { file, rootKey, payload, entries, tags, snapshotBytes, end, tail };
  }

  #load(acceptAsIs: boolean): void {
    const loaded = this.#readFile();
    const { file } = loaded;
    if (!acceptAsIs) this.#checkNotRolledBack(loaded);
    // Every record the file holds, as the changes that build it from empty: the snapshot's, then
    // each entry's in order (the replica applies them; no state is built here to be copied there).
    const full = snapshotRecords(loaded.payload.state);
    // The table dropped is zeroed: material another process destroyed must not stay in its bytes.
    if (this.#materials instanceof MaterialTable) this.#materials.wipe();
    this.#materials = loaded.payload.materials; // a Map of its own (decodeSnapshot)
    this.#version++;
    this.#deltaFrom = this.#version;
    this.#deltas = [];
    for (const entry of loaded.entries) {
      for (const change of entry.records) full.push(change);
      for (const [id, m] of entry.materials) {
        if (m === null) this.#materials.delete(id);
        else this.#materials.set(id, m);
      }
    }
    this.#head = { seq: loaded.entries.length, tag: loaded.tags[loaded.entries.length]! };
    this.#full = full;
    if (acceptAsIs) {
      // Above every generation seen here or in the high-water mark, so that every process accepts the next write.
      let hwm: HighWaterMark | undefined;
      try {
        hwm = this.#readHighWaterMark(loaded.rootKey);
      } catch {
        hwm = undefined; // unreadable or another store's: replaced by the next write
      }
      this.#generation = Math.max(file.generation, this.#generation, hwm?.generation ?? -1);
      this.#hwmOnDisk = false;
    } else {
      this.#generation = file.generation;
    }
    this.#format = file.version;
    this.#nonce = file.nonce;
    this.#storeId = file.storeId ?? this.#storeId;
    this.#ino = loaded.ino;
    this.#offset = loaded.end;
    this.#tail = loaded.tail;
    this.#snapshotBytes = loaded.snapshotBytes;
    this.#seen = loaded.stamp;
  }

  /**
   * Refuses a store file older than what this process has seen or the high-water mark records,
   * or another store's: never decrypt under a key state (disabled, deleted, revoked grant) that
   * has since changed. Within one generation, fewer entries or another chain is older too.
   */
  #checkNotRolledBack(loaded: LoadedFile): void {
    const { file, tags, entries } = loaded;
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
    if (file.generation === this.#generation) {
      const seq = this.#head.seq;
      const had = `generation ${file.generation} with ${entries.length} journal entries after generation ${file.generation} with ${seq}`;
      if (entries.length < seq) throw this.#rolledBack(`it was rolled back: ${had}`);
      if (!tags[seq]!.equals(Buffer.from(this.#head.tag))) throw this.#rolledBack(`it was rolled back: ${had} (another history)`);
    }
    const hwmPath = this.#o.highWaterMarkPath;
    if (hwmPath === undefined) return;
    const hwm = this.#readHighWaterMark(loaded.rootKey);
    const refuse = (what: string): KMSInternalException | typeof STORE_CHANGED =>
      stampIfAny(this.#o.path) === loaded.stamp ? this.#rolledBack(what) : STORE_CHANGED;
    if (hwm === undefined) {
      if (file.hwm === true || entries.some((e) => e.mark === true))
        throw refuse(`its high-water mark ${hwmPath} is missing, though the store says it was written`);
      this.#hwmOnDisk = false;
      return;
    }
    if (file.storeId === undefined) throw refuse(`it was replaced by an older copy from before it had a store id (see ${hwmPath})`);
    if (file.storeId !== hwm.storeId) throw refuse(`it is not the store its high-water mark ${hwmPath} belongs to`);
    if (file.generation < hwm.generation || (file.generation === hwm.generation && file.nonce !== hwm.nonce)) {
      throw refuse(
        `it was rolled back: generation ${file.generation}, but its high-water mark ${hwmPath} records generation ${hwm.generation}`,
      );
    }
    if (file.generation === hwm.generation && hwm.head !== undefined) {
      const had = `generation ${file.generation} with ${entries.length} journal entries, but its high-water mark ${hwmPath} records generation ${hwm.generation} with ${hwm.entries}`;
      if (entries.length < hwm.entries) throw refuse(`it was rolled back: ${had}`);
      if (tags[hwm.entries]!.toString('base64') !== hwm.head) throw refuse(`it was rolled back: ${had} (another history)`);
    }
    this.#hwmOnDisk = true;
  }

  /** The high-water mark, authenticated; undefined when there is none. */
  #readHighWaterMark(rootKey: Uint8Array | undefined = this.#rootKey): HighWaterMark | undefined {
    const path = this.#o.highWaterMarkPath!;
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

  #ensureRootKey(kdf: KdfParams | undefined): Uint8Array {
    if (this.#rootKey !== undefined && (kdf === undefined || sameKdf(kdf, this.#kdf!))) return this.#rootKey;
    const { rootKey, kdf: used } = this.#o.rootKey(kdf);
    this.#rootKey = rootKey;
    this.#kdf = used;
    return rootKey;
  }

  /** Appends one entry and fsyncs it: acknowledged from here on. A torn entry a crash left is cut off first. */
  #append(entry: EntryPayload): void {
    // Recorded in the entry as the header records it for the snapshot: without it, deleting the mark
    // and the entries after the snapshot would go unseen.
    if (this.#hwmOnDisk && this.#o.highWaterMarkPath !== undefined) entry.mark = true;
    const plain = Buffer.from(JSON.stringify(entry));
    const { line, tag } = sealEntry(this.#rootKey!, { storeId: this.#storeId!, generation: this.#generation }, this.#head, plain);
    plain.fill(0);
    // O_APPEND: every write lands at the end, which the truncation below puts at #offset.
    const fd = openSync(this.#o.path, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW);
    try {
      const st = fstatSync(fd);
      if (st.ino !== this.#ino) throw this.#corrupt('it was replaced while locked');
      // Only a torn entry (no `\n`: never acknowledged) may be cut off. Anything else past #offset
      // was appended by another process that took the lock over (file-lock.ts judges a lock stale
      // when its holder stopped refreshing it, e.g. frozen): cutting it would drop entries it acknowledged.
      if (st.size < this.#offset || this.#completeEntryAfter(this.#offset, st.size)) {
        throw this.#corrupt('another process wrote to it while this one held the lock (the lock was taken over); nothing was written');
      }
      try {
        if (st.size !== this.#offset) ftruncateSync(fd, this.#offset);
        writeAll(fd, line);
        fsyncSync(fd);
      } catch (error) {
        try {
          ftruncateSync(fd, this.#offset); // a part written is no entry; the next writer would cut it too
        } catch {
          // the next writer cuts it off
        }
        throw error;
      }
      this.#offset += line.length;
      this.#tail = Buffer.from(line.subarray(Math.max(0, line.length - TAIL_CHECK)));
      this.#seen = stampOf(fstatSync(fd));
    } finally {
      closeSync(fd);
    }
    this.#takeEntry(entry, tag);
  }

  /** Whether the store's bytes from `from` to `to` hold a `\n`: the end of a complete entry. */
  #completeEntryAfter(from: number, to: number): boolean {
    if (to <= from) return false;
    const fd = openSync(this.#o.path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    try {
      const chunk = Buffer.alloc(Math.min(to - from, 1 << 16));
      for (let at = from; at < to; ) {
        const n = readSync(fd, chunk, 0, Math.min(chunk.length, to - at), at);
        if (n === 0) return false;
        if (chunk.subarray(0, n).includes(NEWLINE)) return true;
        at += n;
      }
      return false;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Writes the next generation as one snapshot with no journal: the file's records and material
   * with `entry` applied. Normally the current file becomes `.bak` first. When the write destroys
   * material, the new generation goes to `.bak` first and then to the store, so no file of ours
   * holds the material once the call returns, and a crash in between leaves the store with it
   * (the destruction was not acknowledged).
   */
  #compact(
    entry: EntryPayload | undefined,
    destroysMaterial: boolean,
    resetsMark: boolean,
    rotation: { next?: DerivedRootKey; mark: boolean } | undefined = undefined,
  ): void {
    const path = this.#o.path;
    let state: StoreState = completeState({});
    let materials: SnapshotPayload['materials'] = new Map();
    if (this.#generation >= 0) {
      // Under the lock, the file is the one just read; read it whole again (it is rewritten whole).
      const loaded = this.#readFile();
      if (loaded.ino !== this.#ino || loaded.end !== this.#offset) throw this.#corrupt('it changed while locked');
      state = completeState(loaded.payload.state);
      materials = loaded.payload.materials;
      for (const e of loaded.entries) applyEntry(state, materials, e);
      this.#lock?.refresh();
    }
    if (entry !== undefined) applyEntry(state, materials, entry);
    if (rotation?.next !== undefined) {
      // Read under the old root key above; sealed under the new one from here on.
      this.#rootKey = rotation.next.rootKey;
      this.#kdf = rotation.next.kdf;
    }
    const rootKey = this.#ensureRootKey(this.#generation < 0 ? undefined : this.#kdf);
    const storeId = this.#storeId ?? newStoreId(); // a version-1 store gets its id with this write
    const header: StoreHeader = {
      format: 'kmsbox-store',
      version: 4,
      kdf: this.#kdf!,
      check: checkValue(rootKey),
      generation: this.#generation + 1,
      storeId,
      // The generation resetHighWaterMark writes requires its mark too: recorded as false, its copy
      // (the next compaction's .bak) with the mark deleted would be accepted, undoing every later
      // change. A crash before the mark is written then leaves a store refused until reset again.
      hwm: this.#o.highWaterMarkPath !== undefined && (rotation?.mark ?? (this.#hwmOnDisk || resetsMark)),
    };
    const plain = encodeSnapshot({ state, materials }, 4); // as the header says
    if (materials instanceof MaterialTable) materials.wipe(); // this read's copy of every key, used
    const file = sealStoreFile(rootKey, header, plain);
    plain.fill(0);
    const bytes = Buffer.from(snapshotLines(file));
    // Still ours after reading and sealing the whole store (seconds for a large one), and alive for the writes.
    this.#lock?.refresh();
    // Destroyed material, or a root key replaced: `.bak` must not keep the old file either.
    if (destroysMaterial || rotation?.next !== undefined) {
      writeAtomic(`${path}.bak`, bytes);
    } else {
      try {
        writeAtomic(`${path}.bak`, readRegularFile(path));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    this.#lock?.refresh();
    writeAtomic(path, bytes);
    const st = statSync(path);
    this.#seen = stampOf(st);
    this.#ino = st.ino;
    this.#offset = bytes.length;
    this.#snapshotBytes = bytes.length;
    this.#tail = Buffer.from(bytes.subarray(bytes.length - TAIL_CHECK));
    this.#head = { seq: 0, tag: payloadTag(file) };
    this.#format = 4;
    this.#generation = header.generation;
    this.#nonce = file.nonce;
    this.#storeId = storeId;
    // What this process holds now: the entry applied (the rest it had already). A replica behind
    // this version loads the file again (#pulled).
    for (const [id, m] of entry?.materials ?? []) {
      if (m === null) this.#materials.delete(id);
      else this.#materials.set(id, m);
    }
    this.#version++;
    this.#deltaFrom = this.#version;
    this.#deltas = [];
    this.#full = undefined;
  }

  /**
   * Records the journal position just written, after the store (a crash in between leaves the
   * mark one behind, which only weakens it). The change is saved already: a failure here is
   * reported, and the next write tries again.
   */
  #writeHighWaterMark(): void {
    const path = this.#o.highWaterMarkPath;
    if (path === undefined) return;
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // Its content is synced (a mark must never be half-written), its rename need not be: a lost
      // rename leaves the previous mark, one write behind, which only weakens it.
      writeAtomic(
        path,
        encodeHighWaterMark(this.#rootKey!, {
          storeId: this.#storeId!,
          generation: this.#generation,
          nonce: this.#nonce,
          entries: this.#head.seq,
          head: b64(this.#head.tag),
        }),
        { syncDirectory: false },
      );
    } catch (error) {
      throw new KMSInternalException({
        message: `Key store ${this.#o.path}: the change was saved, but its high-water mark ${path} could not be written (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
      });
    }
    this.#hwmOnDisk = true;
  }

  /** Where the previous generation is, when there is one. */
  #bakHint(): string {
    // Put back by hand it is an older generation: resetHighWaterMark() accepts it (see #rolledBack).
    return isFile(`${this.#o.path}.bak`) ? `; the previous generation is in ${this.#o.path}.bak` : '';
  }

  #corrupt(what: string): KMSInternalException {
    return new KMSInternalException({ message: `Key store ${this.#o.path} cannot be used: ${what}.` });
  }

  #rolledBack(what: string): KMSInternalException {
    return new KMSInternalException({
      message: `Key store ${this.#o.path} refused: ${what}. Nothing from it was used and nothing was written over it. If you restored an older copy on purpose, call resetHighWaterMark() on a FileProvider for it.`,
    });
  }
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** allRecords (records.ts) for a snapshot just decoded: for…in over 100,000 keys makes no [id, value] pair per record. */
function snapshotRecords(state: Partial<StoreState>): RecordChange[] {
  const out: RecordChange[] = [];
  for (const collection of COLLECTIONS) {
    const records = state[collection] as Record<string, RecordChange['value']> | undefined;
    for (const id in records) out.push({ collection, id, value: records[id] } as RecordChange);
  }
  return out;
}

function applyEntry(state: StoreState, materials: SnapshotPayload['materials'], entry: EntryPayload): void {
  applyChanges(state, entry.records);
  for (const [id, m] of entry.materials) {
    if (m === null) materials.delete(id);
    else materials.set(id, m);
  }
}

/** The shape of an authenticated entry (written by kmsbox; checked so that a bug is a typed error, not a raw one). */
function parseEntryPayload(plaintext: Buffer): EntryPayload | undefined {
  let o: unknown;
  try {
    o = JSON.parse(plaintext.toString('utf8'));
  } catch {
    return undefined;
  }
  if (o === null || typeof o !== 'object') return undefined;
  const { records, materials } = o as Partial<EntryPayload>;
  if (!Array.isArray(records) || !Array.isArray(materials)) return undefined;
  for (const r of records)
    if (r === null || typeof r !== 'object' || typeof r.collection !== 'string' || typeof r.id !== 'string') return undefined;
  for (const m of materials)
    if (!Array.isArray(m) || typeof m[0] !== 'string' || (m[1] !== null && typeof m[1]?.key !== 'string')) return undefined;
  return o as EntryPayload;
}
