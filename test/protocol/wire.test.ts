// The awsJson1_1 protocol at the byte level (https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html), and the base64 codec.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { handleWireRequest, Kms, ManualClock, type WireResponse } from 'kmsbox';
import { fromBase64, toBase64 } from '../../src/protocol/base64.js';

const headers = (op: string, extra: Record<string, string> = {}) => ({
  'Content-Type': 'application/x-amz-json-1.1',
  'X-Amz-Target': `TrentService.${op}`,
  ...extra,
});
const json = (r: WireResponse) => JSON.parse(new TextDecoder().decode(r.body)) as Record<string, unknown>;
const call = (kms: Kms, op: string, body: unknown, extra?: Record<string, string>) =>
  handleWireRequest(kms, { method: 'POST', headers: headers(op, extra), body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('wire protocol', () => {
  it('answers 200 with base64 blobs and epoch-second timestamps', async () => {
    const kms = new Kms({ clock: new ManualClock(new Date('2026-05-01T00:00:00.500Z')) });
    const created = await call(kms, 'CreateKey', {});
    expect(created.statusCode).toBe(200);
    expect(created.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(created.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    const md = json(created).KeyMetadata as Record<string, unknown>;
    expect(md.CreationDate).toBe(Date.parse('2026-05-01T00:00:00.500Z') / 1000);
    const enc = json(await call(kms, 'Encrypt', { KeyId: md.KeyId, Plaintext: Buffer.from('hello').toString('base64') }));
    expect(typeof enc.CiphertextBlob).toBe('string');
    const dec = json(await call(kms, 'Decrypt', { CiphertextBlob: enc.CiphertextBlob, UnknownField: 1, GrantTokens: null }));
    expect(Buffer.from(dec.Plaintext as string, 'base64').toString()).toBe('hello');
    // Operations with no output answer {}.
    expect(json(await call(kms, 'DisableKey', { KeyId: md.KeyId }))).toEqual({});
    // A body-less request is {}.
    expect((await handleWireRequest(kms, { method: 'POST', headers: headers('ListKeys') })).statusCode).toBe(200);
  });

  it('errors: __type and message in the body, x-amzn-errortype, 400 for client faults', async () => {
    const kms = new Kms();
    const r = await call(kms, 'DescribeKey', { KeyId: 'nope' });
    expect(r.statusCode).toBe(400);
    expect(r.headers['x-amzn-errortype']).toBe('NotFoundException');
    expect(json(r)).toEqual({ __type: 'NotFoundException', message: "Invalid keyId 'nope'" });
    const key = json(await call(kms, 'CreateKey', {})).KeyMetadata as { KeyId: string };
    const enc = json(await call(kms, 'Encrypt', { KeyId: key.KeyId, Plaintext: 'AQID', EncryptionContext: { a: 'b' } }));
    const bad = await call(kms, 'Decrypt', { CiphertextBlob: enc.CiphertextBlob });
    // AWS sends this one with an empty message; kmsbox never sends an empty message (issue 13).
    expect([bad.statusCode, json(bad)]).toEqual([
      400,
      {
        __type: 'InvalidCiphertextException',
        message: 'The ciphertext is not valid for this key and encryption context, or it was altered.',
      },
    ]);
    const v = await call(kms, 'GenerateRandom', { NumberOfBytes: 2000 });
    expect(json(v).__type).toBe('ValidationException');
  });

  it('front-end errors: unknown target, not implemented, bad JSON, wrong member types, bad base64, size, method', async () => {
    const kms = new Kms();
    const type = async (r: Promise<WireResponse>) => {
      const res = await r;
      return [res.statusCode, json(res).__type];
    };
    expect(await type(call(kms, 'NoSuchThing', {}))).toEqual([400, 'UnknownOperationException']);
    expect(await type(handleWireRequest(kms, { method: 'POST', headers: {}, body: '{}' }))).toEqual([400, 'UnknownOperationException']);
    expect(await type(call(kms, 'CreateCustomKeyStore', {}))).toEqual([400, 'UnsupportedOperationException']);
    expect(await type(call(kms, 'ListKeys', '{"Limit": '))).toEqual([400, 'SerializationException']);
    expect(await type(call(kms, 'ListKeys', '[1,2]'))).toEqual([400, 'SerializationException']);
    expect(await type(call(kms, 'Encrypt', { KeyId: 'k', Plaintext: 12 }))).toEqual([400, 'SerializationException']);
    expect(await type(call(kms, 'Encrypt', { KeyId: 'k', Plaintext: 'not base64!' }))).toEqual([400, 'SerializationException']);
    expect(await type(call(kms, 'ListKeys', { Limit: 'ten' }))).toEqual([400, 'ValidationException']);
    expect(await type(call(kms, 'ListKeys', { pad: 'x'.repeat(2 << 20) }))).toEqual([413, 'SerializationException']);
    expect(await type(handleWireRequest(kms, { method: 'GET', headers: headers('ListKeys') }))).toEqual([405, 'UnknownOperationException']);
  });

  it('map keys named "__proto__" survive the wire both ways (grant constraints)', async () => {
    const kms = new Kms();
    const keyId = (await kms.createKey({})).KeyMetadata!.KeyId!;
    const body = `{"KeyId":"${keyId}","GranteePrincipal":"arn:aws:iam::111122223333:role/app","Operations":["Decrypt"],"Constraints":{"EncryptionContextSubset":{"__proto__":"x"}}}`;
    expect((await call(kms, 'CreateGrant', body)).statusCode).toBe(200);
    const grants = json(await call(kms, 'ListGrants', { KeyId: keyId })).Grants as Array<{
      Constraints: { EncryptionContextSubset: Record<string, string> };
    }>;
    expect(Object.keys(grants[0]!.Constraints.EncryptionContextSubset)).toEqual(['__proto__']);
  });

  it('the SigV4 credential scope picks the region', async () => {
    const kms = new Kms();
    const auth = {
      Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260501/ap-southeast-2/kms/aws4_request, SignedHeaders=host, Signature=00',
    };
    const md = json(await call(kms, 'CreateKey', {}, auth)).KeyMetadata as { Arn: string };
    expect(md.Arn.startsWith('arn:aws:kms:ap-southeast-2:111122223333:key/')).toBe(true);
  });

  it('each request runs in its own scope (region, caller, User-Agent), however requests of several scopes interleave', async () => {
    const { MemoryAuditSink } = await import('kmsbox');
    const sink = new MemoryAuditSink();
    const kms = new Kms({ audit: sink });
    const scoped = (region: string, account: string, agent: string) => ({
      Authorization: `AWS4-HMAC-SHA256 Credential=${account}/20260501/${region}/kms/aws4_request, SignedHeaders=host, Signature=00`,
      'User-Agent': agent,
    });
    const a = scoped('eu-west-1', '111111111111', 'agent-a');
    const b = scoped('ap-southeast-2', '222222222222', 'agent-b');
    const c = scoped('eu-west-1', '111111111111', 'agent-c'); // a's scope but for the User-Agent
    for (const [extra, region, account, agent] of [
      [a, 'eu-west-1', '111111111111', 'agent-a'],
      [b, 'ap-southeast-2', '222222222222', 'agent-b'],
      [a, 'eu-west-1', '111111111111', 'agent-a'],
      [c, 'eu-west-1', '111111111111', 'agent-c'],
      [a, 'eu-west-1', '111111111111', 'agent-a'],
      [b, 'ap-southeast-2', '222222222222', 'agent-b'],
    ] as const) {
      const md = json(await call(kms, 'CreateKey', {}, extra)).KeyMetadata as { Arn: string };
      expect(md.Arn.startsWith(`arn:aws:kms:${region}:${account}:key/`)).toBe(true);
      expect(sink.events.at(-1)).toMatchObject({ awsRegion: region, recipientAccountId: account, userAgent: agent });
    }
  });

  it("runs each operation as Kms.invoke does: a subclass's invoke is called, a subclass's method is not", async () => {
    const seen: string[] = [];
    class Counting extends Kms {
      override invoke(operation: string, input: unknown): Promise<never> {
        seen.push(operation);
        return super.invoke(operation, input) as Promise<never>;
      }
    }
    class Overriding extends Kms {
      override listKeys(): never {
        throw new Error('not through the wire');
      }
    }
    const counting = new Counting();
    expect((await call(counting, 'ListKeys', {})).statusCode).toBe(200);
    expect((await call(counting, 'NoSuchOperationYet', {})).statusCode).toBe(400);
    expect(seen).toEqual(['ListKeys']);
    const listed = await call(new Overriding(), 'ListKeys', {});
    expect(listed.statusCode).toBe(200);
    expect(json(listed)).toHaveProperty('Keys');
  });

  it('survives arbitrary bodies: always a JSON error or success, never a throw', async () => {
    const kms = new Kms();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('Encrypt', 'Decrypt', 'CreateKey', 'ListAliases', 'TagResource'),
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        async (op, body) => {
          const r = await call(kms, op, body);
          expect([200, 400]).toContain(r.statusCode);
          if (r.statusCode === 400) expect(typeof json(r).__type).toBe('string');
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('base64', () => {
  it('matches Buffer both ways and refuses what is not canonical padded base64', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const s = toBase64(b);
        return s === Buffer.from(b).toString('base64') && Buffer.from(fromBase64(s)!).equals(Buffer.from(b));
      }),
    );
    for (const bad of ['a', 'ab', 'abc', 'ab=c', '====', 'ab!c', 'YQ==YQ==', 'é===']) expect(fromBase64(bad), bad).toBeUndefined();
    expect(fromBase64('')).toEqual(new Uint8Array(0));
  });
});
