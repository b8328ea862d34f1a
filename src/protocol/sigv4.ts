/**
 * AWS Signature Version 4 verification (for `kmsbox serve --credentials`): rebuilds the canonical
 * request and the string to sign exactly as the AWS SDKs and CLI sign them, and compares the
 * signature in constant time. Browser-safe (@noble/hashes), since the protocol layer is.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes, toHex, utf8Encode } from '../crypto/bytes.js';

export interface SigV4Request {
  method: string;
  /** Path and query, as on the request line: `/`, `/?a=b`. */
  path: string;
  headers: Readonly<Record<string, string | undefined>>;
  body: Uint8Array | string;
}

export interface SigV4Credential {
  secretAccessKey: string;
  /** The caller this access key acts as (for key policies). */
  principal?: string;
}

export type SigV4Result =
  | { ok: true; accessKeyId: string; region: string; principal?: string }
  | { ok: false; type: 'MissingAuthenticationTokenException' | 'IncompleteSignatureException' | 'UnrecognizedClientException' | 'InvalidSignatureException'; message: string };

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_SKEW_MS = 15 * 60_000;

const hex = (b: Uint8Array | string): string => toHex(sha256(typeof b === 'string' ? utf8Encode(b) : b));
const mac = (key: Uint8Array, data: string): Uint8Array => hmac(sha256, key, utf8Encode(data));

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters. */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalPath(path: string, service: string): string {
  if (path === '' || path === '/') return '/';
  // Non-S3 services sign each path segment URI-encoded twice (the first time by the client).
  const encodeTwice = service !== 's3';
  return path
    .split('/')
    .map((seg) => (encodeTwice ? uriEncode(uriEncode(safeDecode(seg))) : uriEncode(safeDecode(seg))))
    .join('/');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const k = safeDecode((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
      const v = eq < 0 ? '' : safeDecode(pair.slice(eq + 1).replace(/\+/g, ' '));
      return [uriEncode(k), uriEncode(v)] as const;
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** `YYYYMMDDTHHMMSSZ` → epoch ms, or NaN. */
function parseAmzDate(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : Number.NaN;
}

const amzDate = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/** The signature SigV4 gives this request under this secret (exported for known-answer tests). */
export function signatureFor(
  req: SigV4Request,
  o: { secretAccessKey: string; amzDate: string; region: string; service: string; signedHeaders: string[] },
): string {
  const headers = new Map(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v ?? '']));
  const [path = '/', query = ''] = splitOnce(req.path, '?');
  const canonicalHeaders = o.signedHeaders.map((h) => `${h}:${(headers.get(h) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const payloadHash = headers.get('x-amz-content-sha256') ?? hex(req.body);
  const canonicalRequest = [req.method.toUpperCase(), canonicalPath(path, o.service), canonicalQuery(query), canonicalHeaders, o.signedHeaders.join(';'), payloadHash].join('\n');
  const date = o.amzDate.slice(0, 8);
  const scope = `${date}/${o.region}/${o.service}/aws4_request`;
  const stringToSign = [ALGORITHM, o.amzDate, scope, hex(canonicalRequest)].join('\n');
  let key = mac(utf8Encode(`AWS4${o.secretAccessKey}`), date);
  for (const part of [o.region, o.service, 'aws4_request']) key = mac(key, part);
  return toHex(mac(key, stringToSign));
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

export function verifySigV4(
  req: SigV4Request,
  lookup: (accessKeyId: string) => SigV4Credential | undefined,
  now: number,
  service = 'kms',
): SigV4Result {
  const headers = new Map(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v ?? '']));
  const authorization = headers.get('authorization');
  if (!authorization) return { ok: false, type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  const incomplete = (missing: string): SigV4Result => ({
    ok: false,
    type: 'IncompleteSignatureException',
    message: `Authorization header requires ${missing}. Authorization=${authorization}`,
  });
  if (!authorization.startsWith(`${ALGORITHM} `)) return incomplete(`the '${ALGORITHM}' algorithm`);
  const fields = new Map(
    authorization
      .slice(ALGORITHM.length + 1)
      .split(',')
      .map((p) => splitOnce(p.trim(), '=')),
  );
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential) return incomplete("'Credential' parameter");
  if (!signedHeaders) return incomplete("'SignedHeaders' parameter");
  if (!signature) return incomplete("'Signature' parameter");
  const [accessKeyId, date, region, svc, terminator] = credential.split('/');
  if (!accessKeyId || !date || !region || svc !== service || terminator !== 'aws4_request') {
    return incomplete(`a well-formed 'Credential' parameter (<key>/<date>/<region>/${service}/aws4_request)`);
  }
  const stamp = headers.get('x-amz-date') ?? '';
  const at = parseAmzDate(stamp);
  if (Number.isNaN(at)) return incomplete("existence of either a 'X-Amz-Date' or a 'Date' header");
  const cred = lookup(accessKeyId);
  if (cred === undefined) return { ok: false, type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  if (now - at > MAX_SKEW_MS) {
    return { ok: false, type: 'InvalidSignatureException', message: `Signature expired: ${stamp} is now earlier than ${amzDate(now - MAX_SKEW_MS)} (${amzDate(now)} - 15 min.)` };
  }
  if (at - now > MAX_SKEW_MS) {
    return { ok: false, type: 'InvalidSignatureException', message: `Signature not yet current: ${stamp} is still later than ${amzDate(now + MAX_SKEW_MS)} (${amzDate(now)} + 15 min.)` };
  }
  const expected = signatureFor(req, { secretAccessKey: cred.secretAccessKey, amzDate: stamp, region, service, signedHeaders: signedHeaders.split(';') });
  // A signed x-amz-content-sha256 stands in for the body in the signature: it must be the body's hash.
  const claimedHash = headers.get('x-amz-content-sha256');
  const bodyMatches = claimedHash === undefined || claimedHash === hex(req.body);
  if (date !== stamp.slice(0, 8) || !bodyMatches || !equalBytes(utf8Encode(expected), utf8Encode(signature))) {
    return {
      ok: false,
      type: 'InvalidSignatureException',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    };
  }
  return cred.principal === undefined ? { ok: true, accessKeyId, region } : { ok: true, accessKeyId, region, principal: cred.principal };
}
