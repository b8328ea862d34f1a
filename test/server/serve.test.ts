// `kmsbox serve` over real loopback HTTP: the AWS SDK v3, the AWS CLI (Debian's awscli, as the
// seed's literal flow), malformed requests, a bounded load, and graceful shutdown.
import { CreateKeyCommand, DecryptCommand, DisabledException, EncryptCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kms } from 'kmsbox';
import { startServer, type RunningServer } from 'kmsbox/node';

const run = promisify(execFile);
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

describe('kmsbox serve', () => {
  let server: RunningServer;
  let kms: Kms;
  let client: KMSClient;
  beforeAll(async () => {
    kms = new Kms();
    server = await startServer(kms);
    client = new KMSClient({ region: 'us-east-1', endpoint: server.url, credentials, maxAttempts: 1 });
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it('listens on loopback only, on the port it reports', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('serves the real AWS SDK over HTTP', async () => {
    const { KeyMetadata } = await client.send(new CreateKeyCommand({ Description: 'over http' }));
    const enc = await client.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: new TextEncoder().encode('over the wire') }));
    const dec = await client.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(new TextDecoder().decode(dec.Plaintext)).toBe('over the wire');
    expect(dec.$metadata.httpStatusCode).toBe(200);
    await kms.disableKey({ KeyId: KeyMetadata!.KeyId });
    const e = await client.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DisabledException);
    expect((e as DisabledException).$metadata.httpStatusCode).toBe(400);
    expect((e as DisabledException).$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("sends each answer's Content-Length in bytes of UTF-8, also for text beyond ASCII, on one keep-alive connection", async () => {
    const { request } = await import('node:http');
    const agent = new (await import('node:http')).Agent({ keepAlive: true, maxSockets: 1 });
    const send = (body: string, target: string) =>
      new Promise<{ length: string | undefined; bytes: Buffer }>((resolve, reject) => {
        const req = request(
          server.url,
          { method: 'POST', agent, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${target}` } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ length: res.headers['content-length'], bytes: Buffer.concat(chunks) }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    try {
      // The message quotes the alias: two- and four-byte UTF-8 in a JSON answer.
      const missing = await send(JSON.stringify({ KeyId: 'alias/schlüssel-🔑', Plaintext: 'AA==' }), 'Encrypt');
      expect(missing.bytes.toString('utf8')).toContain('alias/schlüssel-🔑');
      expect(Number(missing.length)).toBe(missing.bytes.length);
      expect(missing.bytes.length).toBeGreaterThan(missing.bytes.toString('utf8').length);
      // The next answer on the same connection is read whole: the length above did not run over or short.
      const listed = await send('{}', 'ListKeys');
      expect(Number(listed.length)).toBe(listed.bytes.length);
      expect(JSON.parse(listed.bytes.toString('utf8'))).toHaveProperty('Keys');
    } finally {
      agent.destroy();
    }
  });

  it('answers malformed requests with AWS-style errors and keeps serving', async () => {
    const post = (body: string, headers: Record<string, string>, method = 'POST') =>
      fetch(server.url, { method, headers, ...(method === 'POST' ? { body } : {}) }).then(
        async (r) => [r.status, r.headers.get('x-amzn-errortype'), await r.text()] as const,
      );
    const h = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys' };
    expect((await post('{oops', h))[1]).toBe('SerializationException');
    expect((await post('{}', { 'content-type': 'application/x-amz-json-1.1' }))[1]).toBe('UnknownOperationException');
    expect((await post('{}', { ...h, 'x-amz-target': 'TrentService.Nope' }))[1]).toBe('UnknownOperationException');
    expect((await post('', h, 'GET'))[0]).toBe(405);
    const huge = await post(JSON.stringify({ pad: 'x'.repeat(3 << 20) }), h);
    expect([huge[0], huge[1]]).toEqual([413, 'SerializationException']);
    expect((await post('{"Limit": 5}', h))[0]).toBe(200);
  });

  it('takes a bounded concurrent load without errors or lost keys', async () => {
    const before = (await kms.listKeys({ Limit: 1000 })).Keys!.length;
    const clients = Array.from(
      { length: 8 },
      () => new KMSClient({ region: 'us-east-1', endpoint: server.url, credentials, maxAttempts: 1 }),
    );
    const payload = new Uint8Array(4096).fill(7);
    await Promise.all(
      clients.map(async (c) => {
        for (let i = 0; i < 25; i++) {
          const { KeyMetadata } = await c.send(new CreateKeyCommand({}));
          const enc = await c.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: payload }));
          const dec = await c.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
          expect(dec.Plaintext).toEqual(payload);
        }
      }),
    );
    for (const c of clients) c.destroy();
    expect((await client.send(new ListKeysCommand({ Limit: 1000 }))).Keys!.length).toBe(before + 200);
  });
});

// Debian's awscli (installed by .ci/run); an aws on PATH otherwise.
const awsCli = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';

describe('the AWS CLI against kmsbox serve (the seed flow)', () => {
  let server: RunningServer;
  let dir: string;
  const env = () => ({
    ...process.env,
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '',
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
  });
  const aws = (args: string[]) => run(awsCli, ['--endpoint-url', server.url, 'kms', ...args], { env: env(), cwd: dir, encoding: 'utf8' });
  const sh = (script: string) =>
    run('bash', ['-c', script], { env: { ...env(), AWS: awsCli, URL: server.url }, cwd: dir, encoding: 'utf8' });

  beforeAll(async () => {
    server = await startServer(new Kms());
    dir = mkdtempSync(join(tmpdir(), 'kmsbox-cli-'));
    writeFileSync(join(dir, 'config'), '[default]\nregion = us-east-1\ncli_binary_format = base64\n');
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('create-key, create-alias, encrypt fileb:// → base64 --decode, decrypt → MySecretPassword123', async () => {
    const created = JSON.parse((await aws(['create-key', '--description', 'seed key'])).stdout) as {
      KeyMetadata: { KeyId: string; KeyState: string; CreationDate: string };
    };
    expect(created.KeyMetadata.KeyState).toBe('Enabled');
    await aws(['create-alias', '--alias-name', 'alias/myapp-key', '--target-key-id', created.KeyMetadata.KeyId]);
    writeFileSync(join(dir, 'secret.txt'), 'MySecretPassword123');
    await sh(
      '"$AWS" --endpoint-url "$URL" kms encrypt --key-id alias/myapp-key --plaintext fileb://secret.txt --output text --query CiphertextBlob | base64 --decode > secret.txt.encrypted',
    );
    expect(readFileSync(join(dir, 'secret.txt.encrypted')).length).toBe(19 + 64);
    const { stdout } = await sh(
      '"$AWS" --endpoint-url "$URL" kms decrypt --ciphertext-blob fileb://secret.txt.encrypted --output text --query Plaintext | base64 --decode',
    );
    expect(stdout).toBe('MySecretPassword123');
    const aliases = JSON.parse((await aws(['list-aliases'])).stdout) as { Aliases: Array<{ AliasName: string }> };
    expect(aliases.Aliases.map((a) => a.AliasName)).toEqual(['alias/myapp-key']);
  });

  it('key policies and grants: put-key-policy, get-key-policy, create-grant, list-grants, retire-grant', async () => {
    const { KeyMetadata } = JSON.parse((await aws(['create-key'])).stdout) as { KeyMetadata: { KeyId: string; Arn: string } };
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: 'root', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }],
    });
    writeFileSync(join(dir, 'policy.json'), policy);
    await aws(['put-key-policy', '--key-id', KeyMetadata.KeyId, '--policy-name', 'default', '--policy', 'file://policy.json']);
    const got = JSON.parse(
      (await aws(['get-key-policy', '--key-id', KeyMetadata.KeyId, '--policy-name', 'default', '--output', 'json'])).stdout,
    ) as { Policy: string };
    expect(JSON.parse(got.Policy).Statement[0].Sid).toBe('root');
    const grant = JSON.parse(
      (
        await aws([
          'create-grant',
          '--key-id',
          KeyMetadata.KeyId,
          '--grantee-principal',
          'arn:aws:iam::111122223333:role/app',
          '--operations',
          'Encrypt',
          'Decrypt',
          '--constraints',
          'EncryptionContextSubset={tenant=t1}',
        ])
      ).stdout,
    ) as { GrantId: string; GrantToken: string };
    expect(grant.GrantId).toMatch(/^[0-9a-f]{64}$/);
    const listed = JSON.parse((await aws(['list-grants', '--key-id', KeyMetadata.KeyId])).stdout) as {
      Grants: Array<{ GrantId: string; Operations: string[]; Constraints: unknown }>;
    };
    expect(listed.Grants).toEqual([
      expect.objectContaining({
        GrantId: grant.GrantId,
        Operations: ['Encrypt', 'Decrypt'],
        Constraints: { EncryptionContextSubset: { tenant: 't1' } },
      }),
    ]);
    await aws(['retire-grant', '--grant-token', grant.GrantToken]);
    expect((JSON.parse((await aws(['list-grants', '--key-id', KeyMetadata.KeyId])).stdout) as { Grants: unknown[] }).Grants).toEqual([]);
    const bad = await aws([
      'put-key-policy',
      '--key-id',
      KeyMetadata.KeyId,
      '--policy-name',
      'default',
      '--policy',
      '{"Statement": []}',
    ]).then(
      () => undefined,
      (e: { stderr: string }) => e,
    );
    expect(bad?.stderr).toContain('An error occurred (MalformedPolicyDocumentException) when calling the PutKeyPolicy operation');
  });

  it("prints AWS's error for a disabled key and exits non-zero", async () => {
    const { KeyMetadata } = JSON.parse((await aws(['create-key'])).stdout) as { KeyMetadata: { KeyId: string; Arn: string } };
    await aws(['disable-key', '--key-id', KeyMetadata.KeyId]);
    const failure = await aws(['encrypt', '--key-id', KeyMetadata.KeyId, '--plaintext', 'aGVsbG8=']).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure?.code).not.toBe(0);
    expect(failure?.stderr).toContain(
      `An error occurred (DisabledException) when calling the Encrypt operation: ${KeyMetadata.Arn} is disabled.`,
    );
  });
});

describe('the kmsbox serve command', () => {
  it('prints its address, serves, and shuts down cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--port', '0'], {
      cwd: new URL('../..', import.meta.url).pathname,
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(d.toString());
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    const c = new KMSClient({ region: 'us-east-1', endpoint: url, credentials, maxAttempts: 1 });
    expect((await c.send(new CreateKeyCommand({}))).KeyMetadata!.KeyState).toBe('Enabled');
    c.destroy();
    const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });
});
