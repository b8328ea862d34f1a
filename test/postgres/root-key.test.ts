// The root key never reaches the database, and the database alone yields no key material; a wrong
// passphrase or root key is refused before anything is read or written.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessDeniedException, Kms, ValidationException } from 'kmsbox';
import { PostgresProvider } from 'kmsbox/postgres';
import { expect, test } from 'vitest';
import { dumpSchema, PASSPHRASE, usePostgres } from './fixtures.js';

const pg = usePostgres('rootkey');

const dump = (schema: string) => dumpSchema(pg.sql, schema);

test('imported material appears nowhere in the database, in any encoding', async () => {
  const schema = pg.schema();
  const provider = pg.open(schema);
  const material = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff);
  const id = 'cd'.repeat(32);
  await provider.importMaterial('SYMMETRIC_DEFAULT', material, id);
  await provider.createMaterial('HMAC_256');
  const all = await dump(schema);
  expect(all).toContain(id); // the dump does show the rows
  const hex = Buffer.from(material).toString('hex');
  for (const encoded of [
    hex,
    Buffer.from(material).toString('base64'),
    hex.slice(0, 16),
    Buffer.from(material).toString('base64').slice(0, 12),
  ]) {
    expect(all).not.toContain(encoded);
  }
  expect(all).not.toContain(PASSPHRASE);
});

test('a wrong passphrase is AccessDeniedException, and nothing is written', async () => {
  const schema = pg.schema();
  const kms = new Kms({ provider: pg.open(schema) });
  const { KeyMetadata } = await kms.createKey({});
  const before = await dump(schema);
  const wrong = new Kms({ provider: pg.open(schema, { passphrase: 'not the passphrase' }) });
  await expect(wrong.createKey({})).rejects.toBeInstanceOf(AccessDeniedException);
  await expect(wrong.describeKey({ KeyId: KeyMetadata!.KeyId! })).rejects.toBeInstanceOf(AccessDeniedException);
  await expect(wrong.encrypt({ KeyId: KeyMetadata!.KeyId!, Plaintext: new Uint8Array([1]) })).rejects.toBeInstanceOf(AccessDeniedException);
  expect(await dump(schema)).toBe(before);
});

test('a root key file opens only the store made with it; a passphrase does not open that store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kmsbox-pg-rootkey-'));
  const keyFile = join(dir, 'root.key');
  const otherFile = join(dir, 'other.key');
  writeFileSync(keyFile, 'a1'.repeat(32));
  writeFileSync(otherFile, Buffer.alloc(32, 7));
  const schema = pg.schema();
  const kms = new Kms({ provider: pg.open(schema, { passphrase: undefined, rootKeyFile: keyFile }) });
  const { KeyMetadata } = await kms.createKey({});
  const { CiphertextBlob } = await kms.encrypt({ KeyId: KeyMetadata!.KeyId!, Plaintext: new Uint8Array([5]) });
  const again = new Kms({ provider: pg.open(schema, { passphrase: undefined, rootKeyFile: keyFile }) });
  expect([...(await again.decrypt({ CiphertextBlob: CiphertextBlob! })).Plaintext!]).toEqual([5]);
  const other = new Kms({ provider: pg.open(schema, { passphrase: undefined, rootKeyFile: otherFile }) });
  await expect(other.decrypt({ CiphertextBlob: CiphertextBlob! })).rejects.toBeInstanceOf(AccessDeniedException);
  await expect(new Kms({ provider: pg.open(schema) }).listKeys({})).rejects.toBeInstanceOf(AccessDeniedException);
});

test('bad options are ValidationException before any connection', () => {
  const ok = { url: 'postgres://kmsbox@127.0.0.1:1/x', passphrase: 'p' };
  for (const bad of [
    {},
    { ...ok, url: 'mysql://x' },
    { url: ok.url },
    { ...ok, rootKeyFile: '/k' },
    { ...ok, passphrase: '' },
    { ...ok, scrypt: { N: 1000 } },
    { ...ok, scrypt: { N: 2 ** 30 } },
    { ...ok, schema: 'Robert"); DROP TABLE' },
    { ...ok, schema: '' },
    { ...ok, maxConnections: 0 },
    { ...ok, maxConnections: 1.5 },
    { ...ok, migrate: 'yes' },
    { ...ok, timeoutMs: 99 },
    { ...ok, timeoutMs: 1e9 },
    { ...ok, freshness: 'sometimes' },
    { ...ok, freshness: 1 },
    { ...ok, maxStaleness: -1 },
    { ...ok, maxStaleness: 1.5 },
    { ...ok, maxStaleness: '1000' },
    { ...ok, maxStaleness: 86_400_001 },
  ]) {
    expect(() => new PostgresProvider(bad as never), JSON.stringify(bad)).toThrow(ValidationException);
  }
});
