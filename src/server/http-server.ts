/// <reference types="node" />
/**
 * `kmsbox serve`: the wire protocol over node:http on loopback, for the AWS CLI and any AWS SDK
 * (`--endpoint-url http://127.0.0.1:PORT`). Bodies are bounded while they stream in (an
 * oversized one is answered at once and its connection closed); slow and idle clients are cut
 * by the limits in SERVE_DEFAULTS; shutdown stops accepting, lets in-flight requests finish,
 * then resolves.
 *
 * node:http rather than a framework: one POST route, and the timeouts and connection caps are node:http's
 * own server options (https://nodejs.org/api/http.html#class-httpserver); a framework would add only dependencies.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ValidationException } from '../errors.js';
import {
  bodyTooLarge,
  DEFAULT_MAX_BODY,
  handleLowerCased,
  internalError,
  wireError,
  type KmsTarget,
  type WireOptions,
  type WireResponse,
} from '../protocol/wire-handler.js';
import type { HeaderLookup } from '../protocol/sigv4.js';

export interface ServeOptions extends Pick<WireOptions, 'verify' | 'onInternalError'> {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: a local KMS is not for the network. */
  host?: string;
  maxBodyBytes?: number;
  /** Connections open at once; more are closed as soon as they are accepted. */
  maxConnections?: number;
  /** Time allowed for a request's headers to arrive, from its first byte (answered 408 after). */
  headersTimeoutMs?: number;
  /** Time allowed for a whole request, headers and body, to arrive (answered 408 after). */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection is kept after a response. */
  keepAliveTimeoutMs?: number;
  /** Requests served on one connection before it is closed (the last answer says `Connection: close`). */
  maxRequestsPerConnection?: number;
  /** A connection on which nothing moves for this long is closed (not while a request is being handled). */
  idleTimeoutMs?: number;
  /**
   * Host names, besides the loopback ones, that a server listening on a loopback address answers
   * for (see hostAllowed). Default none.
   */
  allowedHosts?: readonly string[];
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** Connections open now (for monitoring, and for tests that check abusive ones were closed). */
  connections(): Promise<number>;
  /** Stops accepting connections and resolves once in-flight requests have been answered. */
  close(): Promise<void>;
}

/**
 * The limits `startServer` applies unless told otherwise, chosen for a local endpoint: a client on
 * the same host sends a whole request (at most `maxBodyBytes`, 1 MiB) in milliseconds, so
 * seconds are generous even on a loaded machine, while a client that trickles headers
 * (slowloris) or stops mid-body holds a connection and its buffered bytes only that long. Node's
 * own defaults (60 s for headers, 300 s for a request, no cap on connections) suit the open
 * internet, not a loopback KMS. At most `maxConnections` × `maxBodyBytes` (128 MiB) of request
 * bodies are buffered at once.
 */
export const SERVE_DEFAULTS = {
  /** The AWS SDK for JavaScript opens at most 50 sockets per client: room for two busy clients and a CLI. */
  maxConnections: 128,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  /** Node's default: SDK clients reuse a connection between calls. */
  keepAliveTimeoutMs: 5_000,
  /** A keep-alive connection is recycled now and then; a client just opens the next one. */
  maxRequestsPerConnection: 1000,
  /** Longer than the other timeouts: it catches a connection they do not (one that never sends a byte). */
  idleTimeoutMs: 30_000,
} as const;

type Limits = { -readonly [K in keyof typeof SERVE_DEFAULTS]: number };

/** The options' limits, or a ValidationException naming the first that is not a positive integer or is inconsistent. */
function limitsOf(options: ServeOptions): Limits {
  const limits = { ...SERVE_DEFAULTS } as Limits;
  for (const name of Object.keys(SERVE_DEFAULTS) as Array<keyof Limits>) {
    const value = options[name];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1)
      throw new ValidationException({ message: `${name} must be a positive integer, not ${String(value)}.` });
    limits[name] = value;
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ValidationException({
      message: `headersTimeoutMs (${limits.headersTimeoutMs}) must not exceed requestTimeoutMs (${limits.requestTimeoutMs}).`,
    });
  }
  return limits;
}

type BodyResult = { body: Uint8Array } | { tooLarge: true } | { aborted: true };

/**
 * The request body; `tooLarge` as soon as it is known to pass `limit` (at once when the
 * Content-Length says so, else when the bytes read pass it: reading stops, nothing more is
 * buffered, and the caller answers and closes the connection); `aborted` when the connection
 * closes first (a request timeout, a client gone), with every buffered chunk released.
 */
function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && /^\d+$/.test(declared.trim()) && Number(declared) > limit) return Promise.resolve({ tooLarge: true });
  return new Promise((resolve) => {
    let chunks: Buffer[] = [];
    let size = 0;
    const settle = (result: BodyResult): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onGone);
      req.off('error', onGone);
      chunks = [];
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.pause();
      settle({ tooLarge: true });
    };
    // One chunk (a small request's body) is used as it is: node:http hands each chunk over as its own.
    const onEnd = (): void => settle({ body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    const onGone = (): void => settle({ aborted: true });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onGone);
    req.on('error', onGone);
  });
}

