/**
 * The AWS KMS wire protocol (awsJson1_1, https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html;
 * docs/aws-behaviour.md#wire-protocol): one function from an HTTP-shaped
 * request to an HTTP-shaped response. It runs in any runtime (no Node built-ins); the in-process
 * SDK request handler and the HTTP server are thin shells around it.
 */
import { KMSServiceException } from '../errors.js';
import { Kms } from '../kms.js';
import { methodName, OPERATION_NAMES } from '../api/operations.js';
import type { MetadataBearer } from '../api/shapes.js';
import { utf8Decode, utf8Encode } from '../crypto/bytes.js';
import { decodeInput, outputJson, WireFormatError } from './codec.js';
import { authenticateLowerCased, type HeaderLookup, lowerCaseHeaders, type SigV4Credential } from './sigv4.js';
import { KMS_OPERATIONS } from './wire-shapes.js';
import { REGION_NAME } from '../keys/arn.js';
import { accountOf } from '../policy/evaluate.js';

export interface WireRequest {
  method?: string | undefined;
  /** Path and query as on the request line (for SigV4 verification). Default `/`. */
  path?: string | undefined;
  /** Header names in any case. */
  headers: Readonly<Record<string, string | undefined>>;
  body?: Uint8Array | string | undefined;
  /** The client's address, for the audit trail (the HTTP server sets it). */
  sourceIp?: string | undefined;
  /** Whether it arrived over TLS (aws:SecureTransport). Default: false when sourceIp is set (plain node:http), else unset. */
  secureTransport?: boolean | undefined;
}

export interface WireResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/**
 * Who the request is from: the access key and region of its SigV4 credential scope (verified when
 * signatures are), the verified principal, and for the audit trail where it came from.
 */
export interface RequestScope {
  region?: string;
  accessKeyId?: string;
  /** The verified caller, when signatures are verified and the credential names one. */
  principal?: string;
  /** For the audit trail: the client's address and User-Agent. */
  sourceIp?: string;
  userAgent?: string;
  /** aws:SecureTransport: false for a request that came over plain HTTP. */
  secureTransport?: boolean;
}

/** A Kms (requests naming another region go to `kms.withRegion(region)`), or a function choosing one. */
export type KmsTarget = Kms | ((scope: RequestScope) => Kms);

