// The test PostgreSQL server (server.ts) starts, answers, stops, restarts and keeps its data:
// the PostgreSQL tests rest on it.
import postgres from 'postgres';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type PostgresServer, startPostgres } from './server.js';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
  await server.createDatabase('harness');
});
afterAll(async () => server?.destroy());

test('a real server: data written before a restart is there after it', async () => {
  const sql = postgres(server.url('harness'), { max: 1, onnotice: () => {} });
  await sql`CREATE TABLE t (v int)`;
  await sql`INSERT INTO t VALUES (42)`;
  await sql.end();
  await server.stop();
  await server.start();
  const again = postgres(server.url('harness'), { max: 1, onnotice: () => {} });
  expect(await again`SELECT v FROM t`).toEqual([{ v: 42 }]);
  expect((await again`SELECT current_setting('server_version_num')::int AS v`)[0]?.v).toBeGreaterThanOrEqual(130000);
  await again.end();
});
