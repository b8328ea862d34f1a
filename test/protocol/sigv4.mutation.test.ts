// SigV4 details the AWS vectors leave open (src/protocol/sigv4.ts): the canonical path, query and
// header values at their edges, which date header is read, and the exact time-window messages.
import { describe, expect, it } from 'vitest';
import { authenticate, canonicalRequest, lowerCaseHeaders, verifySigV4, type SigV4Request } from '../../src/protocol/sigv4.js';
import { signedHeaders } from '../server/sigv4-raw.js';

const EMPTY_HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const line = (req: Partial<SigV4Request>, signed: string[] = [], service = 'kms') =>
  canonicalRequest({ method: 'get', path: '/', headers: {}, body: '', ...req }, signed, service).split('\n');

describe('canonicalRequest', () => {
  it('the method upper-cased; the path normalized (., .., empty segments, a kept trailing slash) and encoded, except for S3', () => {
    expect(line({})[0]).toBe('GET');
    expect(line({ path: '' })[1]).toBe('/');
    expect(line({ path: '/a/./b/../c//d/' })[1]).toBe('/a/c/d/');
    expect(line({ path: '/a/..' })[1]).toBe('/');
    expect(line({ path: '/../a' })[1]).toBe('/a');
    expect(line({ path: '/a b/c' })[1]).toBe('/a%20b/c');
    expect(line({ path: "/a!'()*" })[1]).toBe('/a%21%27%28%29%2A');
    expect(line({ path: '/a%20b' })[1]).toBe('/a%2520b');
    expect(line({ path: '/a/./b/../c//d/' }, [], 's3')[1]).toBe('/a/./b/../c//d/');
  });

  it('the query: pairs decoded, re-encoded, sorted by key then value; bare keys get "="; empty pairs dropped', () => {
    expect(line({ path: '/?b=2&a=1' })[2]).toBe('a=1&b=2');
    expect(line({ path: '/?a=2&a=1&a=10' })[2]).toBe('a=1&a=10&a=2');
    expect(line({ path: '/?x&&y=' })[2]).toBe('x=&y=');
    expect(line({ path: '/?a=b+c&d=%7E%2F' })[2]).toBe('a=b%20c&d=~%2F');
    expect(line({ path: '/?k=%zz' })[2]).toBe('k=%25zz');
    expect(line({ path: '/?a=x=y' })[2]).toBe('a=x%3Dy');
    expect(line({ path: '/?B=1&a=1' })[2]).toBe('B=1&a=1');
    expect(line({ path: '/?' })[2]).toBe('');
    expect(line({ path: '/?=x' })[2]).toBe('=x');
    expect(line({ path: '/?a+b=1' })[2]).toBe('a%20b=1');
  });

  it('a path without a leading slash stays without one; everything after the first "?" is the query', () => {
    expect(line({ path: '?a=1' }).slice(1, 3)).toEqual(['', 'a=1']);
    expect(line({ path: 'a/b/' })[1]).toBe('a/b/');
    expect(line({ path: '/p?a=1?b' }).slice(1, 3)).toEqual(['/p', 'a=1%3Fb']);
  });

  it('header values: runs of spaces and tabs are one space, newlines too, none at the ends; a missing header is empty', () => {
    const l = line({ headers: { 'X-A': '  a \t\t b  ', 'x-b': 'c\r\nd' } }, ['x-a', 'x-b', 'x-c']);
    expect(l.slice(3, 6)).toEqual(['x-a:a b', 'x-b:c d', 'x-c:']);
    expect(l[7]).toBe('x-a;x-b;x-c');
    expect(l[8]).toBe(EMPTY_HASH);
    expect(line({ headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }).at(-1)).toBe('UNSIGNED-PAYLOAD');
  });

  it('lowerCaseHeaders skips undefined values and joins names that differ only in case', () => {
    expect([...lowerCaseHeaders({ A: '1', a: '2', b: undefined })]).toEqual([['a', '1,2']]);
  });
});

