/// <reference types="node" />
/**
 * Replacing a file atomically (Node): a temporary file in the same directory, renamed over the target.
 * Kept rather than a library: forty lines with no dependency, synchronous, and it fsyncs the directory
 * as well, which fsync(2) says the file's own fsync does not cover (https://man7.org/linux/man-pages/man2/fsync.2.html).
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { toHex } from '../crypto/bytes.js';
import { publicRandomBytes } from '../crypto/random.js';

/**
 * Writes `bytes` to `path` atomically: readers see the old file or the new one, never a mix.
 * `durable` (default) also fsyncs the file and its directory, so the new file survives a power loss.
 * `syncDirectory: false` skips the directory's fsync: after a power loss the target is then the
 * old file or the complete new one (never a partial one), but the rename may be lost.
 * On any failure before the rename the temporary file is removed and `path` is left as it was.
 */
export function writeAtomic(
  path: string,
  bytes: Uint8Array | string,
  { durable = true, syncDirectory = durable }: { durable?: boolean; syncDirectory?: boolean } = {},
): void {
  const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  const tmp = tempPath(path);
  const fd = openSync(tmp, 'wx', 0o600);
  let renamed = false;
  try {
    try {
      writeAll(fd, data);
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    renamed = true;
  } finally {
    if (!renamed) {
      try {
        rmSync(tmp, { force: true });
      } catch {
        // the original error matters more; a leftover is cleaned up as an orphan later
      }
    }
  }
  if (!syncDirectory) return;
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/**
 * Writes all of `bytes` at the fd's position. writeSync may write fewer bytes than asked without
 * throwing (a full disk, a file-size limit): keep going, and fail when a write makes no progress.
 */
export function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) {
    const n = writeSync(fd, bytes, done, bytes.length - done);
    if (!(n > 0)) {
      throw Object.assign(new Error(`short write: ${done} of ${bytes.length} bytes written (disk full or file too large?)`), {
        code: 'EIO',
      });
    }
    done += n;
  }
}

/**
 * The start of every temporary name for `path`: `.<first 16 characters of its name>.<8 hex of a
 * hash of the whole name>.`: short, so any name that is legal with a `.bak` suffix stays legal, and
 * distinct for two targets whose names share their first 16 characters.
 */
export function tempPrefix(path: string): string {
  const name = basename(path);
  return `.${[...name].slice(0, 16).join('')}.${createHash('sha256').update(name).digest('hex').slice(0, 8)}.`;
}

/** A fresh temporary name for `path`, in its directory: `<tempPrefix><pid>.<8 hex random>.tmp`. */
export function tempPath(path: string): string {
  return join(dirname(path), `${tempPrefix(path)}${process.pid}.${toHex(publicRandomBytes(4))}.tmp`);
}

/** The pid in a name made by tempPath for a target with this prefix, or undefined if it is not one. */
export function tempFilePid(prefix: string, name: string): number | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const m = /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name.slice(prefix.length));
  return m === null ? undefined : Number(m[1]);
}
