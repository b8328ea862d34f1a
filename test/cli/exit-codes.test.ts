// Every command-line mistake exits 252 (as the AWS CLI v2 does for what botocore refuses before
// sending: bad base64, wrong JSON types, unknown or missing members), with a message and nothing
// sent; the wrong value is not echoed (a --plaintext may be a secret). One bash run for all cases:
// each spawn of the CLI costs a second or two on a loaded machine.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kms } from 'kmsbox';
import { startServer, type RunningServer } from 'kmsbox/node';
import { tempDir } from '../providers/file-fixtures.js';
import { cliBundle } from './cli-bundle.js';

// Each CLI spawn takes seconds on a loaded machine: a bound for a hang, never a measure of speed.
const CLI_TEST_TIMEOUT = 600_000;

const run = promisify(execFile);
const KMSBOX = `node ${cliBundle}`;

let dir: string;
let kms: Kms;
let server: RunningServer;
beforeAll(async () => {
  dir = tempDir();
  writeFileSync(join(dir, 'root.key'), randomBytes(32));
  writeFileSync(join(dir, 'creds-bad.json'), '[1]');
  kms = new Kms();
  server = await startServer(kms);
});
afterAll(() => server.close());

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs each command line (arguments after `kmsbox`) in one bash process; the outcome of each. */
async function runAll(commands: string[]): Promise<Outcome[]> {
  const script = commands.map((c, i) => `$KMSBOX ${c} >out.${i} 2>err.${i} </dev/null; echo "$?" >code.${i}`).join('\n');
  const env: Record<string, string | undefined> = { ...process.env, KMSBOX, NODE_OPTIONS: '' };
  for (const k of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'KMSBOX_ENDPOINT_URL', 'KMSBOX_STORE', 'KMSBOX_PASSPHRASE']) delete env[k];
  await run('bash', ['-c', script], { cwd: dir, env, timeout: CLI_TEST_TIMEOUT });
  return commands.map((_, i) => ({
    code: Number(readFileSync(join(dir, `code.${i}`), 'utf8')),
    stdout: readFileSync(join(dir, `out.${i}`), 'utf8'),
    stderr: readFileSync(join(dir, `err.${i}`), 'utf8'),
  }));
}

