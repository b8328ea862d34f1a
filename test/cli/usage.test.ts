// The `kmsbox` CLI's checks before a request is sent (--output, --query, fileb://, JSON
// arguments), the region it sends to a server, and its exit codes when a server can't be reached.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { existsSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kms } from 'kmsbox';
import { startServer, type RunningServer } from 'kmsbox/node';
import { tempDir } from '../providers/file-fixtures.js';
import { cliBundle } from './cli-bundle.js';

// Each CLI spawn takes seconds on a loaded machine (and a passphrase store runs scrypt on each): a
// bound for a hang, never a measure of speed.
const CLI_TEST_TIMEOUT = 600_000;

const run = promisify(execFile);
const KMSBOX = `node ${cliBundle}`;

let dir: string;
let kms: Kms;
let server: RunningServer;
// The environment without any AWS region, so each test sets the one it means.
const baseEnv = (): Record<string, string | undefined> => {
  const env: Record<string, string | undefined> = { ...process.env, KMSBOX: KMSBOX, NODE_OPTIONS: '' };
  for (const k of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'KMSBOX_ENDPOINT_URL', 'KMSBOX_STORE']) delete env[k];
  return env;
};
const sh = (script: string, env: Record<string, string> = {}) =>
  run('bash', ['-c', script], { cwd: dir, encoding: 'utf8', env: { ...baseEnv(), ...env } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
const keyCount = async () => (await kms.listKeys({ Limit: 1000 })).Keys!.length;

beforeAll(async () => {
  dir = tempDir();
  writeFileSync(join(dir, 'root.key'), randomBytes(32));
  writeFileSync(join(dir, 'secret.txt'), 'MySecretPassword123');
  kms = new Kms();
  server = await startServer(kms);
});
afterAll(() => server.close());

describe('kmsbox <verb>: --output and --query are checked before the request is sent', () => {
  it(
    'refuses --output yaml without creating a key (server and key-store file)',
    async () => {
      const before = await keyCount();
      const r = await sh(`$KMSBOX create-key --endpoint-url ${server.url} --output yaml`);
      expect(r.code).toBe(252);
      expect(r.stderr).toContain('--output must be json or text');
      expect(r.stdout).toBe('');
      expect(await keyCount()).toBe(before);
      const store = await sh('$KMSBOX create-key --store s.kmsbox --root-key-file root.key --output table');
      expect(store.code).toBe(252);
      expect(existsSync(join(dir, 's.kmsbox'))).toBe(false);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'refuses a --query it cannot evaluate before sending, and still takes field paths',
    async () => {
      const before = await keyCount();
      const r = await sh(`$KMSBOX create-key --endpoint-url ${server.url} --query 'KeyMetadata[0].KeyId' --output text`);
      expect(r.code).toBe(252);
      expect(r.stderr).toContain('Bad value for --query');
      expect(await keyCount()).toBe(before);
      const ok = await sh(`$KMSBOX create-key --endpoint-url ${server.url} --query KeyMetadata.KeyState --output text`);
      expect([ok.code, ok.stdout]).toEqual([0, 'Enabled\n']);
      expect(await keyCount()).toBe(before + 1);
    },
    CLI_TEST_TIMEOUT,
  );
});

describe('kmsbox <verb> --endpoint-url: the region', () => {
  const arn = (extra: string, env: Record<string, string> = {}) =>
    sh(`$KMSBOX create-key --endpoint-url ${server.url} ${extra} --query KeyMetadata.Arn --output text`, env).then((r) => {
      expect(r.stderr).toBe('');
      return r.stdout.trim();
    });

  it(
    'creates the key in --region, else AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1',
    async () => {
      expect(await arn('--region eu-west-1')).toMatch(/^arn:aws:kms:eu-west-1:111122223333:key\//);
      expect(await arn('', { AWS_REGION: 'ap-south-1', AWS_DEFAULT_REGION: 'eu-central-1' })).toMatch(/^arn:aws:kms:ap-south-1:/);
      expect(await arn('', { AWS_DEFAULT_REGION: 'eu-central-1' })).toMatch(/^arn:aws:kms:eu-central-1:/);
      expect(await arn('--region us-west-2', { AWS_REGION: 'ap-south-1' })).toMatch(/^arn:aws:kms:us-west-2:/);
      expect(await arn('')).toMatch(/^arn:aws:kms:us-east-1:/);
      expect((await kms.withRegion('eu-west-1').listKeys({})).Keys!.length).toBe(1);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'the same precedence on a key-store file',
    async () => {
      const env = { KMSBOX_STORE: join(dir, 'region.kmsbox'), KMSBOX_PASSPHRASE: 'pp' };
      const r = await sh('$KMSBOX create-key --query KeyMetadata.Arn --output text', { ...env, AWS_DEFAULT_REGION: 'eu-central-1' });
      expect(r.stdout).toMatch(/^arn:aws:kms:eu-central-1:/);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'sends a SigV4-shaped Authorization header whose scope is the region, with nothing secret',
    async () => {
      const seen: IncomingHttpHeaders[] = [];
      const capture: Server = createServer((req, res) => {
        seen.push(req.headers);
        req.resume();
        req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end('{"Keys":[],"Truncated":false}'));
      });
      await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(capture.address() as AddressInfo).port}`;
        const r = await sh(`$KMSBOX list-keys --endpoint-url ${url} --region eu-west-1`, {
          AWS_ACCESS_KEY_ID: 'AKIAREALID',
          AWS_SECRET_ACCESS_KEY: 'topsecretvalue',
          AWS_SESSION_TOKEN: 'sessiontokenvalue',
        });
        expect(r.code).toBe(0);
        const auth = String(seen[0]!.authorization);
        expect(auth).toMatch(
          /^AWS4-HMAC-SHA256 Credential=[^/\s]+\/\d{8}\/eu-west-1\/kms\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
        );
        const all = JSON.stringify(seen[0]);
        for (const secret of ['topsecretvalue', 'sessiontokenvalue']) expect(all).not.toContain(secret);
      } finally {
        capture.close();
      }
    },
    CLI_TEST_TIMEOUT,
  );
});

describe('kmsbox <verb>: clear errors and exit codes', () => {
  it(
    'a missing fileb:// file is a usage error (252), before anything is sent',
    async () => {
      const r = await sh(`$KMSBOX encrypt --endpoint-url ${server.url} --key-id alias/x --plaintext fileb://nope.txt`);
      expect(r.code).toBe(252);
      expect(r.stderr).toMatch(
        /^kmsbox: Error parsing parameter '--plaintext': Unable to load paramfile fileb:\/\/nope\.txt: No such file or directory/,
      );
      expect(r.stderr).not.toMatch(/ENOENT|SyntaxError|TypeError/);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'bad JSON in --encryption-context (and other JSON arguments) is a usage error (252)',
    async () => {
      const r = await sh(`$KMSBOX encrypt --endpoint-url ${server.url} --key-id alias/x --plaintext aGk= --encryption-context '{"app":'`);
      expect(r.code).toBe(252);
      expect(r.stderr).toMatch(/^kmsbox: Error parsing parameter '--encryption-context': Invalid JSON/);
      expect(r.stderr).not.toMatch(/SyntaxError/);
      const pair = await sh(`$KMSBOX encrypt --endpoint-url ${server.url} --key-id alias/x --plaintext aGk= --encryption-context app`);
      expect([pair.code, pair.stderr]).toEqual([
        252,
        expect.stringContaining("Error parsing parameter '--encryption-context': expected key=value in 'app'"),
      ]);
      const tags = await sh(`$KMSBOX create-key --endpoint-url ${server.url} --tags '[{"TagKey":'`);
      expect([tags.code, tags.stderr]).toEqual([252, expect.stringContaining("Error parsing parameter '--tags': Invalid JSON")]);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'an unreachable endpoint exits 255 with "Could not connect"; a malformed one is a usage error',
    async () => {
      const gone = await startServer(new Kms());
      const url = gone.url;
      await gone.close();
      const r = await sh(`$KMSBOX list-keys --endpoint-url ${url}`);
      expect(r.code).toBe(255);
      expect(r.stderr).toMatch(new RegExp(`^kmsbox: Could not connect to the endpoint URL: "${url}"`));
      expect(r.stderr).not.toMatch(/TypeError|fetch failed/);
      const bad = await sh('$KMSBOX list-keys --endpoint-url localhost:4000');
      expect([bad.code, bad.stderr]).toEqual([252, expect.stringContaining('Bad value for --endpoint-url')]);
    },
    CLI_TEST_TIMEOUT,
  );
});
