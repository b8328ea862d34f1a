/**
 * The SigV4 `Authorization` header, parsed once and strictly: everything kmsbox knows about who sent
 * a request (access key, account, region) comes from this parse and nothing else.
 *
 *   AWS4-HMAC-SHA256 Credential=<AKID>/<YYYYMMDD>/<region>/<service>/aws4_request, SignedHeaders=<a;b;c>, Signature=<hex>
 *
 * AWS's wording is kept where AWS has one (IncompleteSignatureException messages as AWS answers them,
 * collected in dacut/scratchstack-aws-signature and mhart/dynalite). AWS itself tolerates a repeated
 * parameter (the last wins) and ignores unknown ones; kmsbox refuses both, since a second
 * `Credential=` is exactly how a forged scope hides next to a signed one.
 *
 * Kept rather than a library for that reason: a lenient parser is the attack surface (see
 * ./sigv4.ts for why no signer library verifies).
 */

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';

export interface SigV4Authorization {
  accessKeyId: string;
  /** The credential scope's date, `YYYYMMDD`. */
  date: string;
  region: string;
  service: string;
  /** `aws4_request` in a well-formed scope (checked with the region and service, not here). */
  terminator: string;
  /** Lowercase, sorted, each once. */
  signedHeaders: readonly string[];
  signature: string;
}

export interface AuthorizationFailure {
  ok: false;
  type: 'IncompleteSignatureException';
  message: string;
}

export type AuthorizationParse = { ok: true; authorization: SigV4Authorization } | AuthorizationFailure;

/** AWS's order in its "requires ... parameter" message. */
const PARAMETERS = ['Credential', 'Signature', 'SignedHeaders'] as const;
type Parameter = (typeof PARAMETERS)[number];

/** IAM's AccessKeyId pattern is `[\w]+` (16 to 128 long); local keys such as `test` are shorter. */
export const ACCESS_KEY_ID = /^\w{1,128}$/;
const SCOPE_DATE = /^\d{8}$/;
/** An HTTP field name (RFC 9110 token) in lowercase. */
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
/** A hex HMAC-SHA256 is 64 characters; a shorter one is well-formed but will not match. */
const SIGNATURE = /^[0-9a-f]{1,64}$/;
/** Parameters are separated by a comma and at most one space, as every AWS SDK and the CLI write them. */
const LAYOUT = /^[^ ,]+(?:, ?[^ ,]+)*$/;

const incomplete = (message: string): AuthorizationFailure => ({ ok: false, type: 'IncompleteSignatureException', message });

const isParameter = (key: string): key is Parameter => (PARAMETERS as readonly string[]).includes(key);

