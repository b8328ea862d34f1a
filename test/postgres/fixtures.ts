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

/** Every row of every table in `schema`, as text (to show that a refused call changed nothing). */
export async function dumpSchema(sql: postgres.Sql, schema: string): Promise<string> {
  const tables = await sql<{ table_name: string }[]>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = ${schema} ORDER BY table_name`;
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const rows = await sql`SELECT * FROM ${sql(`${schema}.${table_name}`)} AS t ORDER BY t::text`;
    parts.push(
      table_name,
      JSON.stringify(rows, (_, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)),
    );
  }
  return parts.join('\n');
}

/**
 * Another session holding the store's meta row (FOR UPDATE) until `release()`: writes that pull,
 * decide and then wait at the row can be made to race. Resolves once the row is held.
 */
export async function holdMetaRow(sql: postgres.Sql, schema: string): Promise<{ release: () => void; holder: Promise<unknown> }> {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let locked: () => void = () => undefined;
  const isLocked = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const holder = sql.begin(async (tx) => {
    await tx.unsafe(`SELECT version FROM ${schema}.meta FOR UPDATE`);
    locked();
    await held;
  });
  await isLocked;
  return { release, holder };
}
