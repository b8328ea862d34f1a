// startServer's connection limits (issue 11 §2), each seen from a raw client on 127.0.0.1: the
// options are validated, and every limit closes what it should. The timeouts are set small and the
// test waits for outcomes with generous bounds, never asserting how fast.
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Kms, ValidationException } from 'kmsbox';
import { startServer, type ServeOptions } from 'kmsbox/node';
import { SERVE_DEFAULTS } from '../../src/server/http-server.js';

const BOUND_MS = 30_000;

/** A raw connection that records what the server sends and resolves `closed` when the server closes it. */
function open(port: number): { socket: Socket; received: () => string; closed: Promise<boolean> } {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const closed = new Promise<boolean>((resolve) => {
    socket.on('close', () => resolve(true));
    timer = setTimeout(() => resolve(false), BOUND_MS);
  }).finally(() => clearTimeout(timer));
  return { socket, received: () => text, closed };
}

const request =
  'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: TrentService.ListKeys\r\nContent-Length: 2\r\n\r\n{}';

describe('startServer limits', () => {
  it('defaults suit a local endpoint and are documented', () => {
    expect(SERVE_DEFAULTS).toEqual({
      maxConnections: 128,
      headersTimeoutMs: 5000,
      requestTimeoutMs: 10000,
      keepAliveTimeoutMs: 5000,
      maxRequestsPerConnection: 1000,
      idleTimeoutMs: 30000,
    });
  });

  it.each([
    [{ maxConnections: 0 }, 'maxConnections must be a positive integer, not 0'],
    [{ headersTimeoutMs: -1 }, 'headersTimeoutMs must be a positive integer, not -1'],
    [{ requestTimeoutMs: 1.5 }, 'requestTimeoutMs must be a positive integer, not 1.5'],
    [{ keepAliveTimeoutMs: Number.NaN }, 'keepAliveTimeoutMs must be a positive integer, not NaN'],
    [{ maxRequestsPerConnection: Infinity }, 'maxRequestsPerConnection must be a positive integer, not Infinity'],
    [{ idleTimeoutMs: '5' as unknown as number }, 'idleTimeoutMs must be a positive integer, not 5'],
    [{ headersTimeoutMs: 2001, requestTimeoutMs: 2000 }, 'headersTimeoutMs (2001) must not exceed requestTimeoutMs (2000)'],
  ] as Array<[ServeOptions, string]>)('refuses %j', async (options, message) => {
    const refused = startServer(new Kms(), options);
    await expect(refused).rejects.toBeInstanceOf(ValidationException);
    await expect(refused).rejects.toThrow(`${message}.`);
  });

  it('takes equal headers and request timeouts, and 1 for every limit', async () => {
    const equal = await startServer(new Kms(), { headersTimeoutMs: 10_000 });
    await equal.close();
    const ones = await startServer(new Kms(), {
      maxConnections: 1,
      headersTimeoutMs: 1,
      requestTimeoutMs: 1,
      keepAliveTimeoutMs: 1,
      maxRequestsPerConnection: 1,
      idleTimeoutMs: 1,
    });
    await ones.close();
  });

  it('answers a request whose headers never finish with 408 and closes it (headersTimeoutMs)', async () => {
    const server = await startServer(new Kms(), { headersTimeoutMs: 500, requestTimeoutMs: 1000 });
    const c = open(server.port);
    c.socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    expect(await c.closed).toBe(true);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(await server.connections()).toBe(0);
    await server.close();
  });

  it('answers a body that stops short with 408 and closes it (requestTimeoutMs)', async () => {
    const server = await startServer(new Kms(), { headersTimeoutMs: 500, requestTimeoutMs: 1000 });
    const c = open(server.port);
    c.socket.write(request.replace('Content-Length: 2', 'Content-Length: 100').replace(/\{\}$/, '{"Limit": 5'));
    expect(await c.closed).toBe(true);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    await server.close();
  });

  it('closes a connection that never sends a byte (idleTimeoutMs), and an idle keep-alive one (keepAliveTimeoutMs)', async () => {
    const server = await startServer(new Kms(), { idleTimeoutMs: 500, keepAliveTimeoutMs: 500 });
    const silent = open(server.port);
    const served = open(server.port);
    served.socket.write(request);
    expect(await silent.closed).toBe(true);
    expect(await served.closed).toBe(true);
    expect(served.received()).toMatch(/^HTTP\/1\.1 200 [\s\S]*Connection: keep-alive/);
    await server.close();
  });

  it('closes a connection after maxRequestsPerConnection requests, the last answer saying Connection: close', async () => {
    const server = await startServer(new Kms(), { maxRequestsPerConnection: 2 });
    const c = open(server.port);
    c.socket.write(request + request);
    expect(await c.closed).toBe(true);
    const answers = c.received().split(/(?=HTTP\/1\.1 )/);
    expect(answers.map((a) => /^HTTP\/1\.1 (\d+)/.exec(a)?.[1])).toEqual(['200', '200']);
    expect(answers[0]).toMatch(/Connection: keep-alive/);
    expect(answers[1]).toMatch(/Connection: close/);
    await server.close();
  });

  it('turns away connections past maxConnections at once, and serves again when one closes', async () => {
    const server = await startServer(new Kms(), { maxConnections: 2 });
    const a = open(server.port);
    const b = open(server.port);
    await Promise.all([a, b].map((c) => new Promise((r) => c.socket.once('connect', r))));
    // The server has accepted both before the third is refused: wait until it counts them.
    for (let i = 0; i < 300 && (await server.connections()) < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const third = open(server.port);
    third.socket.on('connect', () => third.socket.write(request));
    expect(await third.closed).toBe(true);
    expect(third.received()).toBe('');
    a.socket.destroy();
    for (let i = 0; i < 300 && (await server.connections()) > 1; i++) await new Promise((r) => setTimeout(r, 10));
    const fourth = open(server.port);
    fourth.socket.write(request);
    await new Promise<void>((resolve) => {
      const check = (): void => (fourth.received().includes('"Keys"') ? resolve() : void setTimeout(check, 10));
      check();
    });
    expect(fourth.received()).toMatch(/^HTTP\/1\.1 200 /);
    for (const c of [b, fourth]) c.socket.destroy();
    await server.close();
  });
});
