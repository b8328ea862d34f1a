/**
 * AWS Signature Version 4 verification (for `kmsbox serve --credentials`): rebuilds the canonical
 * request and the string to sign exactly as the AWS SDKs and CLI sign them, and compares the
 * signature in constant time. Browser-safe (@noble/hashes), since the protocol layer is.
 *
 * The checks run in AWS's order (dacut/scratchstack-aws-signature, "AWS Auth Error Ordering"):
 * the Authorization header's syntax, the request date, the signed headers, the credential scope,
 * the access key, then the signature. Everything the caller learns (access key, region,
 * principal) comes from the one parse in ./sigv4-authorization.ts.
 *
 * Kept rather than a library: the SDKs' signers (@smithy/signature-v4) sign and presign but do not
 * verify, and a server must answer in AWS's order from one strict parse. The algorithm: "Create a
 * signed AWS API request", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import { backend } from '../crypto/backend/index.js';
import { toHex, utf8Encode } from '../crypto/bytes.js';
import { REGION_NAME } from '../keys/arn.js';
import { parseAuthorizationOf, SIGV4_ALGORITHM, type SigV4Authorization } from './sigv4-authorization.js';

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

export type SigV4ErrorType =
  | 'MissingAuthenticationTokenException'
  | 'IncompleteSignatureException'
  | 'UnrecognizedClientException'
  | 'InvalidSignatureException';

export type SigV4Failure = { ok: false; type: SigV4ErrorType; message: string };

export type SigV4Result = { ok: true; accessKeyId: string; region: string; principal?: string } | SigV4Failure;

/** Who a request says it is from: verified when `principal`/`accessKeyId` came through verifySigV4. */
export type RequestIdentity = { ok: true; accessKeyId?: string; region?: string; principal?: string } | SigV4Failure;

const MAX_SKEW_MS = 15 * 60_000;

const processLike = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
type OneShotHash = (algorithm: 'sha256', data: string | Uint8Array, encoding: 'hex') => string;
/**
 * node:crypto's one-shot `hash` (Node ≥ 20.12) where the runtime has it: a string is hashed as its
 * UTF-8 (lone surrogates as U+FFFD, as TextEncoder writes them) and the hex comes from C++, where
 * the incremental hasher, the encoding and the hex in JavaScript were a third of a verification.
 */
const oneShotHash = (processLike?.getBuiltinModule?.('node:crypto') as { hash?: OneShotHash } | undefined)?.hash;

const hex = (b: Uint8Array | string): string =>
  oneShotHash !== undefined
    ? oneShotHash('sha256', b, 'hex')
    : toHex(
        backend
          .sha256()
          .update(typeof b === 'string' ? utf8Encode(b) : b)
          .digest(),
      );
const mac = (key: Uint8Array, data: string): Uint8Array => backend.hmac('SHA-256', key, utf8Encode(data));

/** Whether two strings are the same, in time that depends on their lengths only (for signatures). */
function equalText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Header names lowercased, once. Names differing only in case are joined with `,` (SigV4's form for a
 * repeated header), so the signature check and the dispatcher can never read different values.
 */
export function lowerCaseHeaders(headers: Readonly<Record<string, string | undefined>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const name = k.toLowerCase();
    const seen = out.get(name);
    out.set(name, seen === undefined ? v : `${seen},${v}`);
  }
  return out;
}

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters (the SDKs' escapeUri). */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The canonical URI. For every service but S3 the SDKs normalize the path (no empty, `.` or `..`
 * segments) and URI-encode it once more (smithy SignatureV4Base.getCanonicalPath). Applied to the path
 * as it arrives on the wire (already encoded once by the client) this is AWS's "double encoding";
 * applied to the test suite's `.req` paths, which are not encoded, it gives the suite's `.creq`.
 */
