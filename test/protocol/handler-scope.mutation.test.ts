// The wire handler's request scope (src/protocol/wire-handler.ts): what the Kms chosen for a request is
// told about it — region and account from the credential scope, the verified principal, source
// address, User-Agent (bounded), aws:SecureTransport — and the order of the front-end checks.
import { describe, expect, it } from 'vitest';
import {
  type AuditEvent,
  DependencyTimeoutException,
  handleWireRequest,
  Kms,
  KMSInternalException,
  KMSServiceException,
  NotFoundException,
  type WireResponse,
} from 'kmsbox';
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
    expect(scope).toStrictEqual({});
  });

  it('the credential scope gives region and access key; the source address implies plain HTTP unless told', async () => {
    expect((await scopeOf({ headers: base({ authorization: auth('AKIDX/20260102/eu-west-2/kms/aws4_request') }) })).scope).toStrictEqual({
      region: 'eu-west-2',
      accessKeyId: 'AKIDX',
    });
    expect((await scopeOf({ sourceIp: '127.0.0.1' })).scope).toStrictEqual({ sourceIp: '127.0.0.1', secureTransport: false });
    expect((await scopeOf({ sourceIp: '127.0.0.1', secureTransport: true })).scope).toStrictEqual({
      sourceIp: '127.0.0.1',
      secureTransport: true,
    });
    expect((await scopeOf({ secureTransport: true })).scope).toStrictEqual({ secureTransport: true });
  });

  it('the User-Agent is kept to its first 256 characters', async () => {
    expect((await scopeOf({ headers: base({ 'User-Agent': 'a'.repeat(256) }) })).scope).toStrictEqual({ userAgent: 'a'.repeat(256) });
    expect((await scopeOf({ headers: base({ 'User-Agent': 'b'.repeat(300) }) })).scope).toStrictEqual({ userAgent: 'b'.repeat(256) });
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

describe('a Kms target: what the chosen Kms is told', () => {
  const events = () => {
    const seen: AuditEvent[] = [];
    return { seen, audit: (e: AuditEvent) => void seen.push(e) };
  };
  const listKeys = (kms: Kms, request: Partial<WireRequest>, options?: Parameters<typeof handleWireRequest>[2]) =>
    handleWireRequest(kms, { method: 'POST', headers: base(), body: '{}', ...request }, options);
  const verifyAs = (accessKeyId: string, principal: string | undefined, at: number) => ({
    credentials: (id: string) => (id === accessKeyId ? { secretAccessKey: 's3cret', ...(principal ? { principal } : {}) } : undefined),
    now: () => at,
  });
  const signed = (accessKeyId: string, at: number, extra: Record<string, string> = {}) => ({
    ...signedHeaders({
      target: 'ListKeys',
      body: '{}',
      host: 'kms.local',
      accessKeyId,
      secretAccessKey: 's3cret',
      region: 'eu-west-3',
      at,
    }),
    ...extra,
  });
  const at = Date.UTC(2026, 0, 2, 3, 4, 5);
  const ALLOW_ALL = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] });

  it("the verified principal is the caller, in its own account even when the access key is 12 digits; the region is the scope's", async () => {
    const { seen, audit } = events();
    const principal = 'arn:aws:iam::777788889999:role/app';
    const kms = new Kms({ audit, identityPolicies: { [principal]: [ALLOW_ALL] } });
    const r = await listKeys(kms, { headers: signed('444455556666', at) }, { verify: verifyAs('444455556666', principal, at) });
    expect([r.statusCode, json(r)]).toEqual([200, { Keys: [], Truncated: false }]);
    expect(seen.at(-1)).toMatchObject({
      userIdentity: { arn: principal, accountId: '777788889999' },
      recipientAccountId: '777788889999',
      awsRegion: 'eu-west-3',
      sourceIPAddress: 'kmsbox',
      userAgent: 'kmsbox',
    });
  });

  it('a principal that names no account: the 12-digit access key is the account, the principal still the caller', async () => {
    const { seen, audit } = events();
    const kms = new Kms({ audit });
    const r = await listKeys(kms, { headers: signed('444455556666', at) }, { verify: verifyAs('444455556666', 'app', at) });
    // Denied (it belongs to no account), but as 'app' acting in the access key's account.
    expect([r.statusCode, json(r).__type]).toEqual([400, 'AccessDeniedException']);
    expect(seen.at(-1)).toMatchObject({ userIdentity: { arn: 'app' }, recipientAccountId: '444455556666' });
  });

  it('without a principal, the address or the User-Agent alone reaches the audit trail, the caller staying the root', async () => {
    const { seen, audit } = events();
    const kms = new Kms({ audit });
    await listKeys(kms, { sourceIp: '192.0.2.7' });
    expect(seen.at(-1)).toMatchObject({
      userIdentity: { arn: 'arn:aws:iam::111122223333:root' },
      sourceIPAddress: '192.0.2.7',
      userAgent: 'kmsbox',
    });
    await listKeys(kms, { headers: base({ 'user-agent': 'aws-cli/2' }) });
    expect(seen.at(-1)).toMatchObject({ sourceIPAddress: 'kmsbox', userAgent: 'aws-cli/2' });
    await listKeys(kms, {
      headers: base({ authorization: auth('444455556666/20260102/eu-west-1/kms/aws4_request') }),
      sourceIp: '192.0.2.8',
    });
    expect(seen.at(-1)).toMatchObject({
      userIdentity: { arn: 'arn:aws:iam::444455556666:root' },
      recipientAccountId: '444455556666',
      awsRegion: 'eu-west-1',
      sourceIPAddress: '192.0.2.8',
    });
  });

  it("only what the request carries replaces the target's own call details", async () => {
    const { seen, audit } = events();
    const kms = new Kms({ audit, sourceIp: '198.51.100.1', userAgent: 'base-agent' });
    await listKeys(kms, { headers: base({ 'user-agent': 'aws-cli/2' }) });
    expect(seen.at(-1)).toMatchObject({ sourceIPAddress: '198.51.100.1', userAgent: 'aws-cli/2' });
    await listKeys(kms, { sourceIp: '192.0.2.9' });
    expect(seen.at(-1)).toMatchObject({ sourceIPAddress: '192.0.2.9', userAgent: 'base-agent' });
    await listKeys(kms, { secureTransport: true });
    expect(seen.at(-1)).toMatchObject({ sourceIPAddress: '198.51.100.1', userAgent: 'base-agent' });
  });

  it('aws:SecureTransport reaches the policy: alone, with an address (false), or told', async () => {
    const calls: unknown[] = [];
    class Spy extends Kms {
      override withPrincipal(principal: string, call?: { sourceIp?: string; userAgent?: string; secureTransport?: boolean }): Kms {
        calls.push([principal, call]);
        return super.withPrincipal(principal, call);
      }
    }
    const kms = new Spy();
    const root = 'arn:aws:iam::111122223333:root';
    await listKeys(kms, {});
    await listKeys(kms, { secureTransport: false });
    await listKeys(kms, { sourceIp: '192.0.2.1' });
    await listKeys(kms, { sourceIp: '192.0.2.1', secureTransport: true, headers: base({ 'user-agent': 'ua' }) });
    expect(calls).toEqual([
      [root, { secureTransport: false }],
      [root, { sourceIp: '192.0.2.1', secureTransport: false }],
      [root, { sourceIp: '192.0.2.1', userAgent: 'ua', secureTransport: true }],
    ]);
    // And the policy sees it: a key that denies plain HTTP.
    const key = json(
      await listKeys(kms, {
        headers: base({ 'x-amz-target': 'TrentService.CreateKey' }),
        body: JSON.stringify({
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Principal: { AWS: root }, Action: 'kms:*', Resource: '*' },
              {
                Effect: 'Deny',
                Principal: '*',
                Action: 'kms:DescribeKey',
                Resource: '*',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              },
            ],
          }),
        }),
      }),
    ).KeyMetadata as { KeyId: string };
    const describe = (request: Partial<WireRequest>) =>
      listKeys(kms, {
        headers: base({ 'x-amz-target': 'TrentService.DescribeKey' }),
        body: JSON.stringify({ KeyId: key.KeyId }),
        ...request,
      });
    expect((await describe({})).statusCode).toBe(200);
    expect((await describe({ secureTransport: true })).statusCode).toBe(200);
    expect(json(await describe({ secureTransport: false })).__type).toBe('AccessDeniedException');
    expect(json(await describe({ sourceIp: '192.0.2.1' })).__type).toBe('AccessDeniedException');
  });
});

