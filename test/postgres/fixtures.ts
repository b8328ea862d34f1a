// Shared by the PostgresProvider tests: one real server per test file (server.ts), a fresh schema
// (an empty store) per test, and several providers on it, as several processes would open it.
// Providers open with freshness 'strict' unless a test says otherwise: these tests assert that a
// change is seen by the very next request (or read) after it; freshness 'notify' has its own
// tests (notify.test.ts), which wait for a change's notification instead.
import { PostgresProvider, type PostgresProviderOptions } from 'kmsbox/postgres';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type PostgresServer, startPostgres } from './server.js';

export const PASSPHRASE = 'correct horse battery staple';

export interface Fixture {
  readonly server: PostgresServer;
  readonly url: string;
  /** A schema no other test uses. */
  schema(): string;
  /** A provider on `schema` (scrypt kept cheap, freshness 'strict' unless given), closed after the test. */
  open(schema: string, options?: { [K in keyof PostgresProviderOptions]?: PostgresProviderOptions[K] | undefined }): PostgresProvider;
  /** A plain client on the database, for looking at (or tampering with) the rows. */
  readonly sql: postgres.Sql;
}

export function usePostgres(database: string): Fixture {
  let server: PostgresServer | undefined;
  let sql: postgres.Sql | undefined;
  let n = 0;
  const open: PostgresProvider[] = [];
  beforeAll(async () => {
    server = await startPostgres();
    await server.createDatabase(database);
    sql = postgres(server.url(database), { max: 2, onnotice: () => undefined });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((p) => p.close()));
  });
  afterAll(async () => {
    await sql?.end();
    await server?.destroy();
  });
  return {
    get server() {
      return server as PostgresServer;
    },
    get url() {
      return (server as PostgresServer).url(database);
    },
    get sql() {
      return sql as postgres.Sql;
    },
    schema: () => `t${++n}`,
    open(schema, options = {}) {
      const p = new PostgresProvider({
        url: (server as PostgresServer).url(database),
        passphrase: PASSPHRASE,
        scrypt: { N: 2 ** 10 },
        schema,
        maxConnections: 3,
        freshness: 'strict',
        ...options,
      } as PostgresProviderOptions);
      open.push(p);
      return p;
    },
  };
}
