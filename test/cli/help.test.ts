// kmsbox --help, --version, serve --help and each file command's help, spawned: each reads well in 80
// columns. A fileb:// argument too large for its operation is refused from its size (exit 252),
// with a hint naming the file commands. One bash run: each spawn costs seconds on a loaded machine.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../providers/file-fixtures.js';
import { cliBundle } from './cli-bundle.js';

const CLI_TEST_TIMEOUT = 600_000;
const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const KMSBOX = `node ${cliBundle}`;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

describe('kmsbox help, version and oversized fileb:// arguments', () => {
  const commands = [
    '--help',
    '--version',
    'serve --help',
    'encrypt-file --help',
    'decrypt-file --help',
    'inspect --help',
    'encrypt --key-id alias/x --plaintext fileb://big.bin --endpoint-url http://127.0.0.1:9',
    'encrypt --key-id alias/x --plaintext fileb://limit.bin --endpoint-url http://127.0.0.1:9',
    'decrypt --ciphertext-blob fileb://big.bin --store s.kmsbox',
    'sign --key-id k --message fileb://big.bin --signing-algorithm ECDSA_SHA_256 --store s.kmsbox',
    'derive-shared-secret --key-id k --key-agreement-algorithm ECDH --public-key fileb://big.bin --store s.kmsbox',
  ];
  let outcomes: Outcome[];
  let dir: string;

  beforeAll(async () => {
    dir = tempDir();
    writeFileSync(join(dir, 'big.bin'), Buffer.alloc(8193));
    writeFileSync(join(dir, 'limit.bin'), Buffer.alloc(4096));
    const script = commands.map((c, i) => `$KMSBOX ${c} >out.${i} 2>err.${i} </dev/null; echo "$?" >code.${i}`).join('\n');
    const env: Record<string, string | undefined> = { ...process.env, KMSBOX, NODE_OPTIONS: '' };
    for (const k of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'KMSBOX_ENDPOINT_URL', 'KMSBOX_STORE', 'KMSBOX_PASSPHRASE']) delete env[k];
    await run('bash', ['-c', script], { cwd: dir, env, timeout: CLI_TEST_TIMEOUT });
    outcomes = commands.map((_, i) => ({
      code: Number(readFileSync(join(dir, `code.${i}`), 'utf8')),
      stdout: readFileSync(join(dir, `out.${i}`), 'utf8'),
      stderr: readFileSync(join(dir, `err.${i}`), 'utf8'),
    }));
  }, CLI_TEST_TIMEOUT);

  it('every help text exits 0 and fits in 80 columns', () => {
    for (const i of [0, 2, 3, 4, 5]) {
      const o = outcomes[i]!;
      expect([commands[i], o.code, o.stderr]).toEqual([commands[i], 0, '']);
      for (const line of o.stdout.split('\n')) expect(line.length, `${commands[i]}: ${line}`).toBeLessThanOrEqual(80);
    }
    expect(outcomes[0]!.stdout).toMatch(/^usage: kmsbox <verb> \[options\]/);
    expect(outcomes[0]!.stdout).toContain('encrypt-file IN [-o OUT]');
    expect(outcomes[0]!.stdout).toContain('252 a usage mistake, 254 an error from KMS');
    expect(outcomes[2]!.stdout).toMatch(/^usage: kmsbox serve \[--port N\]/);
    expect(outcomes[2]!.stdout).toContain('--idle-timeout-ms MS');
    expect(outcomes[3]!.stdout).toMatch(/^usage: kmsbox encrypt-file /);
    expect(outcomes[4]!.stdout).toMatch(/^usage: kmsbox decrypt-file /);
    expect(outcomes[5]!.stdout).toMatch(/^usage: kmsbox inspect FILE/);
  });

  it('--version names the package version and Node', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(outcomes[1]).toEqual({ code: 0, stdout: `kmsbox/${pkg.version} node/${process.version}\n`, stderr: '' });
  });

  it('a fileb:// file larger than the member allows: exit 252 from its size, with a hint', () => {
    expect(outcomes[6]!.code).toBe(252);
    expect(outcomes[6]!.stderr).toMatch(
      /^kmsbox: Error parsing parameter '--plaintext': fileb:\/\/big.bin is 8193 bytes, and Encrypt takes at most 4096 bytes in Plaintext; kmsbox encrypt-file encrypts data of any size \(envelope encryption\)\n/,
    );
    // Exactly the limit passes the size check (and then fails to reach the dead endpoint: 255).
    expect(outcomes[7]!.code).toBe(255);
    expect(outcomes[8]!.stderr).toMatch(
      /^kmsbox: Error parsing parameter '--ciphertext-blob': fileb:\/\/big.bin is 8193 bytes, and Decrypt takes at most 6144 bytes in CiphertextBlob; an envelope made by kmsbox encrypt-file is read by kmsbox decrypt-file\n/,
    );
    expect(outcomes[9]!.stderr).toContain('Sign takes at most 4096 bytes in Message');
    expect(outcomes[10]!.stderr).toContain('fileb://big.bin is 8193 bytes, and DeriveSharedSecret takes at most 8192 bytes in PublicKey');
    for (const i of [8, 9, 10]) expect(outcomes[i]!.code).toBe(252);
  });
});