describe('the response to what the Kms returns or throws', () => {
  const fake = (invoke: () => Promise<unknown>) => () => ({ invoke }) as unknown as Kms;
  const send = (target: ReturnType<typeof fake>, onInternalError?: (id: string, e: KMSServiceException) => void) =>
    handleWireRequest(target, { method: 'POST', headers: base(), body: '{}' }, onInternalError ? { onInternalError } : {});
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

  it("a success carries the operation's request id, or a fresh one, and no error type", async () => {
    const ok = await send(fake(async () => ({ $metadata: { requestId: 'req-1' }, Keys: [] })));
    expect(ok).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'req-1' } });
    expect(Object.keys(ok.headers).sort()).toEqual(['content-type', 'x-amzn-requestid']);
    expect(json(ok)).toEqual({ Keys: [] });
    const fresh = await send(fake(async () => ({ $metadata: {} })));
    expect(fresh.headers['x-amzn-requestid']).toMatch(UUID);
  });

  it('a status the exception carries is kept; without one, a server fault is 500 and a client fault 400', async () => {
    const bare = <E extends KMSServiceException>(e: E): E => {
      // A KMSServiceException made elsewhere (a provider's, a subclass) may carry no status.
      const { httpStatusCode: _, ...rest } = e.$metadata;
      e.$metadata = rest;
      return e;
    };
    const statusOf = async (e: KMSServiceException) =>
      (
        await send(
          fake(async () => {
            throw e;
          }),
        )
      ).statusCode;
    expect(await statusOf(new DependencyTimeoutException({ message: 'kmsbox timed out' }))).toBe(503);
    expect(await statusOf(bare(new DependencyTimeoutException({ message: 'kmsbox timed out' })))).toBe(500);
    expect(await statusOf(bare(new NotFoundException({ message: 'no such key' })))).toBe(400);
    expect(await statusOf(new KMSServiceException({ message: 'x', $metadata: { httpStatusCode: 418 } }))).toBe(418);
  });

  it("a server fault: the operator is told with the caller's request id; the caller gets kmsbox's own message or the generic one", async () => {
    const told: [string, string][] = [];
    const onInternalError = (id: string, e: KMSServiceException) => void told.push([id, e.message]);
    const throwing = (e: KMSServiceException) =>
      fake(async () => {
        throw e;
      });
    const provider = await send(
      throwing(
        new KMSInternalException({ message: 'Key store /srv/keys.kmsbox cannot be used: EACCES', $metadata: { requestId: 'req-2' } }),
      ),
      onInternalError,
    );
    expect([provider.statusCode, provider.headers['x-amzn-requestid'], provider.headers['x-amzn-errortype'], json(provider)]).toEqual([
      500,
      'req-2',
      'KMSInternalException',
      { __type: 'KMSInternalException', message: 'kmsbox could not complete the request because of an internal error.' },
    ]);
    const own = await send(throwing(new KMSInternalException({ message: 'kmsbox could not record the audit event.' })), onInternalError);
    expect(json(own)).toEqual({ __type: 'KMSInternalException', message: 'kmsbox could not record the audit event.' });
    const ownId = own.headers['x-amzn-requestid']!;
    expect(ownId).toMatch(UUID);
    expect(told).toEqual([
      ['req-2', 'Key store /srv/keys.kmsbox cannot be used: EACCES'],
      [ownId, 'kmsbox could not record the audit event.'],
    ]);
    // A client fault: its own message, whatever it starts with, and the operator is not told.
    const client = await send(
      throwing(new NotFoundException({ message: 'Key store /x not found', $metadata: { requestId: 'req-3' } })),
      onInternalError,
    );
    expect([client.statusCode, client.headers['x-amzn-requestid'], json(client)]).toEqual([
      400,
      'req-3',
      { __type: 'NotFoundException', message: 'Key store /x not found' },
    ]);
    expect(told).toHaveLength(2);
    // Without onInternalError a server fault is still answered.
    expect((await send(throwing(new KMSInternalException({ message: 'boom' })))).statusCode).toBe(500);
  });
});

