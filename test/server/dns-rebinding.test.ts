// DNS rebinding: a web page the user opens (evil.example) re-resolves its own name to 127.0.0.1 and,
// being same-origin with it now, sends KMS calls to kmsbox serve from the user's browser and reads
// the answers (without --credentials any request is served). Its requests carry `Host:
// evil.example:PORT`. Found attacking the server: it answered them. A server on a loopback address
// now serves only a loopback Host (127.0.0.0/8, [::1], localhost, *.localhost) or a name it is
// given (allowedHosts); the operation does not run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kms } from 'kmsbox';
import { startServer, type RunningServer } from 'kmsbox/node';
import { rawRequest } from './sigv4-raw.js';

describe('kmsbox serve refuses requests for a host that is not loopback', () => {
  let server: RunningServer;
  let kms: Kms;
  const createKey = (host: string | undefined, version = '1.1') =>
    rawRequest(
      server.port,
      'POST',
      '/',
      [...(host === undefined ? [] : [['host', host] as [string, string]]), ['x-amz-target', 'TrentService.CreateKey']],
      '{}',
      version,
    );

  beforeAll(async () => {
    kms = new Kms();
    server = await startServer(kms, { allowedHosts: ['kms.test'] });
  });
  afterAll(() => server.close());

  it.each([
    'evil.example',
    'evil.example:PORT',
    'localhost.evil.example:PORT',
    '127.0.0.1.nip.io:PORT',
    'kms.test.evil.example',
    '[::2]:PORT',
    '10.0.0.1:PORT',
    'a b',
  ])('Host %s: AccessDeniedException, nothing created, connection closed', async (host) => {
    const value = host.replace('PORT', String(server.port));
    const r = await createKey(value);
    expect([r.status, r.headers['x-amzn-errortype'], r.headers.connection]).toEqual([400, 'AccessDeniedException', 'close']);
    expect(JSON.parse(r.body)).toEqual({
      __type: 'AccessDeniedException',
      message: `kmsbox serve answers only requests for a loopback host (127.0.0.1, [::1], localhost) or one of its allowedHosts, not '${value}' (a web page must not reach it by DNS rebinding).`,
    });
    expect((await kms.listKeys({})).Keys).toEqual([]);
  });

  it('a request without Host (HTTP/1.0) is refused too', async () => {
    const r = await createKey(undefined, '1.0');
    expect([r.status, r.headers['x-amzn-errortype']]).toEqual([400, 'AccessDeniedException']);
    expect((await kms.listKeys({})).Keys).toEqual([]);
  });

  it.each([
    '127.0.0.1:PORT',
    '127.0.0.1',
    '127.1.2.3:PORT',
    'localhost:PORT',
    'LOCALHOST:PORT',
    'kms.localhost:PORT',
    '[::1]:PORT',
    'kms.test:PORT',
    'KMS.TEST',
  ])('Host %s is served', async (host) => {
    const r = await createKey(host.replace('PORT', String(server.port)));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).KeyMetadata.KeyState).toBe('Enabled');
  });
});

describe('the server remembers its answer per Host header (src/server/http-server.ts hostCheck)', () => {
  it('answers the same past the memo size, each name asked again after 100 others', async () => {
    const kms = new Kms();
    const server = await startServer(kms);
    try {
      const hosts = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? `evil${i}.example` : `127.0.0.${i}`));
      const statuses = async () => {
        const out: number[] = [];
        for (const host of hosts) {
          const r = await rawRequest(
            server.port,
            'POST',
            '/',
            [
              ['host', host],
              ['x-amz-target', 'TrentService.ListKeys'],
            ],
            '{}',
          );
          out.push(r.status);
        }
        return out;
      };
      const expected = hosts.map((_, i) => (i % 2 === 0 ? 400 : 200));
      expect(await statuses()).toEqual(expected);
      hosts.reverse();
      expected.reverse();
      expect(await statuses()).toEqual(expected);
    } finally {
      await server.close();
    }
  });
});

describe('kmsbox serve --allowed-hosts', () => {
  it('answers the names it is given, and still refuses others', async () => {
    const { spawn } = await import('node:child_process');
    const root = new URL('../..', import.meta.url).pathname;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'serve', '--port', '0', '--allowed-hosts', 'kms.test,kms.internal'],
      { cwd: root },
    );
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
      const list = (host: string) =>
        rawRequest(
          port,
          'POST',
          '/',
          [
            ['host', host],
            ['x-amz-target', 'TrentService.ListKeys'],
          ],
          '{}',
        );
      expect((await list(`kms.internal:${port}`)).status).toBe(200);
      expect((await list('kms.test')).status).toBe(200);
      expect((await list(`localhost:${port}`)).status).toBe(200);
      expect((await list(`evil.example:${port}`)).headers['x-amzn-errortype']).toBe('AccessDeniedException');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