/**
 * Answer a request without reading (the rest of) its body — one over the limit, for another host,
 * with an unknown Expect: `Connection: close`, and once the answer is flushed to the socket the
 * connection is closed, whatever the client is still sending.
 */
function refuse(req: IncomingMessage, res: ServerResponse, response: WireResponse): void {
  res.shouldKeepAlive = false;
  res.writeHead(response.statusCode, { ...response.headers, 'content-length': String(response.body.length), connection: 'close' });
  res.end(response.body, () => {
    req.unpipe();
    req.destroy();
  });
}

const LOOPBACK_IPV4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** A name or address only this machine answers to: 127.0.0.0/8, ::1, localhost and *.localhost (RFC 6761 §6.3). */
function isLoopbackName(hostname: string): boolean {
  return LOOPBACK_IPV4.test(hostname) || hostname === '[::1]' || hostname === 'localhost' || hostname.endsWith('.localhost');
}

/**
 * Whether a request's Host names this server. A web page can re-resolve its own name to 127.0.0.1
 * (DNS rebinding) and, same-origin with it then, call a loopback server from the user's browser
 * and read the answers; its requests still say `Host: evil.example`. So a server listening on a
 * loopback address answers only a loopback Host or one of `allowedHosts` (as webpack-dev-server's
 * allowedHosts and Jupyter's local_hostnames do). Listening elsewhere, it is on the network
 * by the operator's choice, and any Host is answered.
 */
function hostAllowed(host: string | undefined, listenHost: string, allowed: ReadonlySet<string>): boolean {
  const listening = hostnameOf(listenHost);
  if (listening === undefined || !isLoopbackName(listening)) return true;
  const hostname = host === undefined ? undefined : hostnameOf(host);
  return hostname !== undefined && (isLoopbackName(hostname) || allowed.has(hostname));
}

/** Host headers remembered by hostCheck, at most: a client sends one, a hostile one any number. */
const HOST_MEMO_SIZE = 64;

/**
 * hostAllowed for one server, remembering its answers: it is a function of the Host header alone
 * (the listen address and allowedHosts are fixed when the server starts), and parsing the header as
 * a URL was a tenth of kmsbox's own work per request (bench/server.ts). Past HOST_MEMO_SIZE names
 * it starts over, so a client sending endless names costs memory for 64 of them.
 */
function hostCheck(listenHost: string, allowed: ReadonlySet<string>): (host: string | undefined) => boolean {
  const memo = new Map<string, boolean>();
  return (host) => {
    if (host === undefined) return hostAllowed(host, listenHost, allowed);
    let answer = memo.get(host);
    if (answer === undefined) {
      answer = hostAllowed(host, listenHost, allowed);
      if (memo.size >= HOST_MEMO_SIZE) memo.clear();
      memo.set(host, answer);
    }
    return answer;
  };
}

/** The host name of a Host header or listen address, lowercased and normalized (`[::1]` for IPv6); undefined if it is not one. */
function hostnameOf(host: string): string | undefined {
  const authority = host.includes(':') && !host.startsWith('[') && host.indexOf(':') !== host.lastIndexOf(':') ? `[${host}]` : host;
  if (!/^[\w.\-[\]:]+$/.test(authority)) return undefined;
  try {
    const url = new URL(`http://${authority}`);
    return url.username === '' && url.pathname === '/' ? url.hostname : undefined;
  } catch {
    return undefined;
  }
}

/** The answer to a request for another host (its body is not read). */
const otherHost = (host: string | undefined): WireResponse =>
  wireError(
    400,
    'AccessDeniedException',
    `kmsbox serve answers only requests for a loopback host (127.0.0.1, [::1], localhost) or one of its allowedHosts, not '${host ?? ''}' (a web page must not reach it by DNS rebinding).`,
  );

/** A server fault, for the operator: the request id the caller got, the message, and its cause's. */
function logInternalError(requestId: string, error: Error): void {
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  console.error(`kmsbox: request ${requestId}: ${error.name}: ${error.message}${cause}`);
}

/** How a request Node's HTTP parser refused is answered: its status, the AWS error type, a message. */
function clientErrorAnswer(code: string | undefined): [status: number, reason: string, type: string, message: string] {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return [408, 'Request Timeout', 'RequestTimeoutException', 'The request did not arrive in time.'];
  if (code === 'HPE_HEADER_OVERFLOW')
    return [431, 'Request Header Fields Too Large', 'SerializationException', 'The request headers are too large.'];
  const reason = code !== undefined && /^HPE_[A-Z_]+$/.test(code) ? ` (${code})` : '';
  return [400, 'Bad Request', 'SerializationException', `The request is not valid HTTP/1.1${reason}.`];
}