describe('defaults of the handler', () => {
  it('verification without a clock uses the time now; a request without a path is for /', async () => {
    const headers = signedHeaders({ target: 'ListKeys', body: '{}', host: 'kms.local', accessKeyId: 'AKIDAPP', secretAccessKey: 's3cret' });
    const credentials = (id: string) => (id === 'AKIDAPP' ? { secretAccessKey: 's3cret' } : undefined);
    const r = await handleWireRequest(new Kms(), { method: 'POST', headers, body: '{}' }, { verify: { credentials } });
    expect([r.statusCode, json(r)]).toEqual([200, { Keys: [], Truncated: false }]);
    const elsewhere = await handleWireRequest(new Kms(), { method: 'POST', path: '/x', headers, body: '{}' }, { verify: { credentials } });
    expect(json(elsewhere).__type).toBe('InvalidSignatureException');
  });

  it("a request that says nothing of aws:SecureTransport keeps the target's", async () => {
    const root = 'arn:aws:iam::111122223333:root';
    const kms = new Kms({ secureTransport: false });
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: root }, Action: 'kms:*', Resource: '*' },
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 'kms:DescribeKey',
          Resource: '*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    });
    const { KeyMetadata } = await kms.createKey({ Policy: policy });
    const describe = (headers: Record<string, string>) =>
      handleWireRequest(kms, {
        method: 'POST',
        headers: base({ 'x-amz-target': 'TrentService.DescribeKey', ...headers }),
        body: JSON.stringify({ KeyId: KeyMetadata!.KeyId }),
      });
    expect(json(await describe({})).__type).toBe('AccessDeniedException');
    expect(json(await describe({ 'user-agent': 'ua' })).__type).toBe('AccessDeniedException');
  });
});

