/// <reference types="node" />
/**
 * `kmsbox serve`: the wire protocol over node:http on loopback, for the AWS CLI and any AWS SDK
 * (`--endpoint-url http://127.0.0.1:PORT`). Bodies are bounded while they stream in; shutdown
 * stops accepting, lets in-flight requests finish, then resolves.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
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

/** The request body, or `undefined` once it passes `limit` (the rest is drained, not kept). */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startServer(target: KmsTarget, options: ServeOptions = {}): Promise<RunningServer> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const wire: WireOptions = options.verify === undefined ? {} : { verify: options.verify };
  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const body = await readBody(req, maxBodyBytes);
        const response =
          body === undefined
            ? bodyTooLarge(maxBodyBytes)
            : await handleWireRequest(target, { method: req.method, path: req.url, headers: flatten(req.headers), body, sourceIp: req.socket.remoteAddress }, { ...wire, maxBodyBytes });
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