describe('kmsbox: usage mistakes exit 252, before anything is sent', () => {
  it(
    'bad base64, wrong JSON types and shapes, missing root key, stray serve arguments',
    async () => {
      const E = `--endpoint-url ${server.url}`;
      const S = '--store s.kmsbox --root-key-file root.key';
      const GRANT = '--key-id x --grantee-principal arn:aws:iam::111122223333:root --operations Decrypt';
      const cases: Array<[string, RegExp]> = [
        ['', /^usage: kmsbox <verb>/],
        [
          `encrypt ${E} --key-id alias/x --plaintext QR==`,
          /^kmsbox: Error parsing parameter '--plaintext': Invalid base64: expected standard padded base64 \(RFC 4648 §4\) or fileb:\/\/FILE\n/,
        ],
        [`encrypt ${S} --key-id alias/x --plaintext 'c2VjcmV0IHNlY3JldA'`, /Error parsing parameter '--plaintext': Invalid base64/],
        [`decrypt ${S} --ciphertext-blob 'AQID BA=='`, /Error parsing parameter '--ciphertext-blob': Invalid base64/],
        [`decrypt ${E} --ciphertext-blob AQID-A==`, /Error parsing parameter '--ciphertext-blob': Invalid base64/],
        [
          `verify ${E} --key-id k --message aGk= --signature QR== --signing-algorithm ECDSA_SHA_256`,
          /Error parsing parameter '--signature': Invalid base64/,
        ],
        [
          `encrypt ${E} --key-id alias/x --plaintext aGk= --encryption-context '{"a":1}'`,
          /Error parsing parameter '--encryption-context': the value of 'a' must be a string/,
        ],
        [`encrypt ${S} --key-id alias/x --plaintext aGk= --encryption-context '{"a":null}'`, /the value of 'a' must be a string/],
        [
          `encrypt ${E} --key-id alias/x --plaintext aGk= --grant-tokens '[1]'`,
          /Error parsing parameter '--grant-tokens': expected a JSON list of strings/,
        ],
        [`create-key ${E} --tags '[1]'`, /Error parsing parameter '--tags': tag 1: expected TagKey=k,TagValue=v/],
        [
          `create-key ${E} --tags Key=a,Value=b`,
          /Error parsing parameter '--tags': tag 1: unknown member 'Key', must be one of: TagKey, TagValue/,
        ],
        [
          `create-key ${S} --tags TagKey=a,TagValue=b TagKey=c`,
          /Error parsing parameter '--tags': tag 2: TagValue is required and must be a string/,
        ],
        [`create-key ${E} --tags '[{"TagKey":"a","TagValue":1}]'`, /tag 1: TagValue is required and must be a string/],
        [
          `create-grant ${E} ${GRANT} --constraints '[1]'`,
          /Error parsing parameter '--constraints': expected a JSON object with EncryptionContextSubset or EncryptionContextEquals/,
        ],
        [
          `create-grant ${E} ${GRANT} --constraints '{"Foo":{}}'`,
          /unknown member 'Foo', must be one of: EncryptionContextSubset, EncryptionContextEquals/,
        ],
        [
          `create-grant ${E} ${GRANT} --constraints '{"EncryptionContextEquals":{"a":2}}'`,
          /EncryptionContextEquals: the value of 'a' must be a string/,
        ],
        [`create-grant ${E} ${GRANT} --constraints '{"EncryptionContextEquals":'`, /Error parsing parameter '--constraints': Invalid JSON/],
        ['list-keys --store s.kmsbox', /^kmsbox: --store needs --root-key-file FILE or the KMSBOX_PASSPHRASE environment variable/],
        ['serve stray', /^kmsbox: unexpected argument 'stray'/],
        ['serve --port', /^kmsbox: --port needs a value/],
        ['serve --root-key-file root.key', /^kmsbox: --root-key-file goes with --store/],
        ['serve --credentials creds-bad.json', /^kmsbox: --credentials creds-bad.json: expected a JSON object of access keys/],
        ['serve --credentials nope.json', /^kmsbox: --credentials nope.json: ENOENT/],
      ];
      const keysBefore = (await kms.listKeys({})).Keys!.length;
      const outcomes = await runAll(cases.map(([c]) => c));
      outcomes.forEach((o, i) => {
        const [command, message] = cases[i]!;
        expect({ command, code: o.code, stdout: o.stdout }).toEqual({ command, code: 252, stdout: '' });
        expect(o.stderr, command).toMatch(message);
        expect(o.stderr, command).not.toMatch(/TypeError|SyntaxError|at .*\.ts:\d+/);
      });
      expect(outcomes[2]!.stderr).not.toContain('c2VjcmV0IHNlY3JldA'); // the refused value is not echoed
      expect((await kms.listKeys({})).Keys!.length).toBe(keysBefore); // nothing reached the server
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'the same values, well formed, are taken (the checks refuse only mistakes)',
    async () => {
      const S = '--store ok.kmsbox --root-key-file root.key';
      const outcomes = await runAll([`create-key ${S} --tags TagKey=a,TagValue=b '--query' KeyMetadata.KeyId --output text`]);
      expect(outcomes[0]!.code).toBe(0);
      const keyId = outcomes[0]!.stdout.trim();
      const [encrypted] = await runAll([
        `encrypt ${S} --key-id ${keyId} --plaintext QQ== --encryption-context '{"__proto__":"x","a":"b"}' --grant-tokens '["t"]' --query CiphertextBlob --output text`,
      ]);
      // A grant token that names no grant is refused by the service (254), not as a usage mistake.
      expect([encrypted!.code, encrypted!.stderr]).toEqual([254, expect.stringContaining('InvalidGrantTokenException')]);
      const [ok] = await runAll([
        `encrypt ${S} --key-id ${keyId} --plaintext QQ== --encryption-context '{"__proto__":"x","a":"b"}' --query CiphertextBlob --output text > ct.b64; ` +
          `kmsbox_ct=$(cat ct.b64); $KMSBOX decrypt ${S} --ciphertext-blob "$kmsbox_ct" --encryption-context __proto__=x,a=b --query Plaintext --output text`,
      ]);
      expect([ok!.code, ok!.stdout.trim()]).toEqual([0, 'QQ==']);
    },
    CLI_TEST_TIMEOUT,
  );
});