describe('views kept per request scope (src/protocol/wire-handler.ts resolve)', () => {
  it('each request acts with its own scope, in any order, however many scopes came before', async () => {
    const { MemoryAuditSink } = await import('kmsbox');
    const sink = new MemoryAuditSink();
    const kms = new Kms({ audit: sink });
    const call = (userAgent: string | undefined, sourceIp: string | undefined, akid = 'AKIDEXAMPLE') =>
      handleWireRequest(kms, {
        method: 'POST',
        headers: {
          ...base(userAgent === undefined ? {} : { 'user-agent': userAgent }),
          authorization: auth(`${akid}/20260102/eu-west-1/kms/aws4_request`),
        },
        body: '{}',
        ...(sourceIp === undefined ? {} : { sourceIp }),
      });
    const scopes: Array<[string | undefined, string | undefined, string]> = [
      ['ua-1', '10.0.0.1', 'AKIDEXAMPLE'],
      ['ua-2', '10.0.0.1', 'AKIDEXAMPLE'],
      [undefined, '10.0.0.1', 'AKIDEXAMPLE'],
      ['-', '10.0.0.1', 'AKIDEXAMPLE'], // the absent field's marker, as a value
      ['ua-1', undefined, 'AKIDEXAMPLE'],
      ['ua-1', '10.0.0.1', '444455556666'], // a 12-digit access key: that account
    ];
    // Past the cache's size too, then every scope again in reverse.
    for (let i = 0; i < 300; i++) await call(`filler-${i}`, '10.0.0.9');
    for (const order of [scopes, [...scopes].reverse()]) {
      sink.events.length = 0;
      for (const [ua, ip, akid] of order) expect((await call(ua, ip, akid)).statusCode).toBe(200);
      expect(sink.events.map((e) => [e.userAgent, e.sourceIPAddress, e.recipientAccountId, e.awsRegion])).toEqual(
        order.map(([ua, ip, akid]) => [ua ?? 'kmsbox', ip ?? 'kmsbox', akid === '444455556666' ? akid : '111122223333', 'eu-west-1']),
      );
    }
  });
});
