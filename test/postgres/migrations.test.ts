// Schema creation and upgrades: versioned, idempotent, safe when several processes start at once,
// and a schema newer than this code is refused.
import { Kms, KMSInternalException, ValidationException } from 'kmsbox';
import { migrateDatabase, SCHEMA_VERSION } from 'kmsbox/postgres';
import { expect, test } from 'vitest';
import { usePostgres } from './fixtures.js';

const pg = usePostgres('migrations');

const tables = async (schema: string): Promise<string[]> =>
  (
    await pg.sql<{ table_name: string }[]>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = ${schema} ORDER BY table_name`
  ).map((r) => r.table_name);

test('from an empty database to the current version, then nothing to do', async () => {
  const schema = pg.schema();
  expect(await tables(schema)).toEqual([]);
  expect(await migrateDatabase({ url: pg.url, schema })).toEqual({ from: 0, to: SCHEMA_VERSION });
  expect(await tables(schema)).toEqual(['audit', 'changes', 'material', 'meta', 'records', 'schema_version']);
  expect(await pg.sql`SELECT version FROM ${pg.sql(`${schema}.schema_version`)}`).toEqual([{ version: SCHEMA_VERSION }]);
  expect(await migrateDatabase({ url: pg.url, schema })).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
  expect(await pg.sql`SELECT count(*)::int AS n FROM ${pg.sql(`${schema}.schema_version`)}`).toEqual([{ n: 1 }]);
});

test('the audit table has the columns the PostgreSQL audit sink writes', async () => {
  const schema = pg.schema();
  await migrateDatabase({ url: pg.url, schema });
  const columns = await pg.sql`
    SELECT column_name, data_type, is_nullable FROM information_schema.columns
    WHERE table_schema = ${schema} AND table_name = 'audit' ORDER BY ordinal_position`;
  expect(columns).toEqual([
    { column_name: 'seq', data_type: 'bigint', is_nullable: 'NO' },
    { column_name: 'line', data_type: 'text', is_nullable: 'NO' },
    { column_name: 'hash', data_type: 'text', is_nullable: 'NO' },
  ]);
});

test('several processes migrating at once: one does it, none fails', async () => {
  const schema = pg.schema();
  const results = await Promise.all([0, 1, 2, 3].map(() => migrateDatabase({ url: pg.url, schema })));
  expect(results.filter((r) => r.from === 0)).toHaveLength(1);
  expect(results.filter((r) => r.from === SCHEMA_VERSION)).toHaveLength(3);
});

test('several providers opening a new store at once agree on one store', async () => {
  const schema = pg.schema();
  const providers = [0, 1, 2].map(() => pg.open(schema));
  await Promise.all(providers.map((p) => p.ready()));
  const [a, b] = providers.map((provider) => new Kms({ provider }));
  const { KeyMetadata } = await a!.createKey({});
  const { CiphertextBlob } = await a!.encrypt({ KeyId: KeyMetadata!.KeyId!, Plaintext: new Uint8Array([9]) });
  expect([...(await b!.decrypt({ CiphertextBlob: CiphertextBlob! })).Plaintext!]).toEqual([9]);
  expect(await pg.sql`SELECT count(*)::int AS n FROM ${pg.sql(`${schema}.meta`)}`).toEqual([{ n: 1 }]);
});

test('a schema at a newer version is refused by migrate and by the provider, and left as it is', async () => {
  const schema = pg.schema();
  await migrateDatabase({ url: pg.url, schema });
  await pg.sql`UPDATE ${pg.sql(`${schema}.schema_version`)} SET version = ${SCHEMA_VERSION + 1}`;
  await expect(migrateDatabase({ url: pg.url, schema })).rejects.toThrow(KMSInternalException);
  await expect(migrateDatabase({ url: pg.url, schema })).rejects.toThrow(/newer than this kmsbox/);
  const kms = new Kms({ provider: pg.open(schema) });
  await expect(kms.listKeys({})).rejects.toThrow(KMSInternalException);
  await expect(new Kms({ provider: pg.open(schema, { migrate: false }) }).listKeys({})).rejects.toThrow(/newer than this kmsbox/);
  expect(await pg.sql`SELECT version FROM ${pg.sql(`${schema}.schema_version`)}`).toEqual([{ version: SCHEMA_VERSION + 1 }]);
  expect(await pg.sql`SELECT count(*)::int AS n FROM ${pg.sql(`${schema}.meta`)}`).toEqual([{ n: 0 }]);
});

test('migrate: false on a schema not yet created: refused with the command to run, nothing created', async () => {
  const schema = pg.schema();
  const kms = new Kms({ provider: pg.open(schema, { migrate: false }) });
  await expect(kms.listKeys({})).rejects.toThrow(KMSInternalException);
  await expect(kms.listKeys({})).rejects.toThrow(/kmsbox db migrate/);
  expect(await tables(schema)).toEqual([]);
  await migrateDatabase({ url: pg.url, schema });
  await expect(kms.listKeys({})).resolves.toMatchObject({ Keys: [] });
});

test('migrateDatabase refuses a bad url or schema name', async () => {
  await expect(migrateDatabase({ url: 'http://x' })).rejects.toThrow(ValidationException);
  await expect(migrateDatabase({ url: pg.url, schema: 'a;b' })).rejects.toThrow(ValidationException);
});
