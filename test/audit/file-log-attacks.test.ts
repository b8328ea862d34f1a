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

  it('a symlink planted at the log path is not written through, nor its target quoted; the target is untouched', async () => {
    const dir = tempDir();
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'precious secret\n');
    const path = join(dir, 'audit.jsonl');
    symlinkSync(victim, path);
    // No head file: the sink would continue from the log's last line, which it reads first.
    expect(() => new FileAuditSink(path)).toThrow(
      expect.objectContaining({ name: 'KMSInternalException', message: `Audit log ${path} cannot be used: it is a symbolic link.` }),
    );
    // With a head file (planted too), the append itself refuses the link: the call fails, typed.
    writeFileSync(`${path}.head`, JSON.stringify({ seq: 0, hash: '0'.repeat(64) }));
    await expect(new Kms({ audit: new FileAuditSink(path) }).listKeys()).rejects.toMatchObject({ name: 'KMSInternalException' });
    expect(readFileSync(victim, 'utf8')).toBe('precious secret\n');
    expect(readFileSync(`${path}.head`, 'utf8')).toBe(JSON.stringify({ seq: 0, hash: '0'.repeat(64) }));
  });

  it('a log whose last line is not an event (another file given as the log): a typed error that does not quote it', async () => {
    const dir = tempDir();
    for (const [name, text] of [
      ['env', 'SECRET_TOKEN=hunter2-very-secret\n'],
      ['json', '{"secretAccessKey":"wJalrXUtnFEMIK7MDENG"}\n'],
      ['seq', '{"seq":0}\n'],
    ] as const) {
      const path = join(dir, name);
      writeFileSync(path, text);
      let error: unknown;
      try {
        new FileAuditSink(path);
      } catch (e) {
        error = e;
      }
      expect(error, name).toMatchObject({
        name: 'KMSInternalException',
        message: `Audit log ${path} cannot be used: its last line is not an audit event (kmsbox audit verify ${path}).`,
      });
      expect(readFileSync(path, 'utf8')).toBe(text);
    }
  });
});
