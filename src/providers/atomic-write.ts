/// <reference types="node" />
/** Replacing a file atomically (Node): a temporary file in the same directory, renamed over the target. */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { toHex } from '../crypto/bytes.js';
import { randomBytes } from '../crypto/random.js';

/**
 * Writes `bytes` to `path` atomically: readers see the old file or the new one, never a mix.
 * `durable` (default) also fsyncs the file and its directory, so the new file survives a power loss.
 */
export function writeAtomic(path: string, bytes: Uint8Array | string, { durable = true }: { durable?: boolean } = {}): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${toHex(randomBytes(6))}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  if (!durable) return;
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
