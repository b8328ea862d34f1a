// The wire handler's request scope (src/protocol/wire-handler.ts): what the Kms chosen for a request is
// told about it — region and account from the credential scope, the verified principal, source
// address, User-Agent (bounded), aws:SecureTransport — and the order of the front-end checks.
import { describe, expect, it } from 'vitest';
import { handleWireRequest, Kms, type WireResponse } from 'kmsbox';
import type { RequestScope, WireRequest } from '../../src/protocol/wire-handler.js';
import { signedHeaders } from '../server/sigv4-raw.js';

const json = (r: WireResponse) => JSON.parse(new TextDecoder().decode(r.body)) as Record<string, unknown>;
const base = (extra: Record<string, string> = {}) => ({
  'content-type': 'application/x-amz-json-1.1',
  'x-amz-target': 'TrentService.ListKeys',
  ...extra,
});
const auth = (scope: string) => `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;

/** The scope the handler hands the Kms chooser, and the response. */
async function scopeOf(
  request: Partial<WireRequest>,
  options?: Parameters<typeof handleWireRequest>[2],
): Promise<{ scope: RequestScope | undefined; response: WireResponse }> {
  let scope: RequestScope | undefined;
  const kms = new Kms();
  const response = await handleWireRequest(
    (s) => {
      scope = s;
      return kms;
    },
    { method: 'POST', headers: base(), body: '{}', ...request },
    options,
  );
  return { scope, response };
}

describe('the request scope', () => {
  it('an anonymous in-process request carries nothing', async () => {
    const { scope, response } = await scopeOf({});
    expect(response.statusCode).toBe(200);
    expect(scope).toEqual({});
  });

  it('the credential scope gives region and access key; the source address implies plain HTTP unless told', async () => {
    expect((await scopeOf({ headers: base({ authorization: auth('AKIDX/20260102/eu-west-2/kms/aws4_request') }) })).scope).toEqual({
      region: 'eu-west-2',
      accessKeyId: 'AKIDX',
    });
    expect((await scopeOf({ sourceIp: '127.0.0.1' })).scope).toEqual({ sourceIp: '127.0.0.1', secureTransport: false });
    expect((await scopeOf({ sourceIp: '127.0.0.1', secureTransport: true })).scope).toEqual({
      sourceIp: '127.0.0.1',
      secureTransport: true,
    });
    expect((await scopeOf({ secureTransport: true })).scope).toEqual({ secureTransport: true });
  });

  it('the User-Agent is kept to its first 256 characters', async () => {
    expect((await scopeOf({ headers: base({ 'User-Agent': 'a'.repeat(256) }) })).scope).toEqual({ userAgent: 'a'.repeat(256) });
    expect((await scopeOf({ headers: base({ 'User-Agent': 'b'.repeat(300) }) })).scope).toEqual({ userAgent: 'b'.repeat(256) });
  });

  it("with verification, the credential's principal is the caller", async () => {
    const at = Date.UTC(2026, 0, 2, 3, 4, 5);
    const headers = signedHeaders({
      target: 'ListKeys',
      body: '{}',
      host: 'kms.local',
      accessKeyId: 'AKIDAPP',
      secretAccessKey: 'app-secret',
      at,
    });
    const verify = {
      credentials: (id: string) =>
        id === 'AKIDAPP' ? { secretAccessKey: 'app-secret', principal: 'arn:aws:iam::111122223333:role/app' } : undefined,
      now: () => at,
    };
    const { scope, response } = await scopeOf({ headers, path: '/' }, { verify });
    expect(response.statusCode).toBe(200);
    expect(scope).toMatchObject({ region: 'us-east-1', accessKeyId: 'AKIDAPP', principal: 'arn:aws:iam::111122223333:role/app' });
    // Verification refuses before the chooser is asked.
    const refused = await scopeOf({ headers: { ...headers, 'x-amz-target': 'TrentService.DisableKey' }, path: '/' }, { verify });
    expect([refused.response.statusCode, json(refused.response).__type, refused.scope]).toEqual([
      400,
      'InvalidSignatureException',
      undefined,
    ]);
  });

  it('a Kms target: a 12-digit access key is the account, any other is not; the principal and address reach the policy values', async () => {
    const kms = new Kms();
    const create = async (authorization: string) =>
      json(
        await handleWireRequest(kms, {
          method: 'POST',
          headers: base({ 'x-amz-target': 'TrentService.CreateKey', authorization }),
          body: '{}',
        }),
      ).KeyMetadata as { Arn: string };
    expect((await create(auth('444455556666/20260102/eu-west-1/kms/aws4_request'))).Arn).toMatch(
      /^arn:aws:kms:eu-west-1:444455556666:key\//,
    );
    expect((await create(auth('4444555566667/20260102/eu-west-1/kms/aws4_request'))).Arn).toMatch(
      /^arn:aws:kms:eu-west-1:111122223333:key\//,
    );
    expect((await create(auth('44445555666/20260102/eu-west-1/kms/aws4_request'))).Arn).toMatch(
      /^arn:aws:kms:eu-west-1:111122223333:key\//,
    );
  });
});

describe('the front end, in order', () => {
  it('a body of exactly the limit is read; one byte more is 413 before anything else, counting UTF-8 bytes of a string', async () => {
    const at = (body: string | Uint8Array, extra: Partial<WireRequest> = {}) => scopeOf({ body, ...extra }, { maxBodyBytes: 10 });
    expect((await at('{"Limit":1}')).response.statusCode).toBe(413);
    expect((await at('{"Limit":1')).response.statusCode).toBe(400); // 10 bytes: read, then refused as JSON
    expect(json((await at('{ }       ')).response)).toEqual({ Keys: [], Truncated: false });
    const r = await at('{"é":"é"} ', { method: 'GET' }); // 12 UTF-8 bytes, 10 UTF-16 units
    expect([r.response.statusCode, json(r.response).__type, json(r.response).message]).toEqual([
      413,
      'SerializationException',
      'The request body is larger than 10 bytes.',
    ]);
    expect((await at('{"a":"é"}')).response.statusCode).toBe(200); // 9 units (up to 27 bytes), 10 UTF-8 bytes: read
    expect((await at(new TextEncoder().encode('{"a":"é"}'))).response.statusCode).toBe(200);
    expect((await at(new TextEncoder().encode('{"a":"é"} '))).response.statusCode).toBe(413);
  });

  it('the method, then the operation, then the body', async () => {
    const send = (request: Partial<WireRequest>) =>
      scopeOf(request).then(({ response }) => [response.statusCode, json(response).__type, json(response).message]);
    expect(await send({ method: 'GET', body: 'not json' })).toEqual([405, 'UnknownOperationException', 'Only POST requests are accepted.']);
    expect((await send({ method: 'post' }))[0]).toBe(200);
    expect((await send({ method: undefined }))[0]).toBe(200);
    expect(await send({ headers: base({ 'x-amz-target': 'TrentService.Nope' }), body: 'x' })).toEqual([
      400,
      'UnknownOperationException',
      'Unknown operation TrentService.Nope.',
    ]);
    expect(await send({ headers: base({ 'x-amz-target': 'Other.ListKeys' }) })).toEqual([
      400,
      'UnknownOperationException',
      'Unknown operation Other.ListKeys.',
    ]);
    const { 'x-amz-target': _, ...untargeted } = base();
    expect(await send({ headers: untargeted })).toEqual([400, 'UnknownOperationException', 'Unknown operation (no X-Amz-Target).']);
    expect(await send({ body: '[]' })).toEqual([400, 'SerializationException', 'The request body must be a JSON object.']);
    expect(await send({ body: 'null' })).toEqual([400, 'SerializationException', 'The request body must be a JSON object.']);
    expect(await send({ body: '"x"' })).toEqual([400, 'SerializationException', 'The request body must be a JSON object.']);
    expect(await send({ body: '{' })).toEqual([400, 'SerializationException', 'The request body is not valid JSON.']);
    expect(await send({ body: new Uint8Array([0xff, 0x7b, 0x7d]) })).toEqual([
      400,
      'SerializationException',
      'The request body is not valid JSON.',
    ]);
    expect((await send({ body: ' \n ' }))[0]).toBe(200);
    expect((await send({ body: undefined }))[0]).toBe(200);
  });

  it('a KMS exception keeps its status; anything else is a 500 KMSInternalException without detail', async () => {
    const kms = new Kms();
    const err = await handleWireRequest(kms, {
      method: 'POST',
      headers: base({ 'x-amz-target': 'TrentService.DescribeKey' }),
      body: '{"KeyId":"alias/none"}',
    });
    expect([err.statusCode, err.headers['x-amzn-errortype']]).toEqual([400, 'NotFoundException']);
    const broken = await handleWireRequest(
      () => {
        throw new TypeError('secret detail');
      },
      { method: 'POST', headers: base(), body: '{}' },
    );
    expect([broken.statusCode, json(broken)]).toEqual([
      500,
      { __type: 'KMSInternalException', message: 'kmsbox could not complete the request because of an internal error.' },
    ]);
    expect(broken.headers['x-amzn-errortype']).toBe('KMSInternalException');
  });
});