export interface WireOptions {
  /** Largest request body accepted, in bytes. Default 1 MiB (KMS requests are at most a few hundred KiB). */
  maxBodyBytes?: number;
  /**
   * Verify SigV4 signatures against these credentials (off by default: any signature passes, as
   * with local-kms and LocalStack). A credential's `principal` becomes the caller.
   */
  verify?: { credentials: (accessKeyId: string) => SigV4Credential | undefined; now?: () => number };
  /**
   * Told every server fault, with the request id the caller got: its detail (and `cause`), which the
   * caller may not get (see wireMessage), is for the operator. kmsbox serve writes it to stderr.
   */
  onInternalError?: (requestId: string, error: KMSServiceException) => void;
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'TrentService.';
/** The largest request body read by default (1 MiB), in process and over HTTP. */
export const DEFAULT_MAX_BODY = 1 << 20;

/**
 * A response whose body is still its JSON text. The HTTP server writes the text as it is (node:http
 * encodes it on its way to the socket, in one write with the head), so a request's answer is not
 * encoded to bytes twice; the in-process handler encodes it (toBytes).
 */
export interface WireTextResponse {
  statusCode: number;
  headers: Record<string, string>;
  text: string;
}

function respondText(statusCode: number, requestId: string, body: unknown, errorType?: string): WireTextResponse {
  return respondJson(statusCode, requestId, JSON.stringify(body), errorType);
}

function respondJson(statusCode: number, requestId: string, text: string, errorType?: string): WireTextResponse {
  const headers: Record<string, string> = { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId };
  if (errorType !== undefined) headers['x-amzn-errortype'] = errorType;
  return { statusCode, headers, text };
}

const toBytes = (r: WireTextResponse): WireResponse => ({ statusCode: r.statusCode, headers: r.headers, body: utf8Encode(r.text) });

const INTERNAL_ERROR = 'kmsbox could not complete the request because of an internal error.';

/**
 * The message a caller gets for an exception. kmsbox's own server-fault messages are written for
 * callers ("kmsbox could not …", e.g. whether a change stays after an audit sink failed); another
 * server fault's (a provider's: `Key store /srv/keys.kmsbox cannot be used: …`) may name the
 * operator's files and state, which a caller on the wire has no business reading: it gets the
 * generic message, as AWS's KMSInternalException is; the operator has onInternalError.
 */
function wireMessage(error: KMSServiceException): string | undefined {
  return error.$fault !== 'server' || error.message.startsWith('kmsbox ') ? error.message : undefined;
}

/** An error AWS's front end sends before any operation runs (not a KMS exception class). */
export function wireError(statusCode: number, type: string, message: string): WireResponse {
  return toBytes(wireErrorText(statusCode, type, message));
}

function wireErrorText(statusCode: number, type: string, message: string): WireTextResponse {
  return respondText(statusCode, globalThis.crypto.randomUUID(), { __type: type, message }, type);
}

/** The answer to a failure that is no KMS exception (a bug, a callback that threw): nothing of it is shown. */
export function internalError(): WireResponse {
  return wireError(500, 'KMSInternalException', INTERNAL_ERROR);
}

/** The answer to a body over the limit (also sent by the HTTP server, which stops reading early). */
export function bodyTooLarge(maxBodyBytes: number): WireResponse {
  return toBytes(bodyTooLargeText(maxBodyBytes));
}

const bodyTooLargeText = (maxBodyBytes: number): WireTextResponse =>
  wireErrorText(413, 'SerializationException', `The request body is larger than ${maxBodyBytes} bytes.`);

/**
 * The Kms for a request: the credential scope's region; the verified principal, acting in its own
 * account as in AWS (a caller's ListKeys, aliases and CreateKey are always its own account's);
 * without a principal, the access key as the account when it is 12 digits (LocalStack's convention
 * for several accounts on one endpoint).
 */
function resolve(target: KmsTarget, scope: RequestScope): Kms {
  if (typeof target === 'function') return target(scope);
  let views = VIEWS.get(target);
  if (views === undefined) VIEWS.set(target, (views = { byKey: new Map(), last: undefined }));
  // A client sends the same scope request after request: compared field by field, no key built.
  const last = views.last;
  if (last !== undefined && sameScope(last.scope, scope)) return last.kms;
  const key = scopeKey(scope);
  let kms = views.byKey.get(key);
  if (kms === undefined) {
    kms = viewFor(target, scope);
    if (views.byKey.size >= MAX_VIEWS) views.byKey.clear();
    views.byKey.set(key, kms);
  }
  views.last = { scope, kms };
  return kms;
}

/** Whether two scopes are equal in every field (the fields scopeKey encodes). */
const sameScope = (a: RequestScope, b: RequestScope): boolean =>
  a.region === b.region &&
  a.accessKeyId === b.accessKeyId &&
  a.principal === b.principal &&
  a.sourceIp === b.sourceIp &&
  a.userAgent === b.userAgent &&
  a.secureTransport === b.secureTransport;

/**
 * The views of a Kms made for request scopes, by scope. A view (withRegion, withAccount,
 * withPrincipal) holds nothing but its options and the service's shared state (keys, policies,
 * audit sinks are read at each call), so the view made for an earlier request with the same scope
 * is the view this one would get: one less Kms built per request (a twentieth of kmsbox serve's own
 * work, bench/server.ts). Nothing about keys or permissions is kept. MAX_VIEWS scopes per service;
 * past that it starts over.
 */
const VIEWS = new WeakMap<Kms, { byKey: Map<string, Kms>; last: { scope: RequestScope; kms: Kms } | undefined }>();
const MAX_VIEWS = 256;

/** Every field of a scope, each length-prefixed (an absent one as `-`): two scopes share a key only when equal. */
function scopeKey(scope: RequestScope): string {
  const f = (v: string | undefined): string => (v === undefined ? '-' : `${v.length}:${v}`);
  const secure = scope.secureTransport === undefined ? '-' : scope.secureTransport ? 't' : 'f';
  return `${f(scope.region)}${f(scope.accessKeyId)}${f(scope.principal)}${f(scope.sourceIp)}${f(scope.userAgent)}${secure}`;
}

/** A new view of `target` for a scope (resolve keeps them). */
function viewFor(target: Kms, scope: RequestScope): Kms {
  // Stryker disable next-line LogicalOperator,ConditionalExpression: authenticate (sigv4.ts scopeProblems) already refused any region REGION_NAME does not match, and 'undefined' does not match it (→ false is killed)
  let kms = scope.region !== undefined && REGION_NAME.test(scope.region) ? target.withRegion(scope.region) : target;
  // Stryker disable next-line ConditionalExpression: accountOf(undefined) is undefined as well (→ true is killed)
  const principalAccount = scope.principal === undefined ? undefined : accountOf(scope.principal);
  if (principalAccount !== undefined) kms = kms.withAccount(principalAccount);
  else if (scope.accessKeyId !== undefined && /^\d{12}$/.test(scope.accessKeyId)) kms = kms.withAccount(scope.accessKeyId);
  if (
    scope.principal !== undefined ||
    // Stryker disable next-line ConditionalExpression: a sourceIp always comes with secureTransport (false unless told), the last operand
    scope.sourceIp !== undefined ||
    scope.userAgent !== undefined ||
    scope.secureTransport !== undefined
  ) {
    kms = kms.withPrincipal(scope.principal ?? kms.principal, {
      ...(scope.sourceIp !== undefined ? { sourceIp: scope.sourceIp } : {}),
      ...(scope.userAgent !== undefined ? { userAgent: scope.userAgent } : {}),
      ...(scope.secureTransport !== undefined ? { secureTransport: scope.secureTransport } : {}),
    });
  }
  return kms;
}

type Method = (this: Kms, input: unknown) => Promise<MetadataBearer>;
/** Each implemented operation's Kms method and its name, by operation name. */
const METHODS = new Map<string, { name: string; method: Method }>(
  OPERATION_NAMES.map((operation) => {
    const name = methodName(operation);
    return [operation, { name, method: Kms.prototype[name] as Method }];
  }),
);

/**
 * `kms.invoke(operation, input)`, by the operation's own method when that is what invoke would run:
 * a Kms whose invoke and whose method for this operation are Kms's own (not a subclass's or a
 * stand-in's). Both end in the same call; invoke is an `async` function around it, one promise and
 * two more turns of the microtask queue per request.
 */
function run(kms: Kms, operation: string, input: unknown): Promise<MetadataBearer> {
  const own = METHODS.get(operation);
  if (own !== undefined && kms.invoke === Kms.prototype.invoke && (kms as unknown as Record<string, unknown>)[own.name] === own.method)
    return own.method.call(kms, input);
  return kms.invoke(operation, input);
}

/** Whether a body is empty or whitespace (an operation without input); JSON text starts with `{` at once. */
const isBlank = (text: string): boolean => text.length === 0 || (text.charCodeAt(0) !== 0x7b && text.trim() === '');

/**
 * The order matters: the body is bounded first (a server must bound what it reads), then the request
 * is authenticated (with `verify`, nothing but an authentication error is answered before the
 * signature verified), and only then are the method, the operation and the body looked at.
 */
export async function handleWireRequest(target: KmsTarget, request: WireRequest, options: WireOptions = {}): Promise<WireResponse> {
  return toBytes(await handleLowerCased(target, request, lowerCaseHeaders(request.headers), options));
}

/**
 * handleWireRequest for a caller that has the header names lowercased already, each once (the HTTP
 * server: node:http lowercases them), so that no request's headers are copied twice; the answer's
 * body as its JSON text.
 */
export async function handleLowerCased(
  target: KmsTarget,
  request: Omit<WireRequest, 'headers'>,
  headers: HeaderLookup,
  options: WireOptions,
): Promise<WireTextResponse> {
  const raw = request.body ?? '';
  const size = typeof raw === 'string' ? raw.length * 3 : raw.length; // a string's UTF-8 is at most 3 bytes a unit
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  // Stryker disable next-line ConditionalExpression: bytes over the limit are over it as a string too (String(bytes) is longer than bytes.length); the test only saves the encoding (the other replacements on the line are killed)
  if (size > maxBody && (typeof raw !== 'string' || utf8Encode(raw).length > maxBody)) return bodyTooLargeText(maxBody);
  const body = typeof raw === 'string' ? utf8Encode(raw) : raw;
  const method = request.method ?? 'POST';
  const verify =
    options.verify === undefined ? undefined : { credentials: options.verify.credentials, now: options.verify.now?.() ?? Date.now() };
  // Stryker disable next-line StringLiteral: sigv4.ts canonicalizes an empty path as '/' (canonicalRequest)
  const identity = authenticateLowerCased({ method, path: request.path ?? '/', headers, body }, verify);
  if (!identity.ok) return wireErrorText(400, identity.type, identity.message);
  if (method.toUpperCase() !== 'POST') return wireErrorText(405, 'UnknownOperationException', 'Only POST requests are accepted.');
  const targetHeader = headers.get('x-amz-target');
  const operation = targetHeader?.startsWith(TARGET_PREFIX) ? targetHeader.slice(TARGET_PREFIX.length) : undefined;
  // Stryker disable next-line ConditionalExpression: KMS_OPERATIONS has no undefined; the first test only narrows the type (the other replacements are killed)
  if (operation === undefined || !KMS_OPERATIONS.has(operation)) {
    return wireErrorText(400, 'UnknownOperationException', `Unknown operation ${targetHeader ?? '(no X-Amz-Target)'}.`);
  }
  let input: unknown;
  try {
    // The bytes the signature covered, decoded once: a string body's lone surrogate (signed as U+FFFD) runs as U+FFFD.
    const text = utf8Decode(body);
    const json: unknown = isBlank(text) ? {} : JSON.parse(text);
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new WireFormatError('The request body must be a JSON object.');
    input = decodeInput(json);
  } catch (error) {
    const message = error instanceof WireFormatError ? error.message : 'The request body is not valid JSON.';
    return wireErrorText(400, 'SerializationException', message);
  }
  const scope: RequestScope = {};
  if (identity.region !== undefined) scope.region = identity.region;
  if (identity.accessKeyId !== undefined) scope.accessKeyId = identity.accessKeyId;
  if (identity.principal !== undefined) scope.principal = identity.principal;
  if (request.sourceIp !== undefined) scope.sourceIp = request.sourceIp;
  const secure = request.secureTransport ?? (request.sourceIp !== undefined ? false : undefined);
  if (secure !== undefined) scope.secureTransport = secure;
  const userAgent = headers.get('user-agent');
  if (userAgent !== undefined) scope.userAgent = userAgent.slice(0, 256);
  try {
    const output = await run(resolve(target, scope), operation, input);
    return respondJson(200, output.$metadata.requestId ?? globalThis.crypto.randomUUID(), outputJson(output));
  } catch (error) {
    if (error instanceof KMSServiceException) {
      const status = error.$metadata.httpStatusCode ?? (error.$fault === 'server' ? 500 : 400);
      const requestId = error.$metadata.requestId ?? globalThis.crypto.randomUUID();
      if (error.$fault === 'server') options.onInternalError?.(requestId, error);
      return respondText(status, requestId, { __type: error.name, message: wireMessage(error) ?? INTERNAL_ERROR }, error.name);
    }
    return wireErrorText(500, 'KMSInternalException', INTERNAL_ERROR);
  }
}