describe('the request date and window', () => {
  const AT = Date.UTC(2026, 0, 2, 3, 4, 5);
  const lookup = (id: string) => (id === 'AKID' ? { secretAccessKey: 's' } : undefined);
  const req = (at: number, extra: Record<string, string> = {}): SigV4Request => ({
    method: 'POST',
    path: '/',
    headers: {
      ...signedHeaders({ target: 'ListKeys', body: '{}', host: 'kms.local', accessKeyId: 'AKID', secretAccessKey: 's', at }),
      ...extra,
    },
    body: '{}',
  });

  it('15 minutes either side of the current second, inclusive; the messages name the edges', () => {
    expect(verifySigV4(req(AT - 15 * 60_000), lookup, AT + 999).ok).toBe(true);
    expect(verifySigV4(req(AT + 15 * 60_000), lookup, AT).ok).toBe(true);
    expect(verifySigV4(req(AT - 15 * 60_000 - 1000), lookup, AT + 999)).toEqual({
      ok: false,
      type: 'InvalidSignatureException',
      message: 'Signature expired: 20260102T024904Z is now earlier than 20260102T024905Z (20260102T030405Z - 15 min.)',
    });
    expect(verifySigV4(req(AT + 15 * 60_000 + 1000), lookup, AT + 999)).toEqual({
      ok: false,
      type: 'InvalidSignatureException',
      message: 'Signature not yet current: 20260102T031906Z is still later than 20260102T031905Z (20260102T030405Z + 15 min.)',
    });
  });

  it('X-Amz-Date wins over Date; X-Amz-Date must be ISO 8601 basic even where Date could be an HTTP date', () => {
    const r = req(AT);
    expect(verifySigV4({ ...r, headers: { ...r.headers, date: 'Sun, 06 Nov 1994 08:49:37 GMT' } }, lookup, AT).ok).toBe(true);
    const httpDate = new Date(AT).toUTCString();
    const x = verifySigV4({ ...r, headers: { ...r.headers, 'x-amz-date': httpDate } }, lookup, AT);
    expect(x).toMatchObject({
      ok: false,
      type: 'IncompleteSignatureException',
      message: `Date must be in ISO-8601 'basic format'. Got '${httpDate}'. See http://en.wikipedia.org/wiki/ISO_8601`,
    });
  });

  it('a malformed Authorization header is refused by verifySigV4 as by the parser, before the date is read', () => {
    const r = req(AT);
    const bad = { ...r, headers: { ...r.headers, authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260102/us-east-1/kms/aws4_request' } };
    expect(verifySigV4(bad, lookup, AT)).toMatchObject({ ok: false, type: 'IncompleteSignatureException' });
    expect(verifySigV4(bad, lookup, AT + 3_600_000)).toMatchObject({ ok: false, type: 'IncompleteSignatureException' });
  });

  it('without verification, every scope problem is named, separated by a space', () => {
    const scope = `AWS4-HMAC-SHA256 Credential=AKID/20260102/local/s3/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`;
    expect(authenticate({ method: 'POST', path: '/', headers: { authorization: scope }, body: '' }, undefined)).toEqual({
      ok: false,
      type: 'InvalidSignatureException',
      message: "Credential should be scoped to a valid region, not 'local'. Credential should be scoped to correct service: 'kms'.",
    });
  });

  it('a credential whose principal is not a string is no credential', () => {
    const odd = (id: string) =>
      id === 'AKID' ? ({ secretAccessKey: 's', principal: 5 } as unknown as { secretAccessKey: string }) : undefined;
    expect(verifySigV4(req(AT), odd, AT)).toEqual({
      ok: false,
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
    const withPrincipal = (id: string) =>
      id === 'AKID' ? { secretAccessKey: 's', principal: 'arn:aws:iam::111122223333:user/u' } : undefined;
    expect(verifySigV4(req(AT), withPrincipal, AT)).toEqual({
      ok: true,
      accessKeyId: 'AKID',
      region: 'us-east-1',
      principal: 'arn:aws:iam::111122223333:user/u',
    });
    expect(verifySigV4(req(AT), lookup, AT)).toStrictEqual({ ok: true, accessKeyId: 'AKID', region: 'us-east-1' }); // no principal key at all
  });
});
