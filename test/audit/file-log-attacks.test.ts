// The audit log's files as someone who can write its directory sees them: what the sink creates
// (owner-only, like the key store) and what it must not write through (a planted symlink).
import { existsSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileAuditSink, Kms, verifyAuditLog } from 'kmsbox/node';
import { tempDir } from '../providers/file-fixtures.js';

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('FileAuditSink files', () => {
  let umask = 0;
  beforeEach(() => {
    umask = process.umask(0o022); // the usual umask, under which a default-mode file is 0644
  });
  afterEach(() => {
    process.umask(umask);
  });

  it('the log and its head are created 0600 (events name principals, keys and encryption contexts)', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    await new Kms({ audit: new FileAuditSink(path) }).listKeys();
    expect(mode(path)).toBe(0o600);
    expect(mode(`${path}.head`)).toBe(0o600);
    expect(verifyAuditLog(path)).toEqual({ ok: true, events: 1, problems: [] });
  });

  it('a symlink planted at the log path is not written through: the call fails, the target is untouched', async () => {
    const dir = tempDir();
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    const path = join(dir, 'audit.jsonl');
    symlinkSync(victim, path);
    await expect(new Kms({ audit: new FileAuditSink(path) }).listKeys()).rejects.toMatchObject({ name: 'KMSInternalException' });
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(existsSync(`${path}.head`)).toBe(false);
  });
});
