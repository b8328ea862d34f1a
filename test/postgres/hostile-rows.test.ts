// Rows the database hands back are checked before use: a record that is not JSON, not a record,
// or filed under another id, and material that was changed or moved, give KMSInternalException —
// never a TypeError, never a plaintext — and service returns once the row is put right.
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
  ['a key whose materials are not a list', 'KEY_WITH_BAD_MATERIALS'],
] as const) {
  test(`a key row that is ${what}: KMSInternalException for a new process and a running one; fine again once repaired`, async () => {
    const schema = pg.schema();
    const { kms, arn, CiphertextBlob } = await storeWithKey(schema);
    const [{ value: good }] = (await pg.sql`SELECT value FROM ${table(schema, 'records')} WHERE id = ${arn}`) as unknown as [
      { value: string },
    ];
    const bad = value === 'KEY_WITH_BAD_MATERIALS' ? JSON.stringify({ ...JSON.parse(good), materials: 'x' }) : value.replace('ARN', arn);
    await pg.sql`UPDATE ${table(schema, 'records')} SET value = ${bad} WHERE id = ${arn}`;
    const fresh = new Kms({ provider: pg.open(schema) });
    await expect(fresh.decrypt({ CiphertextBlob })).rejects.toThrow(KMSInternalException);
    await expect(fresh.listKeys({})).rejects.toThrow(/keys row .* (is not JSON|is not a record kmsbox writes)/);
    // A running process meets it in the change log.
    await pg.sql.begin(async (tx) => {
      const [meta] = await tx`UPDATE ${table(schema, 'meta')} SET version = version + 1 RETURNING version`;
      await tx`INSERT INTO ${table(schema, 'changes')} (version, ord, collection, id, value) VALUES (${meta!.version}, 0, 'keys', ${arn}, ${bad})`;
    });
    await expect(kms.decrypt({ CiphertextBlob })).rejects.toThrow(KMSInternalException);
    // Put right (a newer change with the good row): both serve again.
    await pg.sql.begin(async (tx) => {
      const [meta] = await tx`UPDATE ${table(schema, 'meta')} SET version = version + 1 RETURNING version`;
      await tx`INSERT INTO ${table(schema, 'changes')} (version, ord, collection, id, value) VALUES (${meta!.version}, 0, 'keys', ${arn}, ${good})`;
      await tx`UPDATE ${table(schema, 'records')} SET value = ${good} WHERE id = ${arn}`;
    });
    await expect(kms.decrypt({ CiphertextBlob })).resolves.toMatchObject({ KeyId: arn });
    await expect(new Kms({ provider: pg.open(schema) }).decrypt({ CiphertextBlob })).resolves.toMatchObject({ KeyId: arn });
  });
}

test('a key record filed under another key id is refused', async () => {
  const schema = pg.schema();
  const { kms, arn } = await storeWithKey(schema);
  const { KeyMetadata } = await kms.createKey({});
  await pg.sql`UPDATE ${table(schema, 'records')} SET value = (SELECT value FROM ${table(schema, 'records')} WHERE id = ${arn}) WHERE id = ${KeyMetadata!.Arn!}`;
  await expect(new Kms({ provider: pg.open(schema) }).listKeys({})).rejects.toThrow(/filed under another id/);
});

test('a change-log row in a collection kmsbox does not know is refused', async () => {
  const schema = pg.schema();
  const { kms } = await storeWithKey(schema);
  await pg.sql.begin(async (tx) => {
    const [meta] = await tx`UPDATE ${table(schema, 'meta')} SET version = version + 1 RETURNING version`;
    await tx`INSERT INTO ${table(schema, 'changes')} (version, ord, collection, id, value) VALUES (${meta!.version}, 0, 'users', 'x', '{}')`;
  });
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
