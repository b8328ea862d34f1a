// SigV4 verification (kmsbox serve --credentials): AWS's documented example, the real SDK's
// signatures, and every way a signature can be wrong.
import { CreateKeyCommand, EncryptCommand, DecryptCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kms, verifySigV4, type SigV4Credential } from 'kmsbox';
import { startServer, type RunningServer } from 'kmsbox/node';
import { signatureFor } from '../../src/protocol/sigv4.js';
import { tempDir } from '../providers/file-fixtures.js';

describe('the SigV4 algorithm', () => {
  it("reproduces the signature of AWS's documented example (IAM ListUsers, 20150830T123600Z)", () => {
    const req = {
      method: 'GET',
      path: '/?Action=ListUsers&Version=2010-05-08',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
        Host: 'iam.amazonaws.com',
        'X-Amz-Date': '20150830T123600Z',
      },
      body: '',
    };
    const signature = signatureFor(req, {
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      amzDate: '20150830T123600Z',
      region: 'us-east-1',
      service: 'iam',
      signedHeaders: ['content-type', 'host', 'x-amz-date'],
    });
    expect(signature).toBe('5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7');
    const auth = `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=${signature}`;
    const lookup = (id: string): SigV4Credential | undefined =>
      id === 'AKIDEXAMPLE' ? { secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' } : undefined;
    const at = Date.UTC(2015, 7, 30, 12, 36);
    expect(verifySigV4({ ...req, headers: { ...req.headers, Authorization: auth } }, lookup, at, 'iam')).toEqual({
      ok: true,
      accessKeyId: 'AKIDEXAMPLE',
      region: 'us-east-1',
    });
    const tampered = verifySigV4(
      { ...req, path: '/?Action=ListUsers&Version=2010-05-09', headers: { ...req.headers, Authorization: auth } },
      lookup,
      at,
      'iam',
    );
    expect(tampered).toMatchObject({ ok: false, type: 'InvalidSignatureException' });
  });
});

describe('kmsbox serve with signature verification', () => {
  let server: RunningServer;
  let kms: Kms;
  const seen: string[] = [];
  const credentials = new Map<string, SigV4Credential>([
    ['AKIDAPP', { secretAccessKey: 'app-secret', principal: 'arn:aws:iam::111122223333:role/app' }],
    ['AKIDADMIN', { secretAccessKey: 'admin-secret' }],
  ]);
  const client = (accessKeyId: string, secretAccessKey: string, extra: Record<string, unknown> = {}) =>
    new KMSClient({ region: 'us-east-1', endpoint: server.url, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1, ...extra });

  beforeAll(async () => {
    // The app role gets what IAM would give it: the default key policy hands the decision to IAM.
    kms = new Kms({
      identityPolicies: {
        'arn:aws:iam::111122223333:role/app': [
          JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] }),
        ],
      },
    });
    server = await startServer(
      (scope) => {
        seen.push(scope.principal ?? '(account root)');
        return scope.principal ? kms.withPrincipal(scope.principal) : kms;
      },
      { verify: { credentials: (id) => credentials.get(id) } },
    );
  });
  afterAll(() => server.close());

  it("accepts the real SDK's signatures, including a body with non-ASCII context, and passes the principal on", async () => {
    const app = client('AKIDAPP', 'app-secret');
    const { KeyMetadata } = await app.send(new CreateKeyCommand({ Description: 'signed ✓' }));
    const enc = await app.send(
      new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: new Uint8Array([1, 2, 3]), EncryptionContext: { clé: 'välue 🔑' } }),
    );
    const dec = await app.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { clé: 'välue 🔑' } }));
    expect(dec.Plaintext).toEqual(new Uint8Array([1, 2, 3]));
    expect(seen).toContain('arn:aws:iam::111122223333:role/app');
    await client('AKIDADMIN', 'admin-secret').send(new ListKeysCommand({}));
    expect(seen.at(-1)).toBe('(account root)');
  });

  it("answers AWS's auth errors: wrong secret, unknown key, stale date, missing signature, tampered body", async () => {
    const name = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: Error) => `${e.name}: ${e.message}`,
      );
    expect(await name(client('AKIDAPP', 'wrong').send(new ListKeysCommand({})))).toMatch(
      /^InvalidSignatureException: The request signature we calculated does not match/,
    );
    expect(await name(client('AKIDNOBODY', 'x').send(new ListKeysCommand({})))).toBe(
      'UnrecognizedClientException: The security token included in the request is invalid.',
    );
    expect(await name(client('AKIDAPP', 'app-secret', { systemClockOffset: -20 * 60_000 }).send(new ListKeysCommand({})))).toMatch(
      /^InvalidSignatureException: Signature expired: /,
    );
    const unsigned = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys' },
      body: '{}',
    });
    expect([unsigned.status, unsigned.headers.get('x-amzn-errortype')]).toEqual([400, 'MissingAuthenticationTokenException']);
    const partial = await fetch(server.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'TrentService.ListKeys',
        authorization: 'AWS4-HMAC-SHA256 Credential=AKIDAPP/20260101/us-east-1/kms/aws4_request',
      },
      body: '{}',
    });
    expect(partial.headers.get('x-amzn-errortype')).toBe('IncompleteSignatureException');

    // Sign a request with the SDK, capture it, then replay it with a different body.
    let captured: { headers: Record<string, string>; body: string } | undefined;
    const capturing = client('AKIDAPP', 'app-secret', {
      requestHandler: {
        handle: async (r: { headers: Record<string, string>; body: string }) => {
          captured = { headers: r.headers, body: r.body };
          throw new Error('captured');
        },
      },
    });
    await capturing.send(new ListKeysCommand({ Limit: 5 })).catch(() => undefined);
    const replay = (body: string) =>
      fetch(server.url, {
        method: 'POST',
        headers: Object.fromEntries(
          Object.entries(captured!.headers).filter(([k]) => k.toLowerCase() !== 'host' && k.toLowerCase() !== 'content-length'),
        ),
        body,
      });
    expect((await replay(captured!.body)).status).toBe(200);
    const forged = await replay(captured!.body.replace('5', '6'));
    expect([forged.status, forged.headers.get('x-amzn-errortype')]).toEqual([400, 'InvalidSignatureException']);
  });

  it('kmsbox serve --credentials refuses a malformed credentials file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.json'), '{"AKID": {"secret": 1}}');
    const root = new URL('../..', import.meta.url).pathname;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--credentials', join(dir, 'bad.json')], {
      cwd: root,
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).not.toBe(0);
    expect(err).toContain('needs a string secretAccessKey');
  });
});
