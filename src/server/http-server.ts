/// <reference types="node" />
/**
 * `kmsbox serve`: the wire protocol over node:http on loopback, for the AWS CLI and any AWS SDK
 * (`--endpoint-url http://127.0.0.1:PORT`). Bodies are bounded while they stream in (an
 * oversized one is answered at once and its connection closed); shutdown
 * stops accepting, lets in-flight requests finish, then resolves.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bodyTooLarge, handleWireRequest, type KmsTarget, type WireOptions } from '../protocol/handler.js';

export interface ServeOptions extends Pick<WireOptions, 'verify'> {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: a local KMS is not for the network. */
  host?: string;
  maxBodyBytes?: number;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** Stops accepting connections and resolves once in-flight requests have been answered. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY = 1 << 20;

/**
 * The request body, or `undefined` as soon as it is known to pass `limit`: at once when the
 * Content-Length says so, else when the bytes read pass it. Reading stops then (the request is
 * paused, nothing more is buffered); the caller answers and closes the connection.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && /^\d+$/.test(declared.trim()) && Number(declared) > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.pause();
      chunks.length = 0;
      resolve(undefined);
    };
    req.on('data', onData);
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Answer a body over the limit without reading the rest: `Connection: close`, and once the answer
 * is flushed to the socket the connection is closed, whatever the client is still sending.
 */
function refuseBody(req: IncomingMessage, res: ServerResponse, maxBodyBytes: number): void {
  const response = bodyTooLarge(maxBodyBytes);
  res.shouldKeepAlive = false;
  res.writeHead(response.statusCode, { ...response.headers, 'content-length': String(response.body.length), connection: 'close' });
  res.end(response.body, () => {
    req.unpipe();
    req.destroy();
  });
}

export async function startServer(target: KmsTarget, options: ServeOptions = {}): Promise<RunningServer> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const wire: WireOptions = options.verify === undefined ? {} : { verify: options.verify };
  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const body = await readBody(req, maxBodyBytes);
        if (body === undefined) {
          refuseBody(req, res, maxBodyBytes);
          return;
        }
        const response = await handleWireRequest(target, { method: req.method, path: req.url, headers: flatten(req.headers), body, sourceIp: req.socket.remoteAddress }, { ...wire, maxBodyBytes });
        res.writeHead(response.statusCode, { ...response.headers, 'content-length': String(response.body.length) });
        res.end(response.body);
      } catch {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'KMSInternalException', message: 'kmsbox could not complete the request.' }));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

function flatten(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
