// Rows the database hands back are checked before use: a record row edited, forged or moved
// (its MAC under the root key does not fit), and material that was changed or moved, give
// KMSInternalException — never a TypeError, never a plaintext — and service returns once the
// row is put back.
import { Kms, KMSInternalException } from 'kmsbox';
import { expect, test } from 'vitest';
import { usePostgres } from './fixtures.js';

const pg = usePostgres('hostile');
const table = (schema: string, name: string) => pg.sql(`${schema}.${name}`);

async function storeWithKey(schema: string) {
  const kms = new Kms({ provider: pg.open(schema) });
  const { KeyMetadata } = await kms.createKey({});
  const arn = KeyMetadata!.Arn!;
  const { CiphertextBlob } = await kms.encrypt({ KeyId: arn, Plaintext: new TextEncoder().encode('secret') });
  return { kms, arn, CiphertextBlob: CiphertextBlob! };
}

for (const [what, value] of [
  ['not JSON', '{"keyId": '],
  ['JSON but not an object', '"a string"'],
  ['an object missing what every operation reads', '{"arn": "ARN"}'],
  ['the key disabled by hand', 'DISABLED'],
  ["the key pointed at another key's material", 'OTHER_MATERIAL'],
] as const) {
  test(`a key row edited outside kmsbox (${what}): KMSInternalException for a new process and a running one; fine again once put back`, async () => {
    const schema = pg.schema();
    const { kms, arn, CiphertextBlob } = await storeWithKey(schema);
    const other = (await kms.createKey({})).KeyMetadata!.Arn!;
    const [{ value: good, mac }] = (await pg.sql`SELECT value, mac FROM ${table(schema, 'records')} WHERE id = ${arn}`) as unknown as [
      { value: string; mac: string },
    ];
    const record = JSON.parse(good);
    const bad =
      value === 'DISABLED'
        ? JSON.stringify({ ...record, state: 'Disabled' })
        : value === 'OTHER_MATERIAL'
          ? JSON.stringify({ ...record, materials: [{ id: await materialIdOf(schema, other), createdAt: 0 }] })
          : value.replace('ARN', arn);
    await pg.sql`UPDATE ${table(schema, 'records')} SET value = ${bad} WHERE id = ${arn}`;
    const fresh = new Kms({ provider: pg.open(schema) });
    await expect(fresh.decrypt({ CiphertextBlob })).rejects.toThrow(KMSInternalException);
    await expect(fresh.listKeys({})).rejects.toThrow(/keys row .* is not authentic/);
    // A running process meets it in the change log (the MAC of the good row does not fit it either).
    await logChange(schema, arn, bad, mac);
    await expect(kms.decrypt({ CiphertextBlob })).rejects.toThrow(/keys row .* is not authentic/);
    // Put back (a newer change with the good row): both serve again.
    await logChange(schema, arn, good, mac);
    await pg.sql`UPDATE ${table(schema, 'records')} SET value = ${good} WHERE id = ${arn}`;
    await expect(kms.decrypt({ CiphertextBlob })).resolves.toMatchObject({ KeyId: arn });
    await expect(new Kms({ provider: pg.open(schema) }).decrypt({ CiphertextBlob })).resolves.toMatchObject({ KeyId: arn });
  });
}

/** Appends a change-log row under a new version, as a process with database access (and no root key) could. */
async function logChange(schema: string, id: string, value: string, mac: string, collection = 'keys'): Promise<void> {
  await pg.sql.begin(async (tx) => {
    const [meta] = await tx`UPDATE ${table(schema, 'meta')} SET version = version + 1 RETURNING version`;
    await tx`INSERT INTO ${table(schema, 'changes')} (version, ord, collection, id, value, mac)
             VALUES (${meta!.version}, 0, ${collection}, ${id}, ${value}, ${mac})`;
  });
}

test("a key record copied, MAC and all, over another key's row is refused", async () => {
  const schema = pg.schema();
  const { kms, arn } = await storeWithKey(schema);
  const { KeyMetadata } = await kms.createKey({});
  await pg.sql`
    UPDATE ${table(schema, 'records')} AS r SET value = o.value, mac = o.mac
    FROM ${table(schema, 'records')} AS o WHERE r.id = ${KeyMetadata!.Arn!} AND o.id = ${arn}`;
  await expect(new Kms({ provider: pg.open(schema) }).listKeys({})).rejects.toThrow(/is not authentic/);
});

test("another store's row (same passphrase), MAC and all, is refused", async () => {
  const mine = pg.schema();
  const theirs = pg.schema();
  await storeWithKey(mine);
  const { arn } = await storeWithKey(theirs);
  await pg.sql`INSERT INTO ${table(mine, 'records')} SELECT * FROM ${table(theirs, 'records')} WHERE id = ${arn}`;
  await expect(new Kms({ provider: pg.open(mine) }).listKeys({})).rejects.toThrow(/is not authentic/);
});