export function parseAuthorization(header: string): AuthorizationParse {
  const space = header.indexOf(' ');
  const algorithm = space < 0 ? header : header.slice(0, space);
  if (algorithm !== SIGV4_ALGORITHM) return incomplete(`Unsupported AWS 'algorithm': '${algorithm}'.`);
  // Stryker disable next-line EqualityOperator: space is never 0 here (a header starting with a space fails the algorithm check)
  const rest = space < 0 ? '' : header.slice(space + 1);
  // Tokens as AWS splits them (on commas and spaces), so its "missing equal-sign" message names the same token.
  // Stryker disable next-line Regex: splitting on single separators only adds empty tokens, which the filter drops
  const tokens = rest.split(/[ ,]+/).filter((t) => t !== '');
  const bare = tokens.find((t) => !t.includes('='));
  if (bare !== undefined)
    return incomplete(`'${bare}' not a valid key=value pair (missing equal-sign) in Authorization header: '${header}'.`);
  if (rest !== '' && !LAYOUT.test(rest))
    return incomplete(`Authorization header parameters must be separated by ', '. Authorization=${header}`);
  const values = new Map<Parameter, string>();
  for (const token of tokens) {
    const eq = token.indexOf('=');
    const key = token.slice(0, eq);
    if (!isParameter(key)) return incomplete(`Authorization header has an unknown parameter '${key}'. Authorization=${header}`);
    if (values.has(key)) return incomplete(`Authorization header has more than one '${key}' parameter. Authorization=${header}`);
    values.set(key, token.slice(eq + 1));
  }
  const missing = PARAMETERS.filter((p) => !values.has(p));
  if (missing.length > 0)
    return incomplete(`${missing.map((p) => `Authorization header requires '${p}' parameter.`).join(' ')} Authorization=${header}`);
  const credential = values.get('Credential')!;
  const scope = credential.split('/');
  if (scope.length !== 5) {
    return incomplete(`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`);
  }
  const [accessKeyId, date, region, service, terminator] = scope as [string, string, string, string, string];
  if (!ACCESS_KEY_ID.test(accessKeyId) || !SCOPE_DATE.test(date) || region === '' || service === '' || terminator === '') {
    return incomplete(
      `Authorization header has a malformed 'Credential' parameter: expected <access key id>/<YYYYMMDD>/<region>/<service>/aws4_request, got '${credential}'.`,
    );
  }
  const signedHeaders = values.get('SignedHeaders')!.split(';');
  if (!signedHeaders.every((h, i) => HEADER_NAME.test(h) && (i === 0 || signedHeaders[i - 1]! < h))) {
    return incomplete(
      `Authorization header has a malformed 'SignedHeaders' parameter: header names must be lowercase, separated by ';', sorted and each listed once, got '${values.get('SignedHeaders')!}'.`,
    );
  }
  const signature = values.get('Signature')!;
  if (!SIGNATURE.test(signature)) {
    return incomplete(`Authorization header has a malformed 'Signature' parameter: expected lowercase hex, got '${signature}'.`);
  }
  return { ok: true, authorization: { accessKeyId, date, region, service, terminator, signedHeaders, signature } };
}

const SIGNATURE_PARAMETER = ', Signature=';
/** Authorization parses by the header's text before `, Signature=`, at most this many (as the Host memo in http-server.ts). */
const PREFIX_MEMO_SIZE = 64;
const parsedPrefixes = new Map<string, SigV4Authorization | null>();

/**
 * parseAuthorization, answering from an earlier parse when it can: a client's headers differ only in
 * their signature, the last parameter, so the parse of everything before it is kept (by its text,
 * at most PREFIX_MEMO_SIZE of them). The parse of `PREFIX, Signature=S` for a well-formed S (hex, no
 * separators) is the parse of `PREFIX, Signature=0` with S in its place: splitting, layout, unknown
 * and repeated parameters see the same tokens, and S passes the one check made of it. Anything else
 * (no such suffix, a malformed S, a prefix that does not parse) goes through the full parse, which
 * writes its message from the header as it is.
 */
export function parseAuthorizationOf(header: string): AuthorizationParse {
  const at = header.lastIndexOf(SIGNATURE_PARAMETER);
  if (at < 0) return parseAuthorization(header);
  const signature = header.slice(at + SIGNATURE_PARAMETER.length);
  if (!SIGNATURE.test(signature)) return parseAuthorization(header);
  const prefix = header.slice(0, at);
  let known = parsedPrefixes.get(prefix);
  if (known === undefined) {
    const probe = parseAuthorization(`${prefix}${SIGNATURE_PARAMETER}0`);
    known = probe.ok ? probe.authorization : null;
    if (parsedPrefixes.size >= PREFIX_MEMO_SIZE) parsedPrefixes.clear();
    parsedPrefixes.set(prefix, known);
  }
  if (known === null) return parseAuthorization(header);
  return { ok: true, authorization: { ...known, signature } };
}

/** The header AWS SDKs write for a parsed authorization (the inverse of parseAuthorization). */
export function formatAuthorization(a: SigV4Authorization): string {
  return `${SIGV4_ALGORITHM} Credential=${a.accessKeyId}/${a.date}/${a.region}/${a.service}/${a.terminator}, SignedHeaders=${a.signedHeaders.join(';')}, Signature=${a.signature}`;
}
