// A database that stops answering without closing anything (a network gone silent, a stuck host):
// calls fail with DependencyTimeoutException after `timeoutMs` instead of hanging, and service
// returns by itself when the traffic flows again. The silence is a real TCP proxy that stops
// passing bytes in both directions.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { DependencyTimeoutException, Kms } from 'kmsbox';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { usePostgres } from './fixtures.js';

const pg = usePostgres('silent');

/** A proxy to the server that can hold every byte (`silent = true`) until released. */
class SilenceableProxy {
  silent = false;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #held: (() => void)[] = [];

  constructor(target: number) {
    this.#server = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: target });
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('error', () => s.destroy());
        s.on('close', () => this.#sockets.delete(s));
      }
      const pass = (from: Socket, to: Socket) =>
        from.on('data', (chunk) => {
          if (this.silent) this.#held.push(() => to.write(chunk));
          else to.write(chunk);
        });
      pass(client, upstream);
      pass(upstream, client);
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve) => this.#server.listen(0, '127.0.0.1', () => resolve((this.#server.address() as { port: number }).port)));
  }

  speak(): void {
    this.silent = false;
    for (const send of this.#held.splice(0)) send();
  }

  close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

let proxy: SilenceableProxy;
let port: number;
beforeAll(async () => {
  proxy = new SilenceableProxy(pg.server.port);
  port = await proxy.listen();
});
afterAll(async () => proxy?.close());

test('silent: DependencyTimeoutException, not a hang; speaking again: full service, nothing lost', async () => {
  const schema = pg.schema();
  const url = pg.url.replace(`:${pg.server.port}/`, `:${port}/`);
  const kms = new Kms({ provider: pg.open(schema, { url, timeoutMs: 500 }) });
  const { KeyMetadata } = await kms.createKey({});
  const KeyId = KeyMetadata!.KeyId!;
  const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: new Uint8Array([4]) });

  proxy.silent = true;
  await expect(kms.encrypt({ KeyId, Plaintext: new Uint8Array([1]) })).rejects.toBeInstanceOf(DependencyTimeoutException);
  await expect(kms.createAlias({ AliasName: 'alias/silent', TargetKeyId: KeyId })).rejects.toBeInstanceOf(DependencyTimeoutException);
  await expect(new Kms({ provider: pg.open(schema, { url, timeoutMs: 500 }) }).listKeys({})).rejects.toBeInstanceOf(
    DependencyTimeoutException,
  );

  proxy.speak();
  expect([...(await kms.decrypt({ CiphertextBlob: CiphertextBlob! })).Plaintext!]).toEqual([4]);
  // The alias may or may not have been made (its commit was under way when the call gave up):
  // either way every process agrees, and making it again is answered as AWS would.
  const other = new Kms({ provider: pg.open(schema) });
  const aliases = async (k: Kms) => (await k.listAliases({ KeyId })).Aliases!.map((a) => a.AliasName);
  expect(await aliases(kms)).toEqual(await aliases(other));
  await kms
    .createAlias({ AliasName: 'alias/silent', TargetKeyId: KeyId })
    .catch((e: Error) => expect(e.name).toBe('AlreadyExistsException'));
  expect(await aliases(other)).toEqual(['alias/silent']);
});
