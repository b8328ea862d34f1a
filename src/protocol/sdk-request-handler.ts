/**
 * An in-process request handler for the real AWS SDK v3 client: the SDK serializes each command
 * to the wire protocol and parses the answer exactly as it would from AWS, but no socket is
 * opened. `new KMSClient({ region, credentials, requestHandler: createRequestHandler(kms) })`.
 */
import { handleWireRequest, type KmsTarget, type WireOptions } from './wire-handler.js';

/** The parts of the SDK's HttpRequest the protocol reads. */
export interface SdkHttpRequest {
  method: string;
  path?: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

export interface KmsRequestHandler {
  readonly metadata: { handlerProtocol: string };
  handle(request: SdkHttpRequest): Promise<{ response: { statusCode: number; headers: Record<string, string>; body: Uint8Array } }>;
  updateHttpClientConfig(key: string, value: unknown): void;
  httpHandlerConfigs(): Record<string, unknown>;
  destroy(): void;
}

export function createRequestHandler(target: KmsTarget, options: WireOptions = {}): KmsRequestHandler {
  return {
    metadata: { handlerProtocol: 'kmsbox/in-process' },
    async handle(request) {
      const body = typeof request.body === 'string' || request.body instanceof Uint8Array ? request.body : undefined;
      const query = Object.entries(request.query ?? {})
        .flatMap(([k, v]) =>
          (Array.isArray(v) ? v : [v]).map((x) =>
            x === null ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(x)}`,
          ),
        )
        .join('&');
      const path = `${request.path ?? '/'}${query ? `?${query}` : ''}`;
      const response = await handleWireRequest(target, { method: request.method, path, headers: request.headers, body }, options);
      return { response };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
    destroy() {},
  };
}
