// The audit log's files as someone who can write its directory sees them: what the sink creates
// (owner-only, like the key store) and what it must not write through (a planted symlink).
import { createHash } from 'node:crypto';
import { readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fc, test as fcTest } from '@fast-check/vitest';
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

describe('verifyAuditLog on a hostile file', () => {
  async function writeLog(events: number): Promise<string> {
    const path = join(tempDir(), 'audit.jsonl');
    const kms = new Kms({ audit: new FileAuditSink(path, { fsync: 'never' }) });
    for (let i = 0; i < events; i++) await kms.listKeys();
    return path;
  }
  const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

  it('lines that are JSON but not objects (null, a number, an array, a string) are problems, not a TypeError', async () => {
    const path = await writeLog(2);
    const [first, second] = lines(path) as [string, string];
    writeFileSync(path, `${first}\nnull\n7\n[1]\n"x"\n${second}\n{"seq":"7","prev":1}\n`);
    expect(verifyAuditLog(path)).toEqual({
      ok: false,
      events: 7,
      problems: [
        'line 2: not a JSON object',
        'line 3: not a JSON object',
        'line 4: not a JSON object',
        'line 5: not a JSON object',
        'line 6: sequence number 2, expected 6 (an event was removed, inserted or moved)',
        'line 6: does not follow the line before it (an event was edited, removed or reordered)',
        'line 7: sequence number missing, expected 7 (an event was removed, inserted or moved)',
        'line 7: does not follow the line before it (an event was edited, removed or reordered)',
        'line 7: no event',
        'the log ends at event 7 but the head records event 2 (events were removed from the end, or the last one was changed)',
      ],
    });
  });

  fcTest.prop([fc.array(fc.oneof(fc.json(), fc.string()), { maxLength: 8 })], { numRuns: 200 })(
    'any lines at all: a report (never a throw), never ok, never quoting the file',
    (junk) => {
      const path = join(tempDir(), 'junk.jsonl');
      const text = junk.map((l) => `${l.replace(/\n/g, ' ')}\n`).join('');
      writeFileSync(path, text);
      const report = verifyAuditLog(path);
      expect(report.ok).toBe(false); // no head file
      expect(report.events).toBe(text === '' ? 0 : text.split('\n').length - 1);
      for (const problem of report.problems) expect(problem).toMatch(/^(line \d+: [a-z]|no head file|the log ends|the last line)/);
    },
  );

  // What a hash chain without a key cannot promise (README: "The audit log's hash chain"): the
  // chain and the head are plain SHA-256, which anyone who can write the files can recompute.
  it('what it cannot detect: the last events cut off and the head rewritten to match (anyone can compute SHA-256)', async () => {
    const path = await writeLog(4);
    const kept = lines(path).slice(0, 2);
    writeFileSync(path, kept.map((l) => `${l}\n`).join(''));
    writeFileSync(`${path}.head`, JSON.stringify({ seq: 2, hash: sha256(kept[1]!) }));
    expect(verifyAuditLog(path)).toEqual({ ok: true, events: 2, problems: [] });
  });
});
