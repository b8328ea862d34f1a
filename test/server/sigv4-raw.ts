// Test helpers: SigV4-signed KMS requests built by hand (signatureFor, checked against AWS's suite in
// test/protocol/sigv4-vectors.test.ts) and a raw HTTP/1.1 client that sends exactly the bytes given.
import { connect } from 'node:net';
import { signatureFor } from '../../src/protocol/sigv4.js';

export const amzDate = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

export interface KmsCall {
  target: string;
  body: string;
  host: string;
  accessKeyId: string;
  secretAccessKey: string;
  region?: string;
  /** Default: content-type;host;x-amz-date;x-amz-target, as the SDKs sign. */
  signedHeaders?: string[];
  at?: number;
  /** Default POST. */
  method?: string;
}

/** The headers of a correctly signed KMS call, the Authorization header last. */
export function signedHeaders(c: KmsCall): Record<string, string> {
  const stamp = amzDate(c.at ?? Date.now());
  const region = c.region ?? 'us-east-1';
  const signed = c.signedHeaders ?? ['content-type', 'host', 'x-amz-date', 'x-amz-target'];
  const headers: Record<string, string> = {
    host: c.host,
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-date': stamp,
    'x-amz-target': `TrentService.${c.target}`,
  };
  const signature = signatureFor(
    { method: c.method ?? 'POST', path: '/', headers, body: c.body },
    { secretAccessKey: c.secretAccessKey, amzDate: stamp, region, service: 'kms', signedHeaders: signed },
  );
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${c.accessKeyId}/${stamp.slice(0, 8)}/${region}/kms/aws4_request, SignedHeaders=${signed.join(';')}, Signature=${signature}`;
  return headers;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One request on its own connection (`Connection: close`), header lines exactly as given. */
export function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Array<[string, string]>,
  body = '',
  version = '1.1',
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer within 10 s'));
    }, 10_000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const out: Record<string, string> = {};
      for (const line of lines) out[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
      resolve({ status: Number(statusLine.split(' ')[1]), headers: out, body: rest.join('\r\n\r\n') });
    });
    socket.on('connect', () => {
      const bytes = Buffer.from(body, 'utf8');
      const lines = [
        `${method} ${path} HTTP/${version}`,
        ...headers.map(([k, v]) => `${k}: ${v}`),
        `Content-Length: ${bytes.length}`,
        'Connection: close',
        '',
        '',
      ];
      socket.write(Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), bytes]));
    });
  });
}

/** The headers of `signedHeaders` as raw header lines, with the Authorization value replaced if asked. */
export function lines(headers: Record<string, string>, authorization?: string): Array<[string, string]> {
  return Object.entries({ ...headers, ...(authorization === undefined ? {} : { authorization }) });
}
