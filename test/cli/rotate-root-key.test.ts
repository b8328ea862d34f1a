// `kmsbox store rotate-root-key` and `kmsbox db rotate-root-key` on the command line: keys from the
// same sources as every --store command (--root-key-file, KMSBOX_PASSPHRASE; the new one from
// --new-root-key-file, KMSBOX_NEW_PASSPHRASE), usage mistakes exit 252, a wrong key exits 1 and
// changes nothing, an unreachable database 255. One bash run: each spawn costs a second or so.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kms } from 'kmsbox';
import { FileProvider } from 'kmsbox/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../providers/file-fixtures.js';
import { cliBundle } from './cli-bundle.js';
import { lowCostPassphraseStore } from './passphrase-store.js';

const run = promisify(execFile);
const DOWN = 'postgres://team:sekrit-pw@127.0.0.1:1/kms';

describe('kmsbox store|db rotate-root-key', () => {
  const commands: [string, Record<string, string>][] = [
    ['store rotate-root-key --store p.kmsbox', { KMSBOX_PASSPHRASE: 'wrong', KMSBOX_NEW_PASSPHRASE: 'new' }],
    ['store rotate-root-key --store p.kmsbox', { KMSBOX_PASSPHRASE: 'old' }],
    ['store rotate-root-key', { KMSBOX_PASSPHRASE: 'old', KMSBOX_NEW_PASSPHRASE: 'new' }],
    ['store rotate-root-key --store p.kmsbox --bogus x', { KMSBOX_PASSPHRASE: 'old', KMSBOX_NEW_PASSPHRASE: 'new' }],
    ['store rotate-root-key --store p.kmsbox', { KMSBOX_PASSPHRASE: 'old', KMSBOX_NEW_PASSPHRASE: 'new' }],
    ['store rotate-root-key --store f.kmsbox --root-key-file a.key --new-root-key-file b.key', {}],
    ['store --help', {}],
    ['store', {}],
    [`db rotate-root-key --postgres ${DOWN} --root-key-file a.key`, {}],
    [`db rotate-root-key --postgres ${DOWN} --root-key-file a.key --new-root-key-file b.key`, {}],
    ['db rotate-root-key --root-key-file a.key --new-root-key-file b.key', {}],
    ['db --help', {}],
    ['--help', {}],
  ];
  let outcomes: { code: number; stdout: string; stderr: string }[];
  let dir: string;
  const blobs: Record<string, Uint8Array> = {};

  beforeAll(async () => {
    dir = tempDir();
    writeFileSync(join(dir, 'a.key'), randomBytes(32));
    writeFileSync(join(dir, 'b.key'), randomBytes(32).toString('hex'));
    const p = await lowCostPassphraseStore(join(dir, 'p.kmsbox'), 'old');
    const f = new FileProvider({ path: join(dir, 'f.kmsbox'), rootKeyFile: join(dir, 'a.key') });
    for (const [name, provider] of [
      ['p', new FileProvider({ path: p, passphrase: 'old' })],
      ['f', f],
    ] as const) {
      const kms = new Kms({ provider });
      const { KeyMetadata } = await kms.createKey({});
      blobs[name] = (await kms.encrypt({ KeyId: KeyMetadata!.KeyId!, Plaintext: new Uint8Array([1, 2, 3]) })).CiphertextBlob!;
    }
    const files = () => readdirSync(dir).map((n) => `${n}:${readFileSync(join(dir, n)).toString('base64')}`);
    const script = commands
      .map(([c, env], i) => {
        const vars = Object.entries(env)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ');
        return `${vars} node ${cliBundle} ${c} >out.${i} 2>err.${i} </dev/null; echo "$?" >code.${i}`;
      })
      .join('\n');
    const env: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: '' };
    for (const k of ['KMSBOX_POSTGRES_URL', 'KMSBOX_PASSPHRASE', 'KMSBOX_NEW_PASSPHRASE', 'KMSBOX_STORE', 'PGPASSWORD']) delete env[k];
    // The first four commands must change nothing: run them alone first and compare.
    const before = files();
    const first = script.split('\n').slice(0, 4).join('\n');
    await run('bash', ['-c', first], { cwd: dir, env, timeout: 600_000 });
    const untouched = files().filter((l) => !/^(out|err|code)\./.test(l));
    expect(untouched).toEqual(before);
    await run('bash', ['-c', script.split('\n').slice(4).join('\n')], { cwd: dir, env, timeout: 600_000 });
    outcomes = commands.map((_, i) => ({
      code: Number(readFileSync(join(dir, `code.${i}`), 'utf8')),
      stdout: readFileSync(join(dir, `out.${i}`), 'utf8'),
      stderr: readFileSync(join(dir, `err.${i}`), 'utf8'),
    }));
  }, 600_000);

  it('re-seals a store: under the new passphrase (or root key file) it serves what it did, the old one is refused', async () => {
    expect([outcomes[4]!.code, outcomes[4]!.stdout]).toEqual([
      0,
      `p.kmsbox: re-sealed under the new root key; restart the processes that use it with the new key\n`,
    ]);
    expect(outcomes[5]!.code).toBe(0);
    const decrypts = async (provider: FileProvider, blob: Uint8Array) => [
      ...(await new Kms({ provider }).decrypt({ CiphertextBlob: blob })).Plaintext!,
    ];
    expect(await decrypts(new FileProvider({ path: join(dir, 'p.kmsbox'), passphrase: 'new' }), blobs.p!)).toEqual([1, 2, 3]);
    expect(await decrypts(new FileProvider({ path: join(dir, 'f.kmsbox'), rootKeyFile: join(dir, 'b.key') }), blobs.f!)).toEqual([1, 2, 3]);
    await expect(new FileProvider({ path: join(dir, 'p.kmsbox'), passphrase: 'old' }).read(() => 0)).rejects.toThrow(/wrong passphrase/);
  });

  it('a wrong key exits 1 and changes nothing; usage mistakes exit 252', () => {
    expect(outcomes[0]!.code).toBe(1);
    expect(outcomes[0]!.stderr).toMatch(/^kmsbox: AccessDeniedException: Cannot open key store p\.kmsbox: wrong passphrase or root key/);
    const refused = (i: number) => [outcomes[i]!.code, outcomes[i]!.stderr.split('\n')[0]];
    expect(refused(1)).toEqual([252, 'kmsbox: give --new-root-key-file FILE or the KMSBOX_NEW_PASSPHRASE environment variable']);
    expect(refused(2)[0]).toBe(252);
    expect(refused(2)[1]).toMatch(/^kmsbox: give --store FILE \(or KMSBOX_STORE\)/);
    expect(refused(3)[0]).toBe(252);
    expect(refused(3)[1]).toMatch(/^kmsbox: unexpected argument '--bogus'/);
    expect(refused(7)[0]).toBe(252);
    expect(refused(8)).toEqual([252, 'kmsbox: give --new-root-key-file FILE or the KMSBOX_NEW_PASSPHRASE environment variable']);
    expect(refused(10)[0]).toBe(252);
    expect(refused(10)[1]).toMatch(/^kmsbox: give --postgres URL or KMSBOX_POSTGRES_URL/);
  });

  it('an unreachable database exits 255, never showing the password', () => {
    expect(outcomes[9]!.code).toBe(255);
    expect(outcomes[9]!.stderr).toMatch(/^kmsbox: cannot change the root key in postgres:\/\/team:\*\*\*@127\.0\.0\.1:1\/kms/);
    for (const o of outcomes) expect(`${o.stdout}${o.stderr}`).not.toContain('sekrit');
  });

  it('documents both commands in 80 columns', () => {
    for (const i of [6, 11, 12]) {
      expect(outcomes[i]!.code).toBe(0);
      for (const line of outcomes[i]!.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    }
    expect(outcomes[6]!.stdout).toMatch(/^usage: kmsbox store rotate-root-key --store FILE/);
    expect(outcomes[6]!.stdout).toContain('KMSBOX_NEW_PASSPHRASE');
    expect(outcomes[11]!.stdout).toContain('usage: kmsbox db rotate-root-key');
    expect(outcomes[12]!.stdout).toContain('store rotate-root-key --store FILE');
    expect(outcomes[12]!.stdout).toContain('db rotate-root-key --postgres URL');
  });
});
