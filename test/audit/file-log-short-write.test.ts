// FileAuditSink when the disk fills up or the file reaches a size limit: writeSync then writes
// only part of the line without throwing. A call must not report success for an event that was
// not written whole, and the log must stay a valid chain (no torn line left for the next event to
// be glued to). node:fs is mocked: writes to the log go through unless a test caps them.
import type * as realFs from 'node:fs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FileAuditSink, Kms, verifyAuditLog } from 'kmsbox/node';
import { tempDir } from '../providers/file-fixtures.js';

/** When set: each write to an fd opened on `path` writes at most `allow(wanted, call)` bytes (call counts from 0). */
const cap: { path?: string; allow?: (wanted: number, call: number) => number; calls?: number } = {};
const capped = new Set<number>();

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const openSync = (path: realFs.PathLike, ...rest: unknown[]): number => {
    const fd = (fs.openSync as (...a: unknown[]) => number)(path, ...rest);
    if (cap.path !== undefined && String(path) === cap.path) capped.add(fd);
    else capped.delete(fd);
    return fd;
  };
  const writeSync = (fd: number, buffer: Uint8Array | string, ...rest: unknown[]): number => {
    if (!capped.has(fd) || cap.allow === undefined) return (fs.writeSync as (...a: unknown[]) => number)(fd, buffer, ...rest);
    const bytes = typeof buffer === 'string' ? Buffer.from(buffer) : Buffer.from(buffer);
    const [offset = 0, length = bytes.length - offset] = (typeof buffer === 'string' ? [] : rest) as [number?, number?];
    const call = cap.calls ?? 0;
    cap.calls = call + 1;
    const n = Math.min(length, cap.allow(length, call));
    return n === 0 ? 0 : fs.writeSync(fd, bytes, offset, n);
  };
  const mocked = { ...fs, openSync, writeSync };
  return { ...mocked, default: mocked };
});

afterEach(() => {
  delete cap.path;
  delete cap.allow;
  delete cap.calls;
  capped.clear();
});

describe('FileAuditSink short writes', () => {
  it('a line written only in part: the call fails, the part is cut off again, the chain stays valid and goes on', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    const kms = new Kms({ audit: new FileAuditSink(path, { fsync: 'never' }) });
    await kms.listKeys();
    const before = readFileSync(path, 'utf8');
    cap.path = path;
    cap.allow = (_, call) => (call === 0 ? 40 : 0); // 40 bytes, then the disk is full
    await expect(kms.listAliases()).rejects.toMatchObject({ name: 'KMSInternalException' });
    delete cap.allow;
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(verifyAuditLog(path)).toEqual({ ok: true, events: 1, problems: [] });
    await kms.listKeys();
    expect(verifyAuditLog(path)).toEqual({ ok: true, events: 2, problems: [] });
  });

  it('a line written in several parts (writeSync short, then the rest): the whole line, the call succeeds', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    const kms = new Kms({ audit: new FileAuditSink(path, { fsync: 'never' }) });
    cap.path = path;
    cap.allow = (wanted, call) => (call === 0 ? 30 : wanted); // 30 bytes, then room again
    await kms.listKeys();
    expect(verifyAuditLog(path)).toEqual({ ok: true, events: 1, problems: [] });
  });
});
