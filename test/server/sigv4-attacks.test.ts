// Attacks on `kmsbox serve --credentials` over raw HTTP (issue 11 §1): an unsigned Credential= next to
// a signed one must not change the account or the region; repeated or unknown parameters, an unsigned
// X-Amz-Target or Host are refused; nothing but an authentication error is answered before the
// signature verified. And the real AWS CLI's signatures still pass.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kms, type SigV4Credential } from 'kmsbox';
import { startServer, type RunningServer } from 'kmsbox/node';
import { lines, rawRequest, signedHeaders, type KmsCall, type RawResponse } from './sigv4-raw.js';

const VICTIM = '999988887777';
const ATTACKER = '444455556666'; // a 12-digit access key id acts as the root of that account
const SECRET = 'attacker-secret';
const SECRET_TEXT = 'the victim account secret';

describe('kmsbox serve --credentials under attack (raw HTTP)', () => {
  let server: RunningServer;
  let kms: Kms;
  let victimKeyId: string;
  let victimCiphertext: string;
  let attackerKeyId: string;
  const credentials = new Map<string, SigV4Credential>([[ATTACKER, { secretAccessKey: SECRET }]]);
  const call = (target: string, body: object | string, extra: Partial<KmsCall> = {}) =>
    signedHeaders({
      target,
      body: typeof body === 'string' ? body : JSON.stringify(body),
      host: `127.0.0.1:${server.port}`,
      accessKeyId: ATTACKER,
      secretAccessKey: SECRET,
      ...extra,
    });
  const send = (headers: Record<string, string>, body: object | string, authorization?: string, method = 'POST'): Promise<RawResponse> =>
    rawRequest(server.port, method, '/', lines(headers, authorization), typeof body === 'string' ? body : JSON.stringify(body));
  const errorOf = (r: RawResponse) =>
    [r.status, r.headers['x-amzn-errortype'], (JSON.parse(r.body) as { message: string }).message] as const;
  /** Prepends one more, unsigned `Credential=` to a correctly signed request's Authorization header. */
  const prependCredential = (authorization: string, scope: string) =>
    authorization.replace('Credential=', `Credential=${scope}, Credential=`);

  beforeAll(async () => {
    kms = new Kms();
    const victim = kms.withAccount(VICTIM);
    victimKeyId = (await victim.createKey({})).KeyMetadata!.KeyId!;
    victimCiphertext = Buffer.from(
      (await victim.encrypt({ KeyId: victimKeyId, Plaintext: new TextEncoder().encode(SECRET_TEXT) })).CiphertextBlob!,
    ).toString('base64');
    attackerKeyId = (await kms.withAccount(ATTACKER).createKey({})).KeyMetadata!.KeyId!;
    server = await startServer(kms, { verify: { credentials: (id) => credentials.get(id) } });
  });
  afterAll(() => server.close());

  it("the attacker's own signature works, and does not reach the victim's key (the control)", async () => {
    const own = await send(call('DescribeKey', { KeyId: attackerKeyId }), { KeyId: attackerKeyId });
    expect(own.status).toBe(200);
    expect(JSON.parse(own.body).KeyMetadata.Arn).toBe(`arn:aws:kms:us-east-1:${ATTACKER}:key/${attackerKeyId}`);
    const body = { CiphertextBlob: victimCiphertext };
    const denied = await send(call('Decrypt', body), body);
    expect(denied.status).toBe(400);
    expect(denied.body).not.toContain(Buffer.from(SECRET_TEXT).toString('base64'));
  });

  it("signed header names that are Object.prototype's members are headers like any other (absent: signed as empty)", async () => {
    const signed = ['__proto__', 'constructor', 'content-type', 'host', 'hasownproperty', 'x-amz-date', 'x-amz-target'].sort();
    const r = await send(call('DescribeKey', { KeyId: attackerKeyId }, { signedHeaders: signed }), { KeyId: attackerKeyId });
    expect(r.status).toBe(200);
    // Signed over a value the request does not carry: refused as a bad signature, not a server fault.
    const forged = call('DescribeKey', { KeyId: attackerKeyId }, { signedHeaders: signed });
    const r2 = await send({ ...forged, constructor: 'x' } as Record<string, string>, { KeyId: attackerKeyId });
    expect(errorOf(r2).slice(0, 2)).toEqual([400, 'InvalidSignatureException']);
  });

  it("an unsigned Credential= of another account does not decrypt that account's ciphertext", async () => {
    const body = { CiphertextBlob: victimCiphertext };
    const headers = call('Decrypt', body);
    const forged = prependCredential(headers.authorization!, `${VICTIM}/20000101/us-east-1/kms/aws4_request`);
    const r = await send(headers, body, forged);
    expect(errorOf(r)).toEqual([
      400,
      'IncompleteSignatureException',
      `Authorization header has more than one 'Credential' parameter. Authorization=${forged}`,
    ]);
    expect(r.body).not.toContain(Buffer.from(SECRET_TEXT).toString('base64'));
  });

  it("nor schedules that account's key for deletion", async () => {
    const body = { KeyId: `arn:aws:kms:us-east-1:${VICTIM}:key/${victimKeyId}`, PendingWindowInDays: 7 };
    const headers = call('ScheduleKeyDeletion', body);
    const r = await send(headers, body, prependCredential(headers.authorization!, `${VICTIM}/20000101/us-east-1/kms/aws4_request`));
    expect(errorOf(r).slice(0, 2)).toEqual([400, 'IncompleteSignatureException']);
    expect((await kms.withAccount(VICTIM).describeKey({ KeyId: victimKeyId })).KeyMetadata!.KeyState).toBe('Enabled');
  });

  it('nor switches the region', async () => {
    const headers = call('CreateKey', {});
    const r = await send(headers, {}, prependCredential(headers.authorization!, `${ATTACKER}/20000101/eu-west-1/kms/aws4_request`));
    expect(errorOf(r).slice(0, 2)).toEqual([400, 'IncompleteSignatureException']);
    expect((await kms.withAccount(ATTACKER).withRegion('eu-west-1').listKeys({})).Keys).toEqual([]);
    // The same call with its own signed scope: a key in the signed region and account.
    const honest = await send(call('CreateKey', {}, { region: 'eu-west-1' }), {});
    expect(JSON.parse(honest.body).KeyMetadata.Arn).toMatch(new RegExp(`^arn:aws:kms:eu-west-1:${ATTACKER}:key/`));
  });

  it('refuses a repeated Signature= and an unknown parameter', async () => {
    const body = { KeyId: attackerKeyId };
    const headers = call('DescribeKey', body);
    const twice = headers.authorization!.replace('Signature=', `Signature=${'0'.repeat(64)}, Signature=`);
    expect(errorOf(await send(headers, body, twice))).toEqual([
      400,
      'IncompleteSignatureException',
      `Authorization header has more than one 'Signature' parameter. Authorization=${twice}`,
    ]);
    const unknown = `${headers.authorization!}, Region=eu-west-1`;
    expect(errorOf(await send(headers, body, unknown))).toEqual([
      400,
      'IncompleteSignatureException',
      `Authorization header has an unknown parameter 'Region'. Authorization=${unknown}`,
    ]);
  });

  it('refuses a signature that leaves out X-Amz-Target: a DescribeKey signature is not a DisableKey', async () => {
    const body = { KeyId: attackerKeyId };
    const describe = call('DescribeKey', body, { signedHeaders: ['content-type', 'host', 'x-amz-date'] });
    const replayed = { ...describe, 'x-amz-target': 'TrentService.DisableKey' };
    expect(errorOf(await send(replayed, body))).toEqual([
      400,
      'InvalidSignatureException',
      "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.",
    ]);
    expect(errorOf(await send(describe, body))[1]).toBe('InvalidSignatureException');
    expect((await kms.withAccount(ATTACKER).describeKey({ KeyId: attackerKeyId })).KeyMetadata!.KeyState).toBe('Enabled');
  });

  it('refuses a signature that leaves out Host or X-Amz-Date', async () => {
    const body = { KeyId: attackerKeyId };
    const noHost = call('DescribeKey', body, { signedHeaders: ['content-type', 'x-amz-date', 'x-amz-target'] });
    expect(errorOf(await send(noHost, body))).toEqual([
      400,
      'InvalidSignatureException',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    ]);
    const noDate = call('DescribeKey', body, { signedHeaders: ['content-type', 'host', 'x-amz-target'] });
    expect(errorOf(await send(noDate, body))).toEqual([
      400,
      'InvalidSignatureException',
      "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.",
    ]);
  });

  it('a signature for another host is refused (Host is part of what is signed)', async () => {
    const body = { KeyId: attackerKeyId };
    const elsewhere = signedHeaders({
      target: 'DescribeKey',
      body: JSON.stringify(body),
      host: 'kms.us-east-1.amazonaws.com',
      accessKeyId: ATTACKER,
      secretAccessKey: SECRET,
    });
    const r = await send({ ...elsewhere, host: `127.0.0.1:${server.port}` }, body, elsewhere.authorization);
    expect(errorOf(r).slice(0, 2)).toEqual([400, 'InvalidSignatureException']);
  });

  it('answers nothing but an authentication error before the signature verified', async () => {
    const unsigned = {
      host: `127.0.0.1:${server.port}`,
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'TrentService.ListKeys',
    };
    const missing = [400, 'MissingAuthenticationTokenException', 'Request is missing Authentication Token'] as const;
    expect(errorOf(await send(unsigned, '', undefined, 'GET'))).toEqual(missing);
    expect(errorOf(await send(unsigned, '{oops'))).toEqual(missing);
    expect(errorOf(await send({ ...unsigned, 'x-amz-target': 'TrentService.Nope' }, '{}'))).toEqual(missing);
    expect(errorOf(await send({ ...unsigned, 'x-amz-target': 'TrentService.Nope' }, '{}', 'AWS4-HMAC-SHA256 Credential=x'))[1]).toBe(
      'IncompleteSignatureException',
    );
    // A wrong signature is told just that, whatever else is wrong with the request.
    const wrong = call('Nope', '{oops', { secretAccessKey: 'not-the-secret' });
    expect(errorOf(await send(wrong, '{oops'))[1]).toBe('InvalidSignatureException');
    expect(errorOf(await send(call('ListKeys', {}, { secretAccessKey: 'not-the-secret' }), '{}', undefined, 'GET'))[1]).toBe(
      'InvalidSignatureException',
    );
    // Only the body limit comes first: the server must bound what it reads.
    const huge = 'x'.repeat((1 << 20) + 1);
    expect((await send(unsigned, huge)).status).toBe(413);
    // Once verified, the request's own errors.
    expect(errorOf(await send(call('ListKeys', '{oops'), '{oops')).slice(0, 2)).toEqual([400, 'SerializationException']);
    expect((await send(call('ListKeys', '', { method: 'GET' }), '', undefined, 'GET')).status).toBe(405);
    expect(errorOf(await send(call('Nope', {}), {})).slice(0, 2)).toEqual([400, 'UnknownOperationException']);
  });
});

