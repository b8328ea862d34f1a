// The `kmsbox` CLI's aws-kms verbs, on a key-store file and against a server, run as a user
// runs them (a shell, pipes through base64 --decode, fileb:// files).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kms } from 'kmsbox';
import { startServer, type RunningServer } from 'kmsbox/node';
import { tempDir } from '../providers/file-fixtures.js';
import { cliBundle } from './cli-bundle.js';
import { lowCostPassphraseStore } from './passphrase-store.js';

// Each CLI spawn takes seconds on a loaded machine (and a passphrase store runs scrypt on each): a
// bound for a hang, never a measure of speed.
const CLI_TEST_TIMEOUT = 600_000;

const run = promisify(execFile);
// By absolute path: the commands run in a temp directory, outside this package.
const KMSBOX = `node ${cliBundle}`;

let dir: string;
let server: RunningServer;
const sh = (script: string, env: Record<string, string> = {}) =>
  run('bash', ['-c', script], { cwd: dir, encoding: 'utf8', env: { ...process.env, KMSBOX: KMSBOX, NODE_OPTIONS: '', ...env } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

beforeAll(async () => {
  dir = tempDir();
  writeFileSync(join(dir, 'root.key'), randomBytes(32));
  writeFileSync(join(dir, 'secret.txt'), 'MySecretPassword123');
  server = await startServer(new Kms());
});
afterAll(() => server.close());

const SEED = `
  set -euo pipefail
  id=$($KMSBOX create-key --description "seed key" --query KeyMetadata.KeyId --output text)
  $KMSBOX create-alias --alias-name alias/myapp-key --target-key-id "$id"
  $KMSBOX encrypt --key-id alias/myapp-key --plaintext fileb://secret.txt --encryption-context app=myapp,env=test --output text --query CiphertextBlob | base64 --decode > secret.txt.encrypted
  $KMSBOX decrypt --ciphertext-blob fileb://secret.txt.encrypted --encryption-context '{"env":"test","app":"myapp"}' --output text --query Plaintext | base64 --decode
`;

describe('kmsbox <verb>', () => {
  it(
    'runs the seed flow on a key-store file',
    async () => {
      const r = await sh(SEED, { KMSBOX_STORE: join(dir, 'cli.kmsbox'), KMSBOX_PASSPHRASE: 'pp' });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('MySecretPassword123');
      // the store keeps it: a later command sees the alias
      const aliases = await sh('$KMSBOX list-aliases --store cli.kmsbox --root-key-file root.key', { KMSBOX_PASSPHRASE: 'pp' });
      expect(aliases.code).not.toBe(0); // wrong root key for a passphrase store: refused
      expect(aliases.stderr).toContain('AccessDeniedException');
      const ok = await sh('$KMSBOX list-aliases --store cli.kmsbox --query Aliases --output json', { KMSBOX_PASSPHRASE: 'pp' });
      expect(JSON.parse(ok.stdout).map((a: { AliasName: string }) => a.AliasName)).toEqual(['alias/myapp-key']);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'runs the seed flow against a server with --endpoint-url',
    async () => {
      const r = await sh(SEED, { KMSBOX_ENDPOINT_URL: server.url });
      expect([r.code, r.stdout, r.stderr]).toEqual([0, 'MySecretPassword123', '']);
      const keys = await sh(`$KMSBOX list-keys --endpoint-url ${server.url} --output text`);
      expect(keys.stdout).toMatch(/^False\nKEYS\t[0-9a-f-]{36}\tarn:aws:kms:us-east-1:111122223333:key\//);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'replicate-key and update-primary-region, on a key-store file and against a server',
    async () => {
      const script = `
      set -euo pipefail
      id=$($KMSBOX create-key --multi-region --query KeyMetadata.KeyId --output text)
      $KMSBOX replicate-key --key-id "$id" --replica-region eu-west-1 --description replica --tags TagKey=t,TagValue=v --query ReplicaKeyMetadata.Arn --output text
      $KMSBOX describe-key --region eu-west-1 --key-id "$id" --query KeyMetadata.Description --output text
      $KMSBOX encrypt --key-id "$id" --plaintext fileb://secret.txt --output text --query CiphertextBlob | base64 --decode > mrk.encrypted
      $KMSBOX decrypt --region eu-west-1 --ciphertext-blob fileb://mrk.encrypted --output text --query Plaintext | base64 --decode; echo
      $KMSBOX update-primary-region --key-id "$id" --primary-region eu-west-1
      $KMSBOX describe-key --region eu-west-1 --key-id "$id" --query KeyMetadata.MultiRegionConfiguration.MultiRegionKeyType --output text
      $KMSBOX describe-key --key-id "$id" --query KeyMetadata.MultiRegionConfiguration.MultiRegionKeyType --output text
    `;
      for (const env of [
        { KMSBOX_STORE: await lowCostPassphraseStore(join(dir, 'mrk.kmsbox'), 'pp'), KMSBOX_PASSPHRASE: 'pp' },
        { KMSBOX_ENDPOINT_URL: server.url },
      ]) {
        const r = await sh(script, env);
        expect(r.stderr).toBe('');
        const [replica, description, plaintext, newPrimary, oldPrimary] = r.stdout.trim().split('\n');
        expect(replica).toMatch(/^arn:aws:kms:eu-west-1:111122223333:key\/mrk-[0-9a-f]{32}$/);
        expect([description, plaintext, newPrimary, oldPrimary]).toEqual(['replica', 'MySecretPassword123', 'PRIMARY', 'REPLICA']);
      }
      const missing = await sh('$KMSBOX replicate-key --key-id mrk-00000000000000000000000000000000', { KMSBOX_ENDPOINT_URL: server.url });
      expect([missing.code, missing.stderr.includes('--replica-region')]).toEqual([252, true]);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'get-parameters-for-import, import-key-material (OpenSSL-wrapped, as AWS documents) and delete-imported-key-material',
    async () => {
      const script = `
      set -euo pipefail
      head -c 32 /dev/urandom > material.bin
      id=$($KMSBOX create-key --origin EXTERNAL --query KeyMetadata.KeyId --output text)
      $KMSBOX describe-key --key-id "$id" --query KeyMetadata.KeyState --output text
      $KMSBOX get-parameters-for-import --key-id "$id" --wrapping-algorithm RSAES_OAEP_SHA_256 --wrapping-key-spec RSA_2048 > params.json
      node -e 'const p = JSON.parse(require("fs").readFileSync("params.json", "utf8")); require("fs").writeFileSync("pub.der", Buffer.from(p.PublicKey, "base64")); require("fs").writeFileSync("token.bin", Buffer.from(p.ImportToken, "base64"))'
      openssl pkeyutl -encrypt -pubin -keyform DER -inkey pub.der -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 -in material.bin -out wrapped.bin
      $KMSBOX import-key-material --key-id "$id" --import-token fileb://token.bin --encrypted-key-material fileb://wrapped.bin --expiration-model KEY_MATERIAL_EXPIRES --valid-to "$VALID_TO" --query KeyMaterialId --output text > /dev/null
      $KMSBOX describe-key --key-id "$id" --query KeyMetadata.ValidTo --output text
      $KMSBOX encrypt --key-id "$id" --plaintext fileb://secret.txt --output text --query CiphertextBlob | base64 --decode > byok.encrypted
      $KMSBOX delete-imported-key-material --key-id "$id" --query KeyId --output text > /dev/null
      $KMSBOX describe-key --key-id "$id" --query KeyMetadata.KeyState --output text
      $KMSBOX import-key-material --key-id "$id" --import-token fileb://token.bin --encrypted-key-material fileb://wrapped.bin --expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE > /dev/null
      $KMSBOX decrypt --ciphertext-blob fileb://byok.encrypted --output text --query Plaintext | base64 --decode; echo
    `;
      const validTo = new Date(Math.floor(Date.now() / 1000 + 30 * 86_400) * 1000);
      for (const env of [
        { KMSBOX_STORE: await lowCostPassphraseStore(join(dir, 'byok.kmsbox'), 'pp'), KMSBOX_PASSPHRASE: 'pp' },
        { KMSBOX_ENDPOINT_URL: server.url },
      ]) {
        const r = await sh(script, { ...env, VALID_TO: validTo.toISOString() });
        expect(r.stderr).toBe('');
        expect(r.stdout.trim().split('\n')).toEqual([
          'PendingImport',
          validTo.toISOString().replace('Z', '+00:00'),
          'PendingImport',
          'MySecretPassword123',
        ]);
      }
      const bad = await sh('$KMSBOX import-key-material --key-id k --import-token AA== --encrypted-key-material AA== --valid-to someday', {
        KMSBOX_ENDPOINT_URL: server.url,
      });
      expect([bad.code, bad.stderr.includes('--valid-to')]).toEqual([252, true]);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'prints AWS errors as the AWS CLI does, with its exit codes',
    async () => {
      const env = { KMSBOX_STORE: await lowCostPassphraseStore(join(dir, 'errors.kmsbox'), 'pp'), KMSBOX_PASSPHRASE: 'pp' };
      const id = (await sh('$KMSBOX create-key --query KeyMetadata.KeyId --output text', env)).stdout.trim();
      await sh(`$KMSBOX disable-key --key-id ${id}`, env);
      const disabled = await sh(`$KMSBOX encrypt --key-id ${id} --plaintext aGVsbG8=`, env);
      expect(disabled.code).toBe(254);
      expect(disabled.stderr).toMatch(
        /An error occurred \(DisabledException\) when calling the Encrypt operation: arn:aws:kms:us-east-1:111122223333:key\/[0-9a-f-]{36} is disabled\./,
      );
      const missing = await sh('$KMSBOX encrypt --key-id alias/x', env);
      expect(missing.code).toBe(252);
      expect(missing.stderr).toContain('the following arguments are required: --plaintext');
      const unknown = await sh('$KMSBOX encrypt --key-id alias/x --plaintext aGk= --colour red', env);
      expect([unknown.code, unknown.stderr.includes('unknown option --colour')]).toEqual([252, true]);
      const dry = await sh(
        `$KMSBOX enable-key --key-id ${id} && $KMSBOX generate-data-key --key-id ${id} --key-spec AES_256 --dry-run`,
        env,
      );
      expect(dry.stderr).toContain('(DryRunOperationException)');
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'grants and key policies on a key-store file: they persist between commands',
    async () => {
      const env = { KMSBOX_STORE: await lowCostPassphraseStore(join(dir, 'grants.kmsbox'), 'pp'), KMSBOX_PASSPHRASE: 'pp' };
      const id = (await sh('$KMSBOX create-key --query KeyMetadata.KeyId --output text', env)).stdout.trim();
      const grant = await sh(
        `$KMSBOX create-grant --key-id ${id} --grantee-principal arn:aws:iam::111122223333:role/app --operations Encrypt Decrypt --constraints '{"EncryptionContextEquals":{"tenant":"t1"}}' --name app`,
        env,
      );
      expect(grant.stderr).toBe('');
      const listed = JSON.parse((await sh(`$KMSBOX list-grants --key-id ${id}`, env)).stdout) as {
        Grants: Array<{ Name: string; Constraints: unknown }>;
      };
      expect(listed.Grants).toEqual([expect.objectContaining({ Name: 'app', Constraints: { EncryptionContextEquals: { tenant: 't1' } } })]);
      const policy = JSON.parse((await sh(`$KMSBOX get-key-policy --key-id ${id} --query Policy --output text`, env)).stdout) as {
        Id: string;
      };
      expect(policy.Id).toBe('key-default-1');
      const locked = await sh(
        `$KMSBOX put-key-policy --key-id ${id} --policy '{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"kms:*","Resource":"*"}]}'`,
        env,
      );
      expect([locked.code, locked.stderr]).toEqual([
        254,
        expect.stringContaining('The new key policy will not allow you to update the key policy in the future.'),
      ]);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'takes the AWS CLI shorthand for tags, lists them as text, and explains each verb',
    async () => {
      const env = { KMSBOX_STORE: await lowCostPassphraseStore(join(dir, 'tags.kmsbox'), 'pp'), KMSBOX_PASSPHRASE: 'pp' };
      const id = (
        await sh('$KMSBOX create-key --tags TagKey=team,TagValue=core --query KeyMetadata.KeyId --output text', env)
      ).stdout.trim();
      await sh(`$KMSBOX tag-resource --key-id ${id} --tags TagKey=env,TagValue=prod '{"TagKey":"x","TagValue":"y"}'`, env);
      const tags = await sh(
        `$KMSBOX tag-resource --key-id ${id} --tags '[{"TagKey":"json","TagValue":"list"}]' && $KMSBOX list-resource-tags --key-id ${id} --output text`,
        env,
      );
      expect(tags.stdout).toBe('False\nTAGS\tenv\tprod\nTAGS\tjson\tlist\nTAGS\tteam\tcore\nTAGS\tx\ty\n');
      const help = await sh('$KMSBOX encrypt --help && $KMSBOX --help');
      expect(help.stdout).toContain('--key-id <value>');
      expect(help.stdout).toContain('--plaintext <base64 | fileb://FILE>');
      expect(help.stdout).toContain('create-key, decrypt');
    },
    CLI_TEST_TIMEOUT,
  );
});
