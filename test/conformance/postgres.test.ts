// The conformance suites on PostgresProvider, against a real PostgreSQL server (test/postgres/server.ts):
// one database for the file, a fresh schema (an empty store) per test; for the shared-store suite,
// two providers (two pools, two replicas) on that schema, as two processes.
//
// The provider suite runs on freshness 'notify' (the default: one provider sees its own writes at
// once). The shared-store suite asserts that a change through one provider is seen by the next
// request through the other: it runs as is on 'strict', and on 'notify' with each request first
// waiting until its provider has heard of every commit made so far (what 'notify' promises: a
// change is seen once its notification arrived), so the suite's assertions hold without a race.
import type { KeyMaterialProvider } from 'kmsbox';
import { PostgresProvider, type PostgresProviderOptions } from 'kmsbox/postgres';
import postgres from 'postgres';
import { afterAll, beforeAll } from 'vitest';
import { type PostgresServer, startPostgres } from '../postgres/server.js';
import { describeSharedStoreConformance } from './shared-store.js';
import { describeProviderConformance } from './suite.js';

let server: PostgresServer;
let sql: postgres.Sql;
const opened: PostgresProvider[] = [];
let n = 0;

beforeAll(async () => {
  server = await startPostgres();
  await server.createDatabase('conformance');
  sql = postgres(server.url('conformance'), { max: 2, onnotice: () => undefined });
});

afterAll(async () => {
  await Promise.all(opened.map((p) => p.close()));
  await sql?.end();
  await server?.destroy();
});

function open(schema: string, freshness?: PostgresProviderOptions['freshness']): PostgresProvider {
  const provider = new PostgresProvider({
    url: server.url('conformance'),
    passphrase: 'conformance passphrase',
    scrypt: { N: 2 ** 10 },
    schema,
    maxConnections: 2,
    ...(freshness !== undefined ? { freshness } : {}),
  });
  opened.push(provider);
  return provider;
}

async function until(what: string, condition: () => boolean): Promise<void> {
  for (const end = Date.now() + 20_000; !condition(); await new Promise((r) => setTimeout(r, 5))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  }
}

/**
 * A notify provider (listening since before the store's first commit) whose every request first
 * waits until it has heard of every commit made so far: then it catches up if it must.
 */
async function heedingNotifications(schema: string): Promise<KeyMaterialProvider> {
  const provider = open(schema, 'notify');
  await provider.ready();
  await until('the listener', () => provider.replicaStats.listening);
  const inRequest = async <T>(run: () => Promise<T>): Promise<T> => {
    const [row] = await sql`SELECT version FROM ${sql(`${schema}.meta`)}`;
    await until(
      'the notifications',
      () => provider.replicaStats.listening && provider.replicaStats.notifiedVersion >= Number(row!.version),
    );
    return provider.inRequest(run);
  };
  return new Proxy(provider, {
    get(target, property) {
      if (property === 'inRequest') return inRequest;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value; // private fields need the provider itself as `this`
    },
  });
}

describeProviderConformance('PostgresProvider', () => open(`store_${++n}`));

describeSharedStoreConformance('PostgresProvider, freshness strict', async () => {
  const schema = `store_${++n}`;
  return [open(schema, 'strict'), open(schema, 'strict')] as const;
});

describeSharedStoreConformance('PostgresProvider, freshness notify (each request after the notifications)', async () => {
  const schema = `store_${++n}`;
  return [await heedingNotifications(schema), await heedingNotifications(schema)] as const;
});
