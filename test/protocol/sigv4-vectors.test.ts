// The AWS Signature Version 4 test suite (test/vectors/sigv4/README.md): for every vendored vector our
// canonical request, string to sign and signature are AWS's, and verifySigV4 accepts the signed request.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalRequest, signatureFor, stringToSign, verifySigV4, type SigV4Request } from '../../src/protocol/sigv4.js';
import { parseAuthorization } from '../../src/protocol/sigv4-authorization.js';

const SUITE = new URL('../vectors/sigv4/', import.meta.url).pathname;
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const lookup = (id: string) => (id === 'AKIDEXAMPLE' ? { secretAccessKey: SECRET } : undefined);

/**
 * A `.req` file: `METHOD target HTTP/1.1` (the target may hold spaces: get-space), `Name:value` lines
 * (a repeated name joins its values with `,`, as SigV4 does), a blank line, the body.
 */
function parseReq(text: string): SigV4Request {
  const [head, ...bodyParts] = text.split('\n\n');
  const [requestLine, ...lines] = head!.split('\n');
  const method = requestLine!.slice(0, requestLine!.indexOf(' '));
  const path = requestLine!.slice(method.length + 1, requestLine!.lastIndexOf(' '));
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return { method, path, headers, body: bodyParts.join('\n\n') };
}

const vectorDirs = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'botocore-2011')
    .flatMap((d) => (existsSync(join(dir, d.name, `${d.name}.req`)) ? [join(dir, d.name)] : vectorDirs(join(dir, d.name))));

const vectors = vectorDirs(SUITE).map((dir) => {
  const name = dir.split('/').at(-1)!;
  const read = (ext: string) => (existsSync(join(dir, `${name}.${ext}`)) ? readFileSync(join(dir, `${name}.${ext}`), 'utf8') : undefined);
  return { name, req: parseReq(read('req')!), creq: read('creq'), sts: read('sts'), authz: read('authz')! };
});

describe('the AWS SigV4 test suite (service "service", us-east-1, 20150830T123600Z)', () => {
  it('has the vectors the README names', () => {
    expect(vectors.map((v) => v.name)).toEqual(
      expect.arrayContaining([
        'get-vanilla',
        'get-vanilla-query',
        'post-vanilla',
        'post-x-www-form-urlencoded',
        'get-header-value-trim',
        'get-slash-dot-slash',
        'get-space',
        'get-utf8',
      ]),
    );
    expect(vectors.length).toBe(29);
  });

  it.each(vectors)('$name: canonical request, string to sign, signature, and verification', ({ req, creq, sts, authz }) => {
    const parsed = parseAuthorization(authz);
    if (!parsed.ok) throw new Error(parsed.message);
    const a = parsed.authorization;
    expect([a.accessKeyId, a.date, a.region, a.service, a.terminator]).toEqual([
      'AKIDEXAMPLE',
      '20150830',
      'us-east-1',
      'service',
      'aws4_request',
    ]);
    const canonical = canonicalRequest(req, a.signedHeaders, 'service');
    if (creq !== undefined) expect(canonical).toBe(creq);
    if (sts !== undefined) expect(stringToSign('20150830T123600Z', '20150830/us-east-1/service/aws4_request', canonical)).toBe(sts);
    expect(
      signatureFor(req, {
        secretAccessKey: SECRET,
        amzDate: '20150830T123600Z',
        region: 'us-east-1',
        service: 'service',
        signedHeaders: a.signedHeaders,
      }),
    ).toBe(a.signature);
    const at = Date.UTC(2015, 7, 30, 12, 36);
    expect(verifySigV4({ ...req, headers: { ...req.headers, authorization: authz } }, lookup, at, 'service')).toEqual({
      ok: true,
      accessKeyId: 'AKIDEXAMPLE',
      region: 'us-east-1',
    });
    // One changed byte of the signature, and it is refused.
    const forged = authz.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    expect(verifySigV4({ ...req, headers: { ...req.headers, authorization: forged } }, lookup, at, 'service')).toMatchObject({
      ok: false,
      type: 'InvalidSignatureException',
    });
  });

  it('normalizes paths as the SDKs do for services other than S3, and leaves S3 paths alone', () => {
    const req = (path: string): SigV4Request => ({ method: 'GET', path, headers: { host: 'h' }, body: '' });
    const pathOf = (path: string, service = 'kms') => canonicalRequest(req(path), ['host'], service).split('\n')[1];
    expect(pathOf('//example//')).toBe('/example/');
    expect(pathOf('/example1/example2/../..')).toBe('/');
    expect(pathOf('/a/./b/../c')).toBe('/a/c');
    expect(pathOf('/..')).toBe('/');
    expect(pathOf('/a/b')).toBe('/a/b');
    expect(pathOf("/a(b)*!'")).toBe('/a%28b%29%2A%21%27');
    expect(pathOf('')).toBe('/');
    expect(pathOf('//example//', 's3')).toBe('//example//');
    expect(pathOf('/a%20b', 's3')).toBe('/a%20b');
  });

  it('trims and folds header values as the SDKs do, and keeps a query it cannot decode as it came', () => {
    const req: SigV4Request = {
      method: 'post',
      path: '/?b=%zz&a=1+2&c',
      headers: { 'My-Header': ' a \t b\r\n  c ', Host: 'h' },
      body: 'x',
    };
    expect(canonicalRequest(req, ['host', 'my-header'], 'kms').split('\n').slice(0, 4)).toEqual([
      'POST',
      '/',
      'a=1%202&b=%25zz&c=',
      'host:h',
    ]);
    expect(canonicalRequest(req, ['host', 'my-header'], 'kms').split('\n')[4]).toBe('my-header:a b c');
    expect(canonicalRequest({ ...req, headers: { Host: 'h', host: 'i' } }, ['host'], 'kms').split('\n')[3]).toBe('host:h,i');
    expect(
      canonicalRequest({ ...req, headers: { Host: 'h', 'X-Amz-Content-Sha256': 'claimed' } }, ['host'], 'kms')
        .split('\n')
        .at(-1),
    ).toBe('claimed');
  });
});

describe("botocore's 2011 vectors: a Date header and a wire path encoded once already", () => {
  const dir = join(SUITE, 'botocore-2011');
  const read = (name: string, ext: string) => readFileSync(join(dir, `${name}.${ext}`), 'utf8');
  // The requests as they arrive on the wire: the client has percent-encoded the path once. For every
  // service but S3, SigV4 encodes it once more ("double encoding"), so `%` becomes `%25`. The 2015
  // suite's get-utf8 and get-space show the same paths before the client's encoding (`/ሴ`,
  // `/example space/`): there one encoding gives their .creq.
  it.each([
    ['get-utf8', '/%E1%88%B4'],
    ['get-space', '/%20/foo'],
  ])('%s', (name, path) => {
    const req: SigV4Request = { method: 'GET', path, headers: { Date: 'Mon, 09 Sep 2011 23:36:00 GMT', Host: 'host.foo.com' }, body: '' };
    const canonical = canonicalRequest(req, ['date', 'host'], 'host');
    expect(canonical).toBe(read(name, 'creq'));
    expect(stringToSign('20110909T233600Z', '20110909/us-east-1/host/aws4_request', canonical)).toBe(read(name, 'sts'));
    const authz = read(name, 'authz');
    const signature = signatureFor(req, {
      secretAccessKey: SECRET,
      amzDate: '20110909T233600Z',
      region: 'us-east-1',
      service: 'host',
      signedHeaders: ['date', 'host'],
    });
    expect(authz.endsWith(`Signature=${signature}`)).toBe(true);
  });
});
