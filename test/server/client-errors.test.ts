// Requests Node's HTTP parser refuses before kmsbox sees them (raw bytes over 127.0.0.1): each
// answered as a typed AWS error (x-amzn-errortype and a JSON body, as every other error of this
// endpoint), with the status Node gave it, and the connection closed. Found attacking the server:
// these were bare `HTTP/1.1 400 Bad Request` (or 408, 431) answers with no error type or body.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kms } from 'kmsbox';
import { startServer, type RunningServer } from 'kmsbox/node';

interface Answer {
  statusLine: string;
  headers: Record<string, string>;
  body: string;
}

/** Sends `bytes` on a new connection; the answer once the server closes it (bounded: 10 s). */
function exchange(port: number, bytes: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open; so far: ${Buffer.concat(chunks).toString('latin1')}`));
    }, 10_000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
      resolve({ statusLine, headers, body: rest.join('\r\n\r\n') });
    });
    socket.on('connect', () => socket.write(bytes));
  });
}

const TARGET = 'Host: 127.0.0.1\r\nX-Amz-Target: TrentService.ListKeys\r\nContent-Type: application/x-amz-json-1.1\r\n';

describe('requests the HTTP parser refuses get typed AWS errors', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(new Kms(), { headersTimeoutMs: 300, requestTimeoutMs: 600 });
  });
  afterAll(() => server.close());

  const expectTyped = (a: Answer, statusLine: string, type: string) => {
    expect(a.statusLine).toBe(statusLine);
    expect(a.headers['x-amzn-errortype']).toBe(type);
    expect(a.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(a.headers.connection).toBe('close');
    expect(a.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(a.headers['content-length'])).toBe(Buffer.byteLength(a.body));
    const body = JSON.parse(a.body) as { __type: string; message: string };
    expect(body.__type).toBe(type);
    expect(body.message.length).toBeGreaterThan(0);
    // Nothing internal: no stack frame, no path of this machine.
    expect(a.body).not.toMatch(/ at |\/work\/|node:|\.ts/);
    return body.message;
  };

  it.each([
    [
      'an obs-folded header line',
      `POST / HTTP/1.1\r\n${TARGET}Authorization: AWS4-HMAC-SHA256\r\n Credential=x\r\nContent-Length: 2\r\n\r\n{}`,
    ],
    ['a NUL byte in a header value', `POST / HTTP/1.1\r\n${TARGET}X-Amz-Date: 2026\u0000\r\nContent-Length: 2\r\n\r\n{}`],
    [
      'Content-Length and Transfer-Encoding together',
      `POST / HTTP/1.1\r\n${TARGET}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
    ],
    ['a Content-Length that is not a number', `POST / HTTP/1.1\r\n${TARGET}Content-Length: 2x\r\n\r\n{}`],
    ['two different Content-Lengths', `POST / HTTP/1.1\r\n${TARGET}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`],
    ['a request line that is not HTTP', 'HELLO\r\n\r\n'],
    ['a space in a header name', `POST / HTTP/1.1\r\n${TARGET}X Amz: 1\r\nContent-Length: 2\r\n\r\n{}`],
  ])('%s: 400 SerializationException, connection closed', async (_, bytes) => {
    const message = expectTyped(await exchange(server.port, bytes), 'HTTP/1.1 400 Bad Request', 'SerializationException');
    expect(message).toMatch(/^The request is not valid HTTP\/1\.1 \(HPE_[A-Z_]+\)\.$/);
  });

  it('headers over the size limit: 431 SerializationException', async () => {
    const bytes = `POST / HTTP/1.1\r\n${TARGET}X-Filler: ${'a'.repeat(20_000)}\r\nContent-Length: 2\r\n\r\n{}`;
    const message = expectTyped(
      await exchange(server.port, bytes),
      'HTTP/1.1 431 Request Header Fields Too Large',
      'SerializationException',
    );
    expect(message).toBe('The request headers are too large.');
  });

  it('headers that never finish: 408 RequestTimeoutException (which the AWS SDKs retry)', async () => {
    const message = expectTyped(
      await exchange(server.port, `POST / HTTP/1.1\r\n${TARGET}`),
      'HTTP/1.1 408 Request Timeout',
      'RequestTimeoutException',
    );
    expect(message).toBe('The request did not arrive in time.');
  });

  it('a body that stops short: 408 RequestTimeoutException', async () => {
    expectTyped(
      await exchange(server.port, `POST / HTTP/1.1\r\n${TARGET}Content-Length: 10\r\n\r\n{}`),
      'HTTP/1.1 408 Request Timeout',
      'RequestTimeoutException',
    );
  });

  it('garbage after a request in the same write: a typed 400, and the connection closed', async () => {
    // Node's parser fails on the garbage before the first request was answered; that answer is not sent (as with Node's own 400).
    const good = `POST / HTTP/1.1\r\n${TARGET}Content-Length: 2\r\n\r\n{}`;
    expectTyped(await exchange(server.port, `${good}GARBAGE\r\n\r\n`), 'HTTP/1.1 400 Bad Request', 'SerializationException');
  });

  it('an Expect other than 100-continue: 417 SerializationException, the request not run', async () => {
    const bytes = `POST / HTTP/1.1\r\n${TARGET}Expect: 200-ok\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`;
    const message = expectTyped(await exchange(server.port, bytes), 'HTTP/1.1 417 Expectation Failed', 'SerializationException');
    expect(message).toBe("The request's Expect header is not 100-continue.");
  });

  it('Expect: 100-continue is honoured', async () => {
    const a = await exchange(
      server.port,
      `POST / HTTP/1.1\r\n${TARGET}Expect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    );
    expect(a.statusLine).toBe('HTTP/1.1 100 Continue');
    expect(a.body).toContain('HTTP/1.1 200 OK');
  });

  it('leaves no connection open', async () => {
    await expect.poll(() => server.connections(), { timeout: 10_000 }).toBe(0);
  });
});
