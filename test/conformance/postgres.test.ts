// The conformance suites on PostgresProvider, against a real PostgreSQL server (test/postgres/server.ts):
// one database for the file, a fresh schema (an empty store) per test; for the shared-store suite,
// two providers (two pools, two replicas) on that schema, as two processes.
import { PostgresProvider } from 'kmsbox/postgres';
import { afterAll, beforeAll } from 'vitest';
import { type PostgresServer, startPostgres } from '../postgres/server.js';
import { describeSharedStoreConformance } from './shared-store.js';
import { describeProviderConformance } from './suite.js';

let server: PostgresServer;
const opened: PostgresProvider[] = [];
let n = 0;

beforeAll(async () => {
  server = await startPostgres();
  await server.createDatabase('conformance');
});

afterAll(async () => {
  await Promise.all(opened.map((p) => p.close()));
  await server?.destroy();
});

function open(schema: string): PostgresProvider {
  const provider = new PostgresProvider({
    url: server.url('conformance'),
    passphrase: 'conformance passphrase',
    scrypt: { N: 2 ** 10 },
    schema,
    maxConnections: 2,
  });
  opened.push(provider);
  return provider;
}

describeProviderConformance('PostgresProvider', () => open(`store_${++n}`));

describeSharedStoreConformance('PostgresProvider', async () => {
  const schema = `store_${++n}`;
  return [open(schema), open(schema)] as const;
});