// Debian's awscli (installed by .ci/run); an aws on PATH otherwise.
const awsCli = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';
const run = promisify(execFile);

describe('the AWS CLI against kmsbox serve --credentials', () => {
  let server: RunningServer;
  let dir: string;
  const env = (secret: string) => ({
    ...process.env,
    AWS_ACCESS_KEY_ID: 'AKIDCLI',
    AWS_SECRET_ACCESS_KEY: secret,
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_PAGER: '',
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
  });
  const aws = (args: string[], secret = 'cli-secret') =>
    run(awsCli, ['--endpoint-url', server.url, 'kms', ...args], { env: env(secret), encoding: 'utf8' });

  beforeAll(async () => {
    server = await startServer(new Kms(), {
      verify: {
        credentials: (id) =>
          id === 'AKIDCLI' ? { secretAccessKey: 'cli-secret', principal: 'arn:aws:iam::111122223333:root' } : undefined,
      },
    });
    dir = mkdtempSync(join(tmpdir(), 'kmsbox-sigv4-cli-'));
    writeFileSync(join(dir, 'config'), '[default]\nregion = eu-west-1\n');
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("botocore's header passes the strict parse and its scope picks the region; a wrong secret does not", async () => {
    const created = JSON.parse((await aws(['create-key'])).stdout) as { KeyMetadata: { Arn: string } };
    expect(created.KeyMetadata.Arn).toMatch(/^arn:aws:kms:eu-west-1:111122223333:key\//);
    const failure = await aws(['list-keys'], 'wrong').then(
      () => undefined,
      (e: { stderr: string }) => e.stderr,
    );
    expect(failure).toContain(
      'An error occurred (InvalidSignatureException) when calling the ListKeys operation: The request signature we calculated does not match',
    );
  });
});
