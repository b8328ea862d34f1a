// The command line's PostgreSQL flags without a database: usage mistakes exit 252, an unreachable
// database 255, and no message shows the URL's password. One bash run: each spawn costs seconds.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../providers/file-fixtures.js';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const KMSBOX = `node --import ${pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href} ${join(root, 'src/cli.ts')}`;
/** Nothing listens on port 1: refused at once. */
const DOWN = 'postgres://team:sekrit-pw@127.0.0.1:1/kms';

describe('kmsbox --postgres on the command line', () => {
  const commands = [
    `serve --store s.kmsbox --postgres ${DOWN}`,
    'serve --postgres mysql://team:sekrit-pw@127.0.0.1/kms',
    `serve --postgres ${DOWN}`,
    `serve --postgres ${DOWN} --root-key-file root.key`,
    'serve --audit-log postgres',
    'serve --postgres-schema other',
    `db migrate --postgres ${DOWN}`,
    'db',
    'db migrate',
    'db --help',
    `audit verify --postgres ${DOWN}`,
    `audit verify --postgres ${DOWN} --expect-head 12`,
    `serve --postgres ${DOWN} --root-key-file root.key --postgres-schema Bad-Name`,
    '--help',
    `db migrate --postgres ${DOWN} --postgres ${DOWN}`,
  ];
  let outcomes: { code: number; stdout: string; stderr: string }[];

  beforeAll(async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'root.key'), Buffer.alloc(32, 7));
    const script = commands.map((c, i) => `$KMSBOX ${c} >out.${i} 2>err.${i} </dev/null; echo "$?" >code.${i}`).join('\n');
    const env: Record<string, string | undefined> = { ...process.env, KMSBOX, NODE_OPTIONS: '' };
    for (const k of ['KMSBOX_POSTGRES_URL', 'KMSBOX_PASSPHRASE', 'KMSBOX_STORE', 'PGPASSWORD']) delete env[k];
    await run('bash', ['-c', script], { cwd: dir, env, timeout: 600_000 });
    outcomes = commands.map((_, i) => ({
      code: Number(readFileSync(join(dir, `code.${i}`), 'utf8')),
      stdout: readFileSync(join(dir, `out.${i}`), 'utf8'),
      stderr: readFileSync(join(dir, `err.${i}`), 'utf8'),
    }));
  }, 600_000);

  it('never shows the password', () => {
    for (const [i, o] of outcomes.entries()) expect(`${o.stdout}${o.stderr}`, commands[i]).not.toContain('sekrit');
  });

  it('refuses usage mistakes with 252', () => {
    const refused = (i: number) => [outcomes[i]!.code, outcomes[i]!.stderr.split('\n')[0]];
    expect(refused(0)).toEqual([252, 'kmsbox: give one of --store and --postgres']);
    expect(refused(1)).toEqual([
      252,
      'kmsbox: --postgres mysql://team:***@127.0.0.1/kms: expected a postgres://user@host:port/database URL',
    ]);
    expect(refused(2)).toEqual([252, 'kmsbox: --postgres needs --root-key-file FILE or the KMSBOX_PASSPHRASE environment variable']);
    expect(refused(4)).toEqual([252, 'kmsbox: --audit-log postgres goes with --postgres']);
    expect(refused(5)).toEqual([252, 'kmsbox: --postgres-schema goes with --postgres']);
    expect(refused(7)[0]).toBe(252);
    expect(refused(8)).toEqual([252, expect.stringMatching(/give --postgres URL or KMSBOX_POSTGRES_URL/)]);
    expect(refused(11)).toEqual([252, "kmsbox: --expect-head takes SEQ:HASH as verify printed it, not '12'"]);
    expect(refused(14)).toEqual([252, 'kmsbox: --postgres given twice']); // not the last one silently
    expect(refused(12)[0]).toBe(252);
  });

  it('exits 255 when the database cannot be reached, naming it without the password', () => {
    for (const i of [3, 6, 10]) {
      expect([commands[i], outcomes[i]!.code]).toEqual([commands[i], 255]);
      expect(outcomes[i]!.stderr).toContain('postgres://team:***@127.0.0.1:1/kms');
    }
  });

  it('documents db migrate and audit verify --postgres in 80 columns', () => {
    for (const i of [9, 13]) {
      expect(outcomes[i]!.code).toBe(0);
      for (const line of outcomes[i]!.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    }
    expect(outcomes[9]!.stdout).toMatch(/^usage: kmsbox db migrate \[--postgres URL\]/);
    expect(outcomes[13]!.stdout).toContain('db migrate --postgres URL');
    expect(outcomes[13]!.stdout).toContain('--postgres URL instead of FILE');
  });
});
