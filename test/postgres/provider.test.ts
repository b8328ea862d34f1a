// Several PostgresProviders on one database, as several kmsbox processes would be: racing writes
// lose nothing, and a change through one is seen by the next request through another.
import { AlreadyExistsException, DisabledException, Kms } from 'kmsbox';
import { describe, expect, test } from 'vitest';
import { usePostgres, holdMetaRow } from './fixtures.js';

const pg = usePostgres('providers');

/** Three Kms instances on one store, each with its own provider (its own pool and replica). */
function three(schema: string): Kms[] {
  return [0, 1, 2].map(() => new Kms({ provider: pg.open(schema) }));
}

describe('racing writes through several providers lose no update', () => {
  test('CreateAlias on one name: exactly one wins, the others get AlreadyExistsException', async () => {
    const kmss = three(pg.schema());
    const { KeyMetadata } = await kmss[0]!.createKey({});
    const results = await Promise.allSettled(
      kmss.flatMap((kms) => [0, 1].map(() => kms.createAlias({ AliasName: 'alias/raced', TargetKeyId: KeyMetadata!.KeyId! }))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected'))
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(AlreadyExistsException);
    for (const kms of kmss) {
      const { Aliases } = await kms.listAliases({});
      expect(Aliases!.filter((a) => a.AliasName === 'alias/raced')).toHaveLength(1);
    }
  });

  test('RotateKeyOnDemand on one key: every rotation is kept', async () => {
    const kmss = three(pg.schema());
    const { KeyMetadata } = await kmss[0]!.createKey({});
    const KeyId = KeyMetadata!.KeyId!;
    const before = await kmss[1]!.encrypt({ KeyId, Plaintext: new Uint8Array([1, 2, 3]) });
    await Promise.all(kmss.flatMap((kms) => [0, 1].map(() => kms.rotateKeyOnDemand({ KeyId }))));
    for (const kms of kmss) {
      const { Rotations } = await kms.listKeyRotations({ KeyId });
      expect(Rotations).toHaveLength(6);
      const { Plaintext } = await kms.decrypt({ CiphertextBlob: before.CiphertextBlob! });
      expect([...Plaintext!]).toEqual([1, 2, 3]);
    }
  });

  test('CreateGrant from every provider at once: every grant is there', async () => {
    const kmss = three(pg.schema());
    const { KeyMetadata } = await kmss[0]!.createKey({});
    const KeyId = KeyMetadata!.KeyId!;
    const made = await Promise.all(
      kmss.flatMap((kms, i) =>
        [0, 1, 2].map((j) =>
          kms.createGrant({ KeyId, GranteePrincipal: `arn:aws:iam::111122223333:role/r${i}${j}`, Operations: ['Decrypt'] }),
        ),
      ),
    );
    for (const kms of kmss) {
      const { Grants } = await kms.listGrants({ KeyId });
      expect(Grants!.map((g) => g.GrantId).sort()).toEqual(made.map((g) => g.GrantId).sort());
    }
  });
});

test('two writes decided on the same version: one commits, the other finds it, decides again on top of it, and both are kept', async () => {
  const schema = pg.schema();
  const [a, b] = [pg.open(schema), pg.open(schema)];
  const [ka, kb] = [new Kms({ provider: a }), new Kms({ provider: b })];
  const KeyId = (await ka.createKey({})).KeyMetadata!.KeyId!;
  await kb.listResourceTags({ KeyId }); // both replicas at the same version
  // Another session holds the meta row's lock, so both writes pull, decide, and wait at the row.
  const { release, holder } = await holdMetaRow(pg.sql, schema);
  const writes = [
    ka.tagResource({ KeyId, Tags: [{ TagKey: 'from', TagValue: 'a' }] }),
    kb.tagResource({ KeyId, Tags: [{ TagKey: 'also', TagValue: 'b' }] }),
  ];
  // Both are waiting on the row lock (seen by the server, not guessed from a delay).
  for (;;) {
    const [row] =
      await pg.sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'kmsbox' AND wait_event_type = 'Lock'`;
    if (row!.n === 2) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  release();
  await holder;
  await Promise.all(writes);
  expect(a.commitConflicts + b.commitConflicts).toBe(1);
  for (const kms of [ka, kb]) {
    const { Tags } = await kms.listResourceTags({ KeyId });
    expect(Tags!.map((t) => `${t.TagKey}=${t.TagValue}`).sort()).toEqual(['also=b', 'from=a']);
  }
});

describe('a change through one provider is seen by the next request through another', () => {
  test('DisableKey through A: Encrypt through B right after is refused; EnableKey through B: A encrypts again', async () => {
    const [a, b] = three(pg.schema());
    const { KeyMetadata } = await a!.createKey({});
    const KeyId = KeyMetadata!.KeyId!;
    await b!.encrypt({ KeyId, Plaintext: new Uint8Array([1]) }); // B has the key (and its material) cached
    await a!.disableKey({ KeyId });
    await expect(b!.encrypt({ KeyId, Plaintext: new Uint8Array([1]) })).rejects.toBeInstanceOf(DisabledException);
    await b!.enableKey({ KeyId });
    await expect(a!.encrypt({ KeyId, Plaintext: new Uint8Array([1]) })).resolves.toBeDefined();
  });

  test('a ciphertext made through A decrypts through B and C', async () => {
    const kmss = three(pg.schema());
    const { KeyMetadata } = await kmss[0]!.createKey({});
    const { CiphertextBlob } = await kmss[0]!.encrypt({ KeyId: KeyMetadata!.KeyId!, Plaintext: new TextEncoder().encode('shared') });
    for (const kms of kmss.slice(1)) {
      const { Plaintext } = await kms.decrypt({ CiphertextBlob: CiphertextBlob! });
      expect(new TextDecoder().decode(Plaintext)).toBe('shared');
    }
  });

  test('material destroyed through A is dropped from what B cached', async () => {
    const schema = pg.schema();
    const a = pg.open(schema);
    const b = pg.open(schema);
    const id = await a.createMaterial('SYMMETRIC_DEFAULT');
    const request = {
      blobVersion: 2 as const,
      salt: new Uint8Array(16),
      nonce: new Uint8Array(12),
      plaintext: new Uint8Array([7]),
      aad: new Uint8Array(0),
    };
    const sealed = await b.seal(id, request); // cached in B
    await a.destroyMaterial([id]);
    await b.read(() => undefined); // B's next request catches up
    await expect(b.open(id, { ...request, sealed })).resolves.toBeUndefined();
    await expect(a.open(id, { ...request, sealed })).resolves.toBeUndefined();
  });

  test('material imported again under an id through A replaces what B cached', async () => {
    const schema = pg.schema();
    const a = pg.open(schema);
    const b = pg.open(schema);
    const id = 'ab'.repeat(32);
    await a.importMaterial('HMAC_256', new Uint8Array(32).fill(1), id);
    const first = await b.mac(id, new Uint8Array([1]));
    await a.importMaterial('HMAC_256', new Uint8Array(32).fill(2), id);
    await b.read(() => undefined);
    const second = await b.mac(id, new Uint8Array([1]));
    expect(second).not.toEqual(first);
    expect(second).toEqual(await a.mac(id, new Uint8Array([1])));
  });
});

test('a provider further behind than the change log reaches loads every record again', async () => {
  const schema = pg.schema();
  const [a, b] = three(schema);
  const { KeyMetadata } = await a!.createKey({});
  await b!.listKeys({}); // b is at this version
  await a!.createAlias({ AliasName: 'alias/after', TargetKeyId: KeyMetadata!.KeyId! });
  await a!.disableKey({ KeyId: KeyMetadata!.KeyId! });
  // The log pruned past b's version (as backend.ts does every 1,000 versions).
  await pg.sql`DELETE FROM ${pg.sql(`${schema}.changes`)}`;
  await pg.sql`UPDATE ${pg.sql(`${schema}.meta`)} SET log_floor = version`;
  expect((await b!.listAliases({})).Aliases!.map((x) => x.AliasName)).toContain('alias/after');
  expect((await b!.describeKey({ KeyId: KeyMetadata!.KeyId! })).KeyMetadata!.Enabled).toBe(false);
});
