// The audit trail of kmsbox serve under junk requests (raw HTTP): an event must not grow with the
// junk a caller puts in a request. Found attacking the server: one DescribeKey with a 1 MB unknown
// member wrote a 1 MB event, and one with a 1 MB KeyId a 2 MB event (the value in
// requestParameters and again in errorMessage), each fsynced: a caller filled the disk at twice
// the rate it sent. And an unknown `plaintext` member (a hand-rolled client's misspelling of
// Plaintext, which AWS ignores) was logged verbatim.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kms, MemoryAuditSink } from 'kmsbox';
import { startServer, type RunningServer } from 'kmsbox/node';
import { MAX_AUDIT_ERROR_MESSAGE, MAX_AUDIT_FIELD_BYTES } from '../../src/audit/record-event.js';
import { rawRequest } from './sigv4-raw.js';

describe('audit events of kmsbox serve are bounded', () => {
  let server: RunningServer;
  let keyId: string;
  const audit = new MemoryAuditSink();
  const send = (target: string, body: string) =>
    rawRequest(
      server.port,
      'POST',
      '/',
      [
        ['host', '127.0.0.1'],
        ['content-type', 'application/x-amz-json-1.1'],
        ['x-amz-target', `TrentService.${target}`],
      ],
      body,
    );
  const last = () => audit.events.at(-1)!;
  const size = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;

  beforeAll(async () => {
    const kms = new Kms({ audit });
    keyId = (await kms.createKey({})).KeyMetadata!.KeyId!;
    server = await startServer(kms);
  });
  afterAll(() => server.close());

  it('omits requestParameters over the field limit, as CloudTrail does ({ omitted: true })', async () => {
    const r = await send('DescribeKey', JSON.stringify({ KeyId: keyId, Junk: 'x'.repeat(1_000_000) }));
    expect(r.status).toBe(200);
    expect(last().eventName).toBe('DescribeKey');
    expect(last().requestParameters).toEqual({ omitted: true });
    expect(size(last())).toBeLessThan(4096);
  });

  it('keeps requestParameters of exactly the limit, and omits one byte more', async () => {
    // {"keyId":"…","junk":"xx…x"}: pad the junk so the logged parameters are exactly the limit.
    const fixed = size({ keyId, junk: '' });
    const at = await send('DescribeKey', JSON.stringify({ KeyId: keyId, Junk: 'x'.repeat(MAX_AUDIT_FIELD_BYTES - fixed) }));
    expect(at.status).toBe(200);
    expect(size(last().requestParameters)).toBe(MAX_AUDIT_FIELD_BYTES);
    expect(last().requestParameters).toMatchObject({ keyId });
    await send('DescribeKey', JSON.stringify({ KeyId: keyId, Junk: 'x'.repeat(MAX_AUDIT_FIELD_BYTES - fixed + 1) }));
    expect(last().requestParameters).toEqual({ omitted: true });
  });

  it('a rejected 1 MB KeyId: the caller still gets the whole message, the event a bounded one', async () => {
    const huge = 'k'.repeat(1_000_000);
    const r = await send('DescribeKey', JSON.stringify({ KeyId: huge }));
    expect(r.headers['x-amzn-errortype']).toBe('ValidationException');
    expect(r.body).toContain(huge);
    const event = last();
    expect(event.errorCode).toBe('ValidationException');
    expect(event.requestParameters).toEqual({ omitted: true });
    expect(event.errorMessage!.length).toBe(MAX_AUDIT_ERROR_MESSAGE);
    expect(event.errorMessage!.endsWith('…')).toBe(true);
    expect(event.errorMessage!.startsWith("1 validation error detected: Value 'kkk")).toBe(true);
    expect(size(event)).toBeLessThan(MAX_AUDIT_ERROR_MESSAGE * 2);
  });

  it('keeps an error message of exactly the limit whole, and cuts one a character longer', async () => {
    // The message echoes the KeyId once: its length is a constant plus the KeyId's (probed first).
    const messageFor = async (length: number) => {
      const r = await send('DescribeKey', JSON.stringify({ KeyId: 'k'.repeat(length) }));
      return (JSON.parse(r.body) as { message: string }).message;
    };
    const constant = (await messageFor(3000)).length - 3000;
    const exact = await messageFor(MAX_AUDIT_ERROR_MESSAGE - constant);
    expect(exact.length).toBe(MAX_AUDIT_ERROR_MESSAGE);
    expect(last().errorMessage).toBe(exact);
    const longer = await messageFor(MAX_AUDIT_ERROR_MESSAGE - constant + 1);
    expect(last().errorMessage).toBe(`${longer.slice(0, MAX_AUDIT_ERROR_MESSAGE - 1)}…`);
  });

  it('never logs a member named like a secret, in any case', async () => {
    const r = await send(
      'Encrypt',
      JSON.stringify({
        KeyId: keyId,
        Plaintext: 'AAAA',
        plaintext: 'c2VjcmV0',
        PLAINTEXT: 'c2VjcmV0',
        grantTokens: ['t'],
        Description: 'kept',
      }),
    );
    expect(r.status).toBe(200);
    const params = last().requestParameters!;
    expect(params).toEqual({ keyId, description: 'kept' });
    expect(JSON.stringify(last())).not.toContain('c2VjcmV0');
  });
});
