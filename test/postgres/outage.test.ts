// The database stopped while providers are open: typed errors (DependencyTimeoutException), no
// hang, no raw driver error; once it is back, full service without a restart, nothing lost, and a
// write that failed during the outage leaves no trace in any replica.
import { DependencyTimeoutException, Kms, type KMSServiceException, NotFoundException } from 'kmsbox';
import { expect, test } from 'vitest';
import { usePostgres } from './fixtures.js';

const pg = usePostgres('outage');

test('stopped: every call fails typed; started again: every process serves, nothing lost', async () => {
  const schema = pg.schema();
  const a = new Kms({ provider: pg.open(schema) });
  const b = new Kms({ provider: pg.open(schema) });
  const { KeyMetadata } = await a.createKey({});
  const KeyId = KeyMetadata!.KeyId!;
  await a.createAlias({ AliasName: 'alias/before', TargetKeyId: KeyId });
  const { CiphertextBlob } = await a.encrypt({ KeyId, Plaintext: new Uint8Array([1, 2]) });
  await b.decrypt({ CiphertextBlob: CiphertextBlob! }); // b has caught up and cached the material

  await pg.server.stop();
  const calls: [string, () => Promise<unknown>][] = [
    ['Encrypt', () => b.encrypt({ KeyId, Plaintext: new Uint8Array([3]) })],
    ['Decrypt', () => a.decrypt({ CiphertextBlob: CiphertextBlob! })],
    ['CreateKey', () => a.createKey({})],
    ['CreateAlias', () => b.createAlias({ AliasName: 'alias/during', TargetKeyId: KeyId })],
    ['DisableKey', () => a.disableKey({ KeyId })],
    ['ListKeys', () => b.listKeys({})],
    ['a new process', () => new Kms({ provider: pg.open(schema) }).listKeys({})],
  ];
  for (const [name, call] of calls) {
    const error = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, name).toBeInstanceOf(DependencyTimeoutException);
    expect((error as KMSServiceException).message, name).toMatch(/PostgreSQL database did not answer/);
  }

  await pg.server.start();
  for (const kms of [a, b, new Kms({ provider: pg.open(schema) })]) {
    expect([...(await kms.decrypt({ CiphertextBlob: CiphertextBlob! })).Plaintext!]).toEqual([1, 2]);
    const { Aliases } = await kms.listAliases({ KeyId });
    expect(Aliases!.map((x) => x.AliasName)).toEqual(['alias/before']); // alias/during was never made
    expect((await kms.describeKey({ KeyId })).KeyMetadata!.Enabled).toBe(true); // DisableKey failed: still enabled
    expect((await kms.listKeys({})).Keys).toHaveLength(1);
  }
  await expect(b.describeKey({ KeyId: 'alias/during' })).rejects.toBeInstanceOf(NotFoundException);
  await b.createAlias({ AliasName: 'alias/during', TargetKeyId: KeyId });
  expect((await a.listAliases({ KeyId })).Aliases!.map((x) => x.AliasName).sort()).toEqual(['alias/before', 'alias/during']);
});

test('a write the database refuses after the decision was made: KMSInternalException, and the replica keeps no trace of it', async () => {
  const schema = pg.schema();
  const kms = new Kms({ provider: pg.open(schema) });
  const { KeyMetadata } = await kms.createKey({});
  const KeyId = KeyMetadata!.KeyId!;
  await kms.listAliases({}); // the replica is current
  // The refusal comes from the INSERT of the alias row, after CreateAlias's decision was applied to the replica.
  await pg.sql.unsafe(`
    CREATE FUNCTION ${schema}.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by a trigger'; END $$;
    CREATE TRIGGER refuse BEFORE INSERT ON ${schema}.records FOR EACH ROW WHEN (NEW.collection = 'aliases') EXECUTE FUNCTION ${schema}.refuse();`);
  await expect(kms.createAlias({ AliasName: 'alias/refused', TargetKeyId: KeyId })).rejects.toThrow(
    /PostgreSQL database failed while writing the records \(P0001\)/,
  );
  expect((await kms.listAliases({ KeyId })).Aliases).toEqual([]);
  await expect(kms.describeKey({ KeyId: 'alias/refused' })).rejects.toBeInstanceOf(NotFoundException);
  await pg.sql.unsafe(`DROP TRIGGER refuse ON ${schema}.records`);
  await kms.createAlias({ AliasName: 'alias/refused', TargetKeyId: KeyId });
  expect((await kms.describeKey({ KeyId: 'alias/refused' })).KeyMetadata!.KeyId).toBe(KeyId);
});