/**
 * Node answers a request its parser refuses (bad framing, a header too large, a timeout) with a
 * bare status line; here it gets what every other error of this endpoint has, a typed AWS error
 * (RequestTimeoutException is one the AWS SDKs retry). As in Node's own handler, only a connection
 * that has sent nothing yet is answered, and the connection is closed either way.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable || (socket as Socket).bytesWritten > 0) {
    socket.destroy();
    return;
  }
  const [status, reason, type, message] = clientErrorAnswer(error.code);
  const body = JSON.stringify({ __type: type, message });
  const head = [
    `HTTP/1.1 ${status} ${reason}`,
    'Content-Type: application/x-amz-json-1.1',
    `x-amzn-RequestId: ${globalThis.crypto.randomUUID()}`,
    `x-amzn-ErrorType: ${type}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy());
}

export async function startServer(target: KmsTarget, options: ServeOptions = {}): Promise<RunningServer> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const limits = limitsOf(options);
  const wire: WireOptions = {
    maxBodyBytes,
    ...(options.verify === undefined ? {} : { verify: options.verify }),
    // The detail of a server fault the caller is not shown: for the operator, by request id.
    onInternalError: options.onInternalError ?? logInternalError,
  };
  const servedOn = new WeakMap<Socket, number>();
  const listenHost = options.host ?? '127.0.0.1';
  const allowedHosts = new Set((options.allowedHosts ?? []).map((h) => hostnameOf(h) ?? h.toLowerCase()));
  const forThisServer = hostCheck(listenHost, allowedHosts);
  const server: Server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks the two request timeouts only this often (30 s by default): a fraction of the
      // shorter one, so a slow request is cut within about 1.5 times its timeout.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 2))),
    },
    (req, res) => {
      void (async () => {
        try {
          if (!forThisServer(req.headers.host)) {
            refuse(req, res, otherHost(req.headers.host));
            return;
          }
          const read = await readBody(req, maxBodyBytes);
          if ('aborted' in read) return;
          if ('tooLarge' in read) {
            refuse(req, res, bodyTooLarge(maxBodyBytes));
            return;
          }
          // The idle timeout is for a silent client, not for a slow operation (an RSA key pair):
          // off while the request is handled; after the answer, Node's keep-alive timeout applies.
          req.socket.setTimeout(0);
          // Node 20 says `Connection: close` on the last allowed request but keeps the socket open
          // until the keep-alive timeout; not keeping it alive closes it once the answer is sent.
          const served = (servedOn.get(req.socket) ?? 0) + 1;
          servedOn.set(req.socket, served);
          if (served >= limits.maxRequestsPerConnection) res.shouldKeepAlive = false;
          const response = await handleLowerCased(
            target,
            { method: req.method, path: req.url, body: read.body, sourceIp: req.socket.remoteAddress },
            new NodeHeaders(req.headers),
            wire,
          );
          // The JSON text as it is: node:http writes head and text in one write, encoding on the way.
          const headers = response.headers;
          headers['content-length'] = String(Buffer.byteLength(response.text));
          res.writeHead(response.statusCode, headers);
          res.end(response.text);
        } catch {
          // A half-sent answer cannot be mended: the connection goes.
          if (res.headersSent) {
            res.destroy();
            return;
          }
          const response = internalError();
          res.writeHead(response.statusCode, { ...response.headers, 'content-length': String(response.body.length) });
          res.end(response.body);
        }
      })();
    },
  );
  server.on('clientError', answerClientError);
  // Node answers any Expect but 100-continue with a bare 417: typed here, the request not run.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) =>
    refuse(req, res, wireError(417, 'SerializationException', "The request's Expect header is not 100-continue.")),
  );
  // Past the cap, Node closes a new connection as soon as it is accepted (before any byte is read).
  server.maxConnections = limits.maxConnections;
  server.maxRequestsPerSocket = limits.maxRequestsPerConnection;
  // With no 'timeout' listener, Node destroys a socket that stays silent this long.
  server.setTimeout(limits.idleTimeoutMs);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, listenHost, () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    port,
    connections: () =>
      new Promise<number>((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count)))),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

/**
 * node:http's headers (names lowercased, each once; a repeated Set-Cookie as a list) as the wire
 * handler reads them, in place rather than copied into a Map per request. Own members only: a
 * name the caller chooses (SignedHeaders=constructor) must not find Object.prototype's.
 */
class NodeHeaders implements HeaderLookup {
  readonly #headers: IncomingMessage['headers'];
  constructor(headers: IncomingMessage['headers']) {
    this.#headers = headers;
  }
  get(name: string): string | undefined {
    if (!Object.hasOwn(this.#headers, name)) return undefined;
    const v = this.#headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  }
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }
}
