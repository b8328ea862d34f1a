// The migration's advisory lock is the database's, not kmsbox's tables': any role that can
// connect may take it (pg_advisory_lock needs no privilege on anything). A store whose schema is
// already at this version has nothing to migrate, so opening it must not wait for that lock:
// otherwise a read-only role (or any login on the database) holding it keeps every kmsbox
// process from starting (src/providers/postgres/migrations.ts, migrate).
import { Kms } from 'kmsbox';
import postgres from 'postgres';
import { expect, test } from 'vitest';
import { usePostgres } from './fixtures.js';

const pg = usePostgres('migration_lock');

test('a role with no privilege on the store holding the migration lock does not keep kmsbox from opening a current schema', async () => {
  const schema = pg.schema();
  const { KeyMetadata } = await new Kms({ provider: pg.open(schema) }).createKey({});

  await pg.sql.unsafe('CREATE ROLE nosy LOGIN');
  const nosy = postgres(pg.url.replace('postgres://kmsbox@', 'postgres://nosy@'), { max: 1, onnotice: () => undefined });
  try {
    // No privilege on the schema or its tables: this role cannot read a row of the store.
    await expect(nosy`SELECT * FROM ${nosy(`${schema}.meta`)}`).rejects.toMatchObject({ code: '42501' });
    await nosy`SELECT pg_advisory_lock(hashtext(${`kmsbox migrate ${schema}`}))`;

    const kms = new Kms({ provider: pg.open(schema) });
    const { KeyMetadata: described } = await kms.describeKey({ KeyId: KeyMetadata!.KeyId! });
    expect(described!.KeyId).toBe(KeyMetadata!.KeyId);
  } finally {
    await nosy.end();
    await pg.sql.unsafe('DROP ROLE nosy');
  }
});
