// The change log (src/providers/postgres/backend.ts) driven directly, with pruning every few
// versions: the log keeps what it promises, a replica within it catches up from it, one further
// behind loads every record again, and either way it ends at the same records.
import { randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { emptyState } from '../../src/keys/record.js';
import { PostgresRecordBackend } from '../../src/providers/postgres/backend.js';
import { databaseError } from '../../src/providers/postgres/db-errors.js';
import { migrate } from '../../src/providers/postgres/migrations.js';
import { RowAuthenticator } from '../../src/providers/postgres/root-key.js';
import { allRecords, applyChanges, type RecordChange } from '../../src/providers/records.js';
import { ReplicatedRecords } from '../../src/providers/replica.js';
import { usePostgres } from './fixtures.js';

const pg = usePostgres('changelog');

const alias = (n: number) => {
  const arn = `arn:aws:kms:us-east-1:111122223333:alias/a${n % 7}`;
  return { aliasName: `alias/a${n % 7}`, arn, targetKeyId: `k${n}`, createdAt: n, updatedAt: n };
};

test('pruned every 5 versions keeping 10: a replica within the log catches up from it, one behind it reloads; both agree', async () => {
  const schema = pg.schema();
  await migrate(pg.sql, schema);
  await pg.sql`INSERT INTO ${pg.sql(`${schema}.meta`)} (store_id, kdf, check_value) VALUES ('s', '{}', 'c')`;
  const guard = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw databaseError(error, what);
    }
  };
  const reloads: string[] = [];
  const backend = new PostgresRecordBackend(pg.sql, schema, guard, (ids) => ids === 'all' && reloads.push('all'), { every: 5, keep: 10 });
  backend.authenticate(new RowAuthenticator(randomBytes(32), 's'), 'c');
  const writer = new ReplicatedRecords(backend);
  const near = new ReplicatedRecords(backend);
  const far = new ReplicatedRecords(backend);
  await far.read(() => undefined); // version 0
  for (let n = 1; n <= 23; n++) {
    await writer.update((s) => {
      if (n % 3 === 0) delete s.aliases[alias(n - 1).arn];
      else s.aliases[alias(n).arn] = alias(n);
    });
    if (n === 16) await near.read(() => undefined);
  }
  const [{ version, log_floor }] = (await pg.sql`SELECT version::int, log_floor::int FROM ${pg.sql(`${schema}.meta`)}`) as unknown as [
    { version: number; log_floor: number },
  ];
  expect({ version, log_floor }).toEqual({ version: 23, log_floor: 10 });
  const [{ oldest }] = (await pg.sql`SELECT min(version)::int AS oldest FROM ${pg.sql(`${schema}.changes`)}`) as unknown as [
    { oldest: number },
  ];
  expect(oldest).toBe(11);

  // What the writer has, built from its own updates.
  const expected = emptyState();
  applyChanges(expected, await writer.read((s) => allRecords(s) as RecordChange[]));
  reloads.length = 0;
  expect(await near.read((s) => s.aliases)).toEqual(expected.aliases); // from the log: no reload
  expect(reloads).toEqual([]);
  expect(await far.read((s) => s.aliases)).toEqual(expected.aliases); // behind the log: reloaded
  expect(reloads).toEqual(['all']);
  expect(await new ReplicatedRecords(backend).read((s) => s.aliases)).toEqual(expected.aliases);
});