test('a change-log row forged in a collection kmsbox does not know is refused', async () => {
  const schema = pg.schema();
  const { kms } = await storeWithKey(schema);
  await logChange(schema, 'x', '{}', 'AAAA', 'users');
  await expect(kms.listKeys({})).rejects.toThrow(KMSInternalException);
});

/** The key's material row id (its only version). */
async function materialIdOf(schema: string, arn: string): Promise<string> {
  const [{ value }] = (await pg.sql`SELECT value FROM ${table(schema, 'records')} WHERE id = ${arn}`) as unknown as [{ value: string }];
  return (JSON.parse(value) as { materials: { id: string }[] }).materials[0]!.id;
}

test('a material row with one bit flipped: KMSInternalException on encrypt and decrypt, no plaintext', async () => {
  const schema = pg.schema();
  const { arn, CiphertextBlob } = await storeWithKey(schema);
  const id = await materialIdOf(schema, arn);
  for (const column of ['sealed', 'nonce'] as const) {
    const [row] = await pg.sql<{ v: Uint8Array }[]>`SELECT ${pg.sql(column)} AS v FROM ${table(schema, 'material')} WHERE id = ${id}`;
    const flipped = Buffer.from(row!.v);
    flipped[3]! ^= 0x10;
    await pg.sql`UPDATE ${table(schema, 'material')} SET ${pg.sql(column)} = ${flipped} WHERE id = ${id}`;
    const fresh = new Kms({ provider: pg.open(schema) }); // nothing cached
    await expect(fresh.decrypt({ CiphertextBlob })).rejects.toThrow(/key material .* is not authentic/);
    await expect(fresh.encrypt({ KeyId: arn, Plaintext: new Uint8Array([1]) })).rejects.toThrow(KMSInternalException);
    await pg.sql`UPDATE ${table(schema, 'material')} SET ${pg.sql(column)} = ${row!.v} WHERE id = ${id}`;
  }
  const { Plaintext } = await new Kms({ provider: pg.open(schema) }).decrypt({ CiphertextBlob });
  expect(new TextDecoder().decode(Plaintext)).toBe('secret');
});

test("another key's material row copied under this key's material id, or relabelled with another spec, does not open", async () => {
  const schema = pg.schema();
  const { kms, arn, CiphertextBlob } = await storeWithKey(schema);
  const { KeyMetadata } = await kms.createKey({});
  const mine = await materialIdOf(schema, arn);
  const theirs = await materialIdOf(schema, KeyMetadata!.Arn!);
  await pg.sql`
    UPDATE ${table(schema, 'material')} AS m SET nonce = o.nonce, sealed = o.sealed
    FROM ${table(schema, 'material')} AS o WHERE m.id = ${mine} AND o.id = ${theirs}`;
  await expect(new Kms({ provider: pg.open(schema) }).decrypt({ CiphertextBlob })).rejects.toThrow(/is not authentic/);
  await pg.sql`UPDATE ${table(schema, 'material')} SET spec = 'HMAC_256' WHERE id = ${theirs}`;
  const fresh = pg.open(schema);
  await expect(fresh.mac(theirs, new Uint8Array([1]))).rejects.toThrow(/is not authentic/);
});

test('key-derivation parameters in the database that would cost too much are refused before any scrypt is run', async () => {
  const schema = pg.schema();
  await storeWithKey(schema);
  const [{ kdf }] = (await pg.sql`SELECT kdf FROM ${table(schema, 'meta')}`) as unknown as [{ kdf: string }];
  for (const hostile of [
    { ...JSON.parse(kdf), N: 2 ** 30 },
    { ...JSON.parse(kdf), r: 1024 },
    { ...JSON.parse(kdf), salt: 'short' },
    { name: 'pbkdf2' },
  ]) {
    await pg.sql`UPDATE ${table(schema, 'meta')} SET kdf = ${JSON.stringify(hostile)}`;
    await expect(new Kms({ provider: pg.open(schema) }).listKeys({}), JSON.stringify(hostile)).rejects.toThrow(
      /key-derivation (cost is refused|parameters are not ones kmsbox writes)/,
    );
  }
  await pg.sql`UPDATE ${table(schema, 'meta')} SET kdf = 'not json'`;
  await expect(new Kms({ provider: pg.open(schema) }).listKeys({})).rejects.toThrow(KMSInternalException);
  await pg.sql`UPDATE ${table(schema, 'meta')} SET kdf = ${kdf}`;
  await expect(new Kms({ provider: pg.open(schema) }).listKeys({})).resolves.toBeDefined();
});
