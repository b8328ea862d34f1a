/// <reference types="node" />
/**
 * The FileProvider's inter-process lock (Node): `<file>.lock` created exclusively, holding
 * `<pid> <ms>`. Its holder refreshes it while it holds it (the file's mtime, every third of the
 * stale age: an unref'd timer, and the holder's own calls between the long steps of a compaction,
 * which run without yielding to the timer). A lock whose owner died, not refreshed for more than
 * 30 s (its date and mtime both that old), dated more than 30 s ahead, or carrying our pid but not
 * held by this process, is stale and taken over atomically (see breakStaleLock). So a live holder
 * on another host (whose pid says nothing here) keeps its lock however long it holds it, and one
 * that stopped (killed, frozen) loses it 30 s after its last refresh. Whoever takes the lock also
 * removes temp files that killed writers left (removeOrphanTempFiles).
 */
import { closeSync, linkSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { KMSInternalException } from '../errors.js';
import { tempFilePid, tempPath, tempPrefix, writeAll } from './atomic-write.js';
import { readRegularFile } from './read-regular-file.js';

export const STALE_LOCK_MS = 30_000;
const EMPTY_LOCK_GRACE_MS = 1000;
/** A break lock is held for a few system calls only: one this old was left by a dead process. */
const STALE_BREAK_LOCK_MS = 5000;
/**
 * The lock files this process holds now (resolved paths), shared by every FileProvider in the
 * process (and every copy of this module): a lock carrying our own pid that is not in here was
 * left by an earlier process with the same pid (a restarted container) and is stale.
 */
export const HELD_LOCKS = ((globalThis as Record<symbol, unknown>)[Symbol.for('kmsbox.file-provider.held-locks')] ??=
  new Set<string>()) as Set<string>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Releases the lock (call it once); `refresh()` marks it alive now, and throws if it is no longer ours. */
export type StoreLock = (() => void) & { readonly refresh: () => void };

/**
 * Takes the lock of the store at `path`, waiting up to `timeoutMs` for another process; returns
 * the function that releases it. `alsoClean`: another file of the store (its high-water mark)
 * whose orphan temp files are removed with the store's. `staleMs`: how long a lock not refreshed
 * stays live (tests shorten it; every process sharing a store must use the same).
 */
export async function lockStore(path: string, timeoutMs: number, alsoClean?: string, staleMs = STALE_LOCK_MS): Promise<StoreLock> {
  const lockPath = `${path}.lock`;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const mine = createLockFile(lockPath);
    if (mine !== undefined) {
      HELD_LOCKS.add(resolve(lockPath));
      try {
        removeOrphanTempFiles(path);
        if (alsoClean !== undefined) removeOrphanTempFiles(alsoClean, ['']);
      } catch {
        // housekeeping only
      }
      return holdLock(path, lockPath, mine, staleMs);
    }
    if (breakStaleLock(lockPath, staleMs)) continue;
    if (Date.now() > deadline) {
      throw new KMSInternalException({ message: `Key store ${path} is locked by another process (${lockPath}).` });
    }
    await sleep(Math.min(50, 1 + attempt));
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
 * Temp files of writers killed mid-write, for `path` + each suffix (the store, its `.bak` and its
 * lock; or the high-water mark): removed under the lock when their writer is dead, or is this
 * process (holding the lock, it writes none now). With the store, also the names of earlier
 * versions (`.<name>[.bak].<pid>.<rand>.tmp`).
 */
function removeOrphanTempFiles(path: string, suffixes: readonly string[] = ['', '.bak', '.lock']): void {
  const dir = dirname(path);
  const prefixes = suffixes.map((suffix) => tempPrefix(`${path}${suffix}`));
  const legacy = suffixes.includes('.bak') ? `.${basename(path)}.` : undefined;
  for (const name of readdirSync(dir)) {
    let pid: number | undefined;
    for (const prefix of prefixes) pid ??= tempFilePid(prefix, name);
    if (pid !== undefined) {
      if (pid === process.pid || pidIsDead(pid)) rmSync(join(dir, name), { force: true });
      continue;
    }
    const old = legacy !== undefined && name.startsWith(legacy) ? /\.(\d+)\.[\w-]+\.tmp$/.exec(name)?.[1] : undefined;
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

/** The lock just created, refreshed every third of `staleMs` while the event loop is free, until released. */
function holdLock(path: string, lockPath: string, mine: string, staleMs: number): StoreLock {
  const refresh = (): void => {
    let content: string | undefined;
    try {
      content = readRegularFile(lockPath).toString('utf8');
    } catch {
      content = undefined;
    }
    if (content !== mine) {
      throw new KMSInternalException({
        message: `Key store ${path}: its lock ${lockPath} was taken over by another process (this one held it, but did not refresh it for ${staleMs} ms); nothing was written.`,
      });
    }
    const now = new Date();
    utimesSync(lockPath, now, now);
  };
  const timer = setInterval(
    () => {
      try {
        refresh();
      } catch {
        // taken over, or gone: the holder finds out at its next refresh or write
      }
    },
    Math.max(1, Math.floor(staleMs / 3)),
  );
  timer.unref();
  let released = false;
  const unlock = (): void => {
    if (released) return;
    released = true;
    clearInterval(timer);
    releaseLockFile(lockPath, mine);
  };
  return Object.assign(unlock, { refresh });
}

/** Removes our lock, unless it was taken over (we were too slow) and is now someone else's. */
function releaseLockFile(lockPath: string, mine: string): void {
  HELD_LOCKS.delete(resolve(lockPath));
  try {
    if (readRegularFile(lockPath).toString('utf8') === mine) rmSync(lockPath, { force: true });
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
function breakStaleLock(lockPath: string, staleMs: number): boolean {
  if (staleLockContent(lockPath, staleMs) === undefined) return false;
  const breakPath = join(dirname(lockPath), `${tempPrefix(lockPath)}break`);
  const mine = createLockFile(breakPath);
  if (mine === undefined) {
    // another process is taking over right now, or died doing so
    const stale = staleLockContent(breakPath, STALE_BREAK_LOCK_MS);
    if (stale !== undefined) removeIfUnchanged(breakPath, stale);
    return false;
  }
  try {
    const stale = staleLockContent(lockPath, staleMs);
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
      now = readRegularFile(aside).toString('utf8');
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
 * dead; neither its date nor its mtime (refreshed by its holder) is within `maxAgeMs` before now;
 * either is more than `maxAgeMs` after now; it carries this process's pid but this process does
 * not hold it; or it is still empty (or garbled) a second after its creation.
 */
function staleLockContent(lockPath: string, maxAgeMs: number): string | undefined {
  let content: string;
  let mtimeMs: number;
  try {
    content = readRegularFile(lockPath).toString('utf8');
    mtimeMs = statSync(lockPath).mtimeMs;
  } catch {
    return undefined; // vanished meanwhile: free now, the next attempt takes it
  }
  const m = /^(\d+) (\d+)$/.exec(content);
  if (m === null) return Date.now() - mtimeMs > EMPTY_LOCK_GRACE_MS ? content : undefined;
  const pid = Number(m[1]);
  const now = Date.now();
  const date = Number(m[2]);
  // A date ahead of now (forged, or another host's clock) would otherwise never get old.
  if (date - now > maxAgeMs || mtimeMs - now > maxAgeMs) return content;
  if (now - Math.max(date, mtimeMs) > maxAgeMs) return content;
  if (pid === process.pid) return HELD_LOCKS.has(resolve(lockPath)) ? undefined : content;
  return pid > 0 && pidIsDead(pid) ? content : undefined;
}
