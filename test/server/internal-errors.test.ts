// What a caller of kmsbox serve learns from a server fault. Found attacking the server: with a
// key-store file that broke under it (corrupted, locked, unreadable), every request answered
// KMSInternalException with the store's path and its backup's (`Key store /srv/…/keys.kmsbox cannot
// be used: …; the previous generation is in …bak`). Now the caller gets AWS's kind of message and
// the request id; the operator gets the detail, by request id, from the server (onInternalError,
// stderr for kmsbox serve).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleWireRequest, Kms, KMSInternalException } from 'kmsbox';
import { FileProvider, startServer, type RunningServer } from 'kmsbox/node';
import { utf8Decode } from '../../src/crypto/bytes.js';
import { tempDir } from '../providers/file-fixtures.js';
import { rawRequest } from './sigv4-raw.js';

const GENERIC = 'kmsbox could not complete the request because of an internal error.';

describe('a server fault over the wire', () => {
  let server: RunningServer;
  let path: string;
  const logged: Array<{ requestId: string; message: string }> = [];
  const send = (target: string, body = '{}') =>
    rawRequest(
      server.port,
      'POST',
      '/',
      [
        ['host', '127.0.0.1'],
        ['x-amz-target', `TrentService.${target}`],
      ],
      body,
    );

  beforeAll(async () => {
    const dir = tempDir();
    path = join(dir, 'keys.kmsbox');
    const kms = new Kms({ provider: new FileProvider({ path, passphrase: 'correct horse' }) });
    await kms.createKey({});
    await kms.createKey({}); // a second write leaves a .bak, which the message names too
    server = await startServer(kms, { onInternalError: (requestId, error) => logged.push({ requestId, message: error.message }) });
  });
  afterAll(() => server.close());

  it('a client fault is answered as it was raised (the caller needs its words; before the store breaks)', async () => {
    const r = await send('DescribeKey', '{"KeyId":"alias/none"}');
    expect(r.headers['x-amzn-errortype']).not.toBe('KMSInternalException');
    expect(JSON.parse(r.body).message.length).toBeGreaterThan(0);
  });
  it('names no file of the server: the caller gets the generic message and the request id', async () => {
    writeFileSync(path, readFileSync(path).subarray(0, 20));
    for (const target of ['ListKeys', 'CreateKey']) {
      const r = await send(target);
      expect([r.status, r.headers['x-amzn-errortype']]).toEqual([500, 'KMSInternalException']);
      expect(JSON.parse(r.body)).toEqual({ __type: 'KMSInternalException', message: GENERIC });
      expect(r.body).not.toContain(path);
      // The operator's log has the detail under the same request id.
      const entry = logged.at(-1)!;
      expect(entry.requestId).toBe(r.headers['x-amzn-requestid']);
      expect(entry.message).toContain(`Key store ${path} cannot be used`);
    }
  });
});

describe("kmsbox's own server-fault messages are written for callers and kept", () => {
  it('a failed audit sink: the message says whether the change stays', async () => {
    const kms = new Kms({
      audit: () => {
        throw new Error('disk full at /var/log/kms-audit.jsonl');
      },
    });
    const seen: Array<[string, unknown]> = [];
    const r = await handleWireRequest(
      kms,
      { headers: { 'x-amz-target': 'TrentService.CreateKey' }, body: '{}' },
      { onInternalError: (id, e) => seen.push([id, (e.cause as Error).message]) },
    );
    // The operator is told the cause, under the caller's request id.
    expect(seen).toEqual([[r.headers['x-amzn-requestid'], 'disk full at /var/log/kms-audit.jsonl']]);
    expect(r.statusCode).toBe(500);
    const body = JSON.parse(utf8Decode(r.body)) as { __type: string; message: string };
    expect(body).toEqual({
      __type: 'KMSInternalException',
      message:
        'kmsbox could not record the audit event for this request. The change the request made has been applied and stays in effect.',
    });
  });

  it("a provider's own KMSInternalException message is replaced, and reported to onInternalError", async () => {
    const seen: string[] = [];
    const failing = (() => {
      throw new KMSInternalException({ message: 'HSM slot 3 at /dev/hsm0 is gone' });
    }) as unknown as () => Kms;
    const r = await handleWireRequest(
      failing,
      { headers: { 'x-amz-target': 'TrentService.ListKeys' }, body: '{}' },
      { onInternalError: (id, e) => seen.push(`${id} ${e.message}`) },
    );
    expect(JSON.parse(utf8Decode(r.body))).toEqual({ __type: 'KMSInternalException', message: GENERIC });
    expect(seen).toEqual([`${r.headers['x-amzn-requestid']} HSM slot 3 at /dev/hsm0 is gone`]);
  });
});

describe('kmsbox serve reports server faults on stderr', () => {
  it('an audit log that cannot be written: the caller is told the call failed, the operator why, under its request id', async () => {
    const { spawn } = await import('node:child_process');
    const { mkdirSync, rmSync } = await import('node:fs');
    const dir = tempDir();
    const log = join(dir, 'audit.jsonl');
    const root = new URL('../..', import.meta.url).pathname;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--port', '0', '--audit-log', log], { cwd: root });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(d.toString());
          if (m) resolve(Number(m[1]));
        });
        void exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      rmSync(log, { force: true });
      mkdirSync(log); // appending to it now fails with EISDIR
      const r = await rawRequest(
        port,
        'POST',
        '/',
        [
          ['host', '127.0.0.1'],
          ['x-amz-target', 'TrentService.ListKeys'],
        ],
        '{}',
      );
      expect(JSON.parse(r.body)).toEqual({
        __type: 'KMSInternalException',
        message: 'kmsbox could not record the audit event for this request.',
      });
      await expect
        .poll(() => stderr, { timeout: 10_000 })
        .toContain(
          `kmsbox: request ${r.headers['x-amzn-requestid']}: KMSInternalException: kmsbox could not record the audit event for this request. (EISDIR`,
        );
      expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});

describe('a request whose handling throws outside the KMS API', () => {
  it('is still a typed KMSInternalException (x-amzn-errortype, request id), with nothing of the error in it', async () => {
    const failing = (() => {
      throw new KMSInternalException({ message: 'provider down' });
    }) as unknown as () => Kms;
    // The operator's logger throws: the handler's own answer cannot be made, the server's catch-all answers.
    const server = await startServer(failing, {
      onInternalError: () => {
        throw new TypeError('logger is down at /opt/logger/index.js');
      },
    });
    try {
      const r = await rawRequest(
        server.port,
        'POST',
        '/',
        [
          ['host', '127.0.0.1'],
          ['x-amz-target', 'TrentService.ListKeys'],
        ],
        '{}',
      );
      expect([r.status, r.headers['x-amzn-errortype'], r.headers['content-type']]).toEqual([
        500,
        'KMSInternalException',
        'application/x-amz-json-1.1',
      ]);
      expect(r.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
      expect(JSON.parse(r.body)).toEqual({ __type: 'KMSInternalException', message: GENERIC });
    } finally {
      await server.close();
    }
  });
});