function canonicalPath(path: string, service: string): string {
  // Every AWS SDK and the CLI post KMS requests to `/`: already canonical.
  if (service === 's3' || path === '/') return path;
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return uriEncode(normalized).replace(/%2F/g, '/');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function canonicalQuery(query: string): string {
  // Stryker disable next-line ConditionalExpression,StringLiteral: '' splits to [''], which the filter drops: the same ''; the line only skips the work
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
    .sort(([a, x], [b, y]) =>
      a < b
        ? -1
        : a > b
          ? 1
          : // Stryker disable next-line EqualityOperator,ConditionalExpression: these differ only for two identical pairs, whose order cannot change the output
            x < y
            ? -1
            : // Stryker disable next-line EqualityOperator,ConditionalExpression: >= and true differ only for identical pairs; false (0 for a greater value) sorted every list tried the same in V8 (up to 300 values of one key), so no test here can tell
              x > y
              ? 1
              : 0,
    )
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** What canonicalValue changes: a line break or tab, two spaces in a row, a space at either end. */
const NOT_CANONICAL = /[\r\n\t]| {2}|^ | $/;

/** A header value as SigV4 signs it: runs of spaces and tabs become one space, none at either end. */
const canonicalValue = (v: string): string =>
  // Values as SDKs send them have nothing to change: one test instead of three replacements.
  !NOT_CANONICAL.test(v)
    ? v
    : v
        .replace(/[\r\n]/g, ' ')
        .replace(/[ \t]+/g, ' ')
        .replace(/^ | $/g, '');

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

/**
 * Headers by lowercase name, as every check here reads them: a Map from lowerCaseHeaders, or the
 * HTTP server's view of node:http's own (lowercased already, read in place).
 */
export interface HeaderLookup {
  get(name: string): string | undefined;
  has(name: string): boolean;
}

/** A request whose header names were lowercased once (lowerCaseHeaders), as every check here reads it. */
export interface LowerCasedRequest {
  method: string;
  path: string;
  headers: HeaderLookup;
  body: Uint8Array | string;
}

const lowerCased = (req: SigV4Request): LowerCasedRequest => ({ ...req, headers: lowerCaseHeaders(req.headers) });

/** The canonical request (SigV4 task 1), exported for the AWS test-suite vectors. */
export function canonicalRequest(req: SigV4Request, signedHeaders: readonly string[], service: string): string {
  return canonicalOf(lowerCased(req), signedHeaders, service);
}

function canonicalOf(req: LowerCasedRequest, signedHeaders: readonly string[], service: string): string {
  const headers = req.headers;
  const [path, query] = splitOnce(req.path === '' ? '/' : req.path, '?');
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${canonicalValue(headers.get(h) ?? '')}\n`).join('');
  const payloadHash = headers.get('x-amz-content-sha256') ?? hex(req.body);
  return [
    req.method.toUpperCase(),
    canonicalPath(path, service),
    canonicalQuery(query),
    canonicalHeaders,
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

/** The string to sign (SigV4 task 2), exported for the AWS test-suite vectors. */
export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [SIGV4_ALGORITHM, amzDate, scope, hex(canonical)].join('\n');
}

/** The signing key of a secret for one day, region and service (SigV4 task 3). */
function deriveSigningKey(secretAccessKey: string, date: string, region: string, service: string): Uint8Array {
  let key = mac(utf8Encode(`AWS4${secretAccessKey}`), date);
  for (const part of [region, service, 'aws4_request']) key = mac(key, part);
  return key;
}

/**
 * The last signing key derived for each credential, with the secret and scope it was derived from:
 * four HMACs saved on every request but the first of a day. Checked against the credential's secret
 * as the lookup returns it now (a rotated secret derives anew), and nothing is decided from it but
 * the expected signature, which the same inputs always give (the AWS SDK signers keep such a cache).
 */
const signingKeys = new WeakMap<SigV4Credential, { secret: string; scope: string; key: Uint8Array }>();

function signingKeyOf(credential: SigV4Credential, date: string, region: string, service: string): Uint8Array {
  const scope = `${date}/${region}/${service}`;
  const cached = signingKeys.get(credential);
  if (cached !== undefined && cached.secret === credential.secretAccessKey && cached.scope === scope) return cached.key;
  const key = deriveSigningKey(credential.secretAccessKey, date, region, service);
  signingKeys.set(credential, { secret: credential.secretAccessKey, scope, key });
  return key;
}

function signatureWith(
  req: LowerCasedRequest,
  signingKey: Uint8Array,
  o: { amzDate: string; region: string; service: string; signedHeaders: readonly string[] },
): string {
  const sts = stringToSign(
    o.amzDate,
    `${o.amzDate.slice(0, 8)}/${o.region}/${o.service}/aws4_request`,
    canonicalOf(req, o.signedHeaders, o.service),
  );
  return toHex(mac(signingKey, sts));
}

/** The signature SigV4 gives this request under this secret (exported for known-answer tests). */
export function signatureFor(
  req: SigV4Request,
  o: { secretAccessKey: string; amzDate: string; region: string; service: string; signedHeaders: readonly string[] },
): string {
  return signatureWith(lowerCased(req), deriveSigningKey(o.secretAccessKey, o.amzDate.slice(0, 8), o.region, o.service), o);
}

const amzDate = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

let lastIso: { text: string; ms: number | undefined } = { text: '', ms: undefined };

/** `YYYYMMDDTHHMMSSZ` → epoch ms; undefined unless it names a real instant in exactly that form. */
function parseIsoBasic(s: string): number | undefined {
  // Requests of one second carry the same X-Amz-Date: the last answer is reused (a function of the text alone).
  if (s === lastIso.text) return lastIso.ms;
  // Stryker disable next-line Regex: the anchors are re-checked by the round trip below (amzDate(ms) === s refuses anything around the match)
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  const parsed = amzDate(ms) === s ? ms : undefined; // refuses month 13, 30 February, 24:00, years before 100
  lastIso = { text: s, ms: parsed };
  return parsed;
}

/** An HTTP date in IMF-fixdate form (RFC 9110 §5.6.7: `Sun, 06 Nov 1994 08:49:37 GMT`), exactly. */
function parseHttpDate(s: string): number | undefined {
  const ms = Date.parse(s);
  return Number.isNaN(ms) || new Date(ms).toUTCString() !== s ? undefined : ms;
}

const failure = (type: SigV4ErrorType, message: string): SigV4Failure => ({ ok: false, type, message });

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/**
 * The request's time. AWS reads `X-Amz-Date` first and `Date` only without it ("Handling dates in
 * Signature Version 4"); `X-Amz-Date` is ISO 8601 basic, `Date` may also be an HTTP date.
 */
function requestTime(
  headers: HeaderLookup,
  authorization: string,
): { ok: true; at: number; header: 'x-amz-date' | 'date'; value: string; stamp: string } | SigV4Failure {
  const header = headers.has('x-amz-date') ? 'x-amz-date' : headers.has('date') ? 'date' : undefined;
  if (header === undefined) {
    return failure(
      'IncompleteSignatureException',
      `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${authorization}`,
    );
  }
  const value = headers.get(header)!;
  const at = parseIsoBasic(value) ?? (header === 'date' ? parseHttpDate(value) : undefined);
  if (at === undefined)
    return failure(
      'IncompleteSignatureException',
      `Date must be in ISO-8601 'basic format'. Got '${value}'. See http://en.wikipedia.org/wiki/ISO_8601`,
    );
  // The time as the string to sign writes it: an X-Amz-Date is that already (parseIsoBasic checked it).
  return { ok: true, at, header, value, stamp: header === 'x-amz-date' ? value : amzDate(at) };
}

/** How AWS names a header it requires to be signed. */
const REQUIRED_NAME: Readonly<Record<string, string>> = {
  host: "'Host' or ':authority'",
  'x-amz-date': "'X-Amz-Date'",
  date: "'Date'",
  'x-amz-target': "'X-Amz-Target'",
};

/**
 * The headers a signature must cover: `host` (AWS requires it), the date header the request uses, and
 * for KMS `x-amz-target`, which names the operation — kmsbox's own rule: unsigned, a DescribeKey
 * signature could be replayed as DisableKey.
 */
function requiredSignedHeaders(service: string, dateHeader: string): string[] {
  return ['host', dateHeader, ...(service === 'kms' ? ['x-amz-target'] : [])];
}

/** What is wrong with a credential scope, in AWS's words (empty when nothing is). */
function scopeProblems(a: SigV4Authorization, service: string, requestDate?: { stamp: string; value: string }): string[] {
  const problems: string[] = [];
  if (!REGION_NAME.test(a.region)) problems.push(`Credential should be scoped to a valid region, not '${a.region}'.`);
  if (a.service !== service) problems.push(`Credential should be scoped to correct service: '${service}'.`);
  if (a.terminator !== 'aws4_request')
    problems.push(`Credential should be scoped with a valid terminator: 'aws4_request', not '${a.terminator}'.`);
  if (requestDate !== undefined && a.date !== requestDate.stamp.slice(0, 8)) {
    problems.push(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${a.date}' != '${requestDate.stamp.slice(0, 8)}', from '${requestDate.value}'.`,
    );
  }
  return problems;
}

function parsedAuthorization(
  headers: HeaderLookup,
): { ok: true; header: string; authorization: SigV4Authorization } | SigV4Failure | undefined {
  const header = headers.get('authorization');
  if (header === undefined || header === '') return undefined;
  const parsed = parseAuthorizationOf(header);
  return parsed.ok ? { ok: true, header, authorization: parsed.authorization } : parsed;
}

export function verifySigV4(
  req: SigV4Request,
  lookup: (accessKeyId: string) => SigV4Credential | undefined,
  now: number,
  service = 'kms',
): SigV4Result {
  return verifyLowerCased(lowerCased(req), lookup, now, service);
}

function verifyLowerCased(
  req: LowerCasedRequest,
  lookup: (accessKeyId: string) => SigV4Credential | undefined,
  now: number,
  service: string,
): SigV4Result {
  const headers = req.headers;
  const parsed = parsedAuthorization(headers);
  if (parsed === undefined) return failure('MissingAuthenticationTokenException', 'Request is missing Authentication Token');
  if (!parsed.ok) return parsed;
  const auth = parsed.authorization;
  const when = requestTime(headers, parsed.header);
  if (!when.ok) return when;
  const second = now - (now % 1000); // AWS's messages and window are in whole seconds
  if (when.at < second - MAX_SKEW_MS) {
    return failure(
      'InvalidSignatureException',
      `Signature expired: ${amzDate(when.at)} is now earlier than ${amzDate(second - MAX_SKEW_MS)} (${amzDate(second)} - 15 min.)`,
    );
  }
  if (when.at > second + MAX_SKEW_MS) {
    return failure(
      'InvalidSignatureException',
      `Signature not yet current: ${amzDate(when.at)} is still later than ${amzDate(second + MAX_SKEW_MS)} (${amzDate(second)} + 15 min.)`,
    );
  }
  const unsigned = requiredSignedHeaders(service, when.header).find((h) => !auth.signedHeaders.includes(h));
  if (unsigned !== undefined)
    return failure('InvalidSignatureException', `${REQUIRED_NAME[unsigned]!} must be a 'SignedHeader' in the AWS Authorization.`);
  const problems = scopeProblems(auth, service, when);
  if (problems.length > 0) return failure('InvalidSignatureException', problems.join(' '));
  const cred = lookup(auth.accessKeyId);
  // A lookup backed by a plain object answers inherited names ("constructor") with a non-credential.
  if (typeof cred?.secretAccessKey !== 'string' || (cred.principal !== undefined && typeof cred.principal !== 'string')) {
    return failure('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  // A claimed x-amz-content-sha256 stands in for the body in the canonical request: it must be the body's hash.
  const claimedHash = headers.get('x-amz-content-sha256');
  const expected = signatureWith(req, signingKeyOf(cred, when.stamp.slice(0, 8), auth.region, service), {
    amzDate: when.stamp,
    region: auth.region,
    service,
    signedHeaders: auth.signedHeaders,
  });
  if ((claimedHash !== undefined && claimedHash !== hex(req.body)) || !equalText(expected, auth.signature)) {
    return failure('InvalidSignatureException', SIGNATURE_MISMATCH);
  }
  return cred.principal === undefined
    ? { ok: true, accessKeyId: auth.accessKeyId, region: auth.region }
    : { ok: true, accessKeyId: auth.accessKeyId, region: auth.region, principal: cred.principal };
}

/**
 * Who a request is from, by the same parse whether or not signatures are verified. Without `verify`
 * (kmsbox serve without --credentials, the in-process handler) any signature passes, as with
 * LocalStack, but the header must still be well-formed and its scope valid: a request with no
 * Authorization header is anonymous (the default account and region), a malformed one is refused.
 */
export function authenticate(
  req: SigV4Request,
  verify: { credentials: (accessKeyId: string) => SigV4Credential | undefined; now: number } | undefined,
  service = 'kms',
): RequestIdentity {
  return authenticateLowerCased(lowerCased(req), verify, service);
}

/** authenticate, for a request whose headers the caller has lowercased already (the wire handler, once). */
export function authenticateLowerCased(
  req: LowerCasedRequest,
  verify: { credentials: (accessKeyId: string) => SigV4Credential | undefined; now: number } | undefined,
  service = 'kms',
): RequestIdentity {
  if (verify !== undefined) return verifyLowerCased(req, verify.credentials, verify.now, service);
  const parsed = parsedAuthorization(req.headers);
  if (parsed === undefined) return { ok: true };
  if (!parsed.ok) return parsed;
  const problems = scopeProblems(parsed.authorization, service);
  if (problems.length > 0) return failure('InvalidSignatureException', problems.join(' '));
  return { ok: true, accessKeyId: parsed.authorization.accessKeyId, region: parsed.authorization.region };
}
