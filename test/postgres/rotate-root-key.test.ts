// changeDatabaseRootKey (`kmsbox db rotate-root-key`) on a real PostgreSQL server: every material
// row re-sealed and every record and change-log row re-MAC'd under the new root key, none left
// under the old; processes still holding the old key stop with a typed error and write nothing;
// a wrong old key changes nothing; writes racing the rotation either land before it (and are
// re-sealed) or fail typed.
import { AccessDeniedException, Kms, KMSInternalException, ValidationException } from 'kmsbox';
import { changeDatabaseRootKey, type PostgresProvider } from 'kmsbox/postgres';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cliBundle } from '../cli/cli-bundle.js';
import { deriveRootKey, materialKey, openMaterial, parseKdf, RowAuthenticator } from '../../src/providers/postgres/root-key.js';
import { dumpSchema, PASSPHRASE, usePostgres } from './fixtures.js';

const pg = usePostgres('rotation');
const NEW = 'a new passphrase for the team';
const text = new TextEncoder();

const dump = (schema: string) => dumpSchema(pg.sql, schema);

/** The keys derived from `passphrase` under the store's current derivation (as the provider derives them). */
async function keysFor(schema: string, passphrase: string): Promise<{ material: Uint8Array; rows: RowAuthenticator }> {
  const [meta] = await pg.sql<{ store_id: string; kdf: string }[]>`SELECT store_id, kdf FROM ${pg.sql(`${schema}.meta`)}`;
  const rootKey = deriveRootKey({ passphrase }, parseKdf(meta!.kdf));
  return { material: materialKey(rootKey), rows: new RowAuthenticator(rootKey, meta!.store_id) };
}

/** How many record, change-log and material rows verify (open) under `keys`, of how many. */
async function verifying(schema: string, keys: { material: Uint8Array; rows: RowAuthenticator }) {
  const s = (name: string) => pg.sql(`${schema}.${name}`);
  const [meta] = await pg.sql<{ store_id: string }[]>`SELECT store_id FROM ${s('meta')}`;
  const records = await pg.sql<{ collection: string; id: string; value: string; mac: string }[]>`SELECT * FROM ${s('records')}`;
  const changes = await pg.sql<{ collection: string; id: string; value: string | null; mac: string }[]>`SELECT * FROM ${s('changes')}`;
  const material = await pg.sql<{ id: string; spec: string; nonce: Uint8Array; sealed: Uint8Array }[]>`SELECT * FROM ${s('material')}`;
  return {
    records: [records.filter((r) => keys.rows.verify(r.collection, r.id, r.value, r.mac)).length, records.length],
    changes: [changes.filter((r) => keys.rows.verify(r.collection, r.id, r.value, r.mac)).length, changes.length],
    material: [material.filter((m) => openMaterial(keys.material, meta!.store_id, m.id, m.spec, m) !== undefined).length, material.length],
  };
}

/** A store with keys of several kinds, aliases, a grant, a disabled and re-enabled key, imported and destroyed material. */
async function seed(provider: PostgresProvider) {
  const kms = new Kms({ provider });
  const made: { keyId: string; alias: string; blob: Uint8Array }[] = [];
  for (let i = 0; i < 3; i++) {
    const { KeyMetadata } = await kms.createKey({ Description: `key ${i}` });
    const keyId = KeyMetadata!.KeyId!;
    await kms.createAlias({ AliasName: `alias/k${i}`, TargetKeyId: keyId });
    const { CiphertextBlob } = await kms.encrypt({ KeyId: `alias/k${i}`, Plaintext: text.encode(`secret ${i}`) });
    made.push({ keyId, alias: `alias/k${i}`, blob: CiphertextBlob! });
  }
  await kms.disableKey({ KeyId: made[1]!.keyId });
  await kms.enableKey({ KeyId: made[1]!.keyId });
  await kms.rotateKeyOnDemand({ KeyId: made[0]!.keyId });
  await kms.createGrant({ KeyId: made[2]!.keyId, GranteePrincipal: 'arn:aws:iam::111122223333:role/app', Operations: ['Decrypt'] });
  await kms.createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
  const imported = new Uint8Array(32).map((_, i) => (i * 53 + 7) & 0xff);
  await provider.importMaterial('SYMMETRIC_DEFAULT', imported, 'ab'.repeat(32));
  const gone = await provider.createMaterial('SYMMETRIC_DEFAULT');
  await provider.destroyMaterial([gone]);
  return { made, imported };
}

async function expectServed(provider: PostgresProvider, made: Awaited<ReturnType<typeof seed>>['made']): Promise<void> {
  const kms = new Kms({ provider });
  for (const [i, m] of made.entries()) {
    const { Plaintext } = await kms.decrypt({ CiphertextBlob: m.blob });
    expect(new TextDecoder().decode(Plaintext)).toBe(`secret ${i}`);
    expect((await kms.describeKey({ KeyId: m.alias })).KeyMetadata!.KeyId).toBe(m.keyId);
    await kms.encrypt({ KeyId: m.alias, Plaintext: text.encode('again') });
  }
  expect((await kms.listGrants({ KeyId: made[2]!.keyId })).Grants).toHaveLength(1);
}

describe('changeDatabaseRootKey', () => {
  it('re-seals every row under the new key; the old key opens none; a running old-key provider stops typed and writes nothing', async () => {
    const schema = pg.schema();
    const running = pg.open(schema);
    const { made, imported } = await seed(running);
    const oldKeys = await keysFor(schema, PASSPHRASE);
    const before = await verifying(schema, oldKeys);
    expect(before.records[0]).toBe(before.records[1]);
    expect(before.changes[1]).toBeGreaterThan(5);
    const versionOf = async () =>
      Number((await pg.sql<{ version: string }[]>`SELECT version FROM ${pg.sql(`${schema}.meta`)}`)[0]!.version);
    const version = await versionOf();

    const counts = await changeDatabaseRootKey({ url: pg.url, schema, passphrase: PASSPHRASE, newPassphrase: NEW, scrypt: { N: 2 ** 10 } });
    expect(counts).toEqual({ records: before.records[1], changes: before.changes[1], material: before.material[1] });

    expect(await versionOf()).toBe(version + 1); // an old-key commit in flight loses its race
    const underOld = await verifying(schema, oldKeys);
    expect([underOld.records[0], underOld.changes[0], underOld.material[0]]).toEqual([0, 0, 0]);
    const underNew = await verifying(schema, await keysFor(schema, NEW));
    expect(underNew).toEqual({ records: before.records, changes: before.changes, material: before.material });
    const all = await dump(schema);
    for (const encoded of [Buffer.from(imported).toString('hex'), Buffer.from(imported).toString('base64')])
      expect(all).not.toContain(encoded);

    // The provider that had the store open with the old key: typed errors, nothing written.
    const kms = new Kms({ provider: running });
    const read = kms.describeKey({ KeyId: made[0]!.keyId });
    await expect(read).rejects.toBeInstanceOf(AccessDeniedException);
    await expect(read).rejects.toThrow(/root key was changed .*Restart with the new root key/);
    await expect(kms.decrypt({ CiphertextBlob: made[0]!.blob })).rejects.toThrow(/root key was changed/);
    await expect(kms.createKey({})).rejects.toThrow(/root key was changed/);
    await expect(running.createMaterial('SYMMETRIC_DEFAULT')).rejects.toThrow(/root key was changed/);
    await expect(running.destroyMaterial([made[0]!.keyId])).rejects.toThrow(/root key was changed/);
    await expect(running.importMaterial('SYMMETRIC_DEFAULT', imported, 'cd'.repeat(32))).rejects.toThrow(/root key was changed/);
    expect(await dump(schema)).toBe(all);

    // New processes: the new key serves everything made before; the old one is a wrong key.
    await expectServed(pg.open(schema, { passphrase: NEW }), made);
    await expect(new Kms({ provider: pg.open(schema) }).listKeys({})).rejects.toThrow(/wrong passphrase or root key/);
  });

  it('a provider in freshness notify that had the store open with the old key is told by the notification (no staleness bound needed)', async () => {
    const schema = pg.schema();
    const { made } = await seed(pg.open(schema));
    const listening = pg.open(schema, { freshness: 'notify', maxStaleness: 3_600_000 });
    const kms = new Kms({ provider: listening });
    await kms.describeKey({ KeyId: made[0]!.keyId }); // open, caught up, listening
    for (let i = 0; !listening.replicaStats.listening; i++) {
      if (i > 400) throw new Error('the listener never listened');
      await new Promise((r) => setTimeout(r, 50));
    }
    await kms.describeKey({ KeyId: made[0]!.keyId }); // the catch-up a (re)listen asks for
    const pulls = listening.replicaStats.pulls;
    await kms.describeKey({ KeyId: made[0]!.keyId });
    expect(listening.replicaStats.pulls).toBe(pulls); // served from its replica: only a notification makes it look
    await changeDatabaseRootKey({ url: pg.url, schema, passphrase: PASSPHRASE, newPassphrase: NEW, scrypt: { N: 2 ** 10 } });
    for (let i = 0; ; i++) {
      const outcome = await kms.describeKey({ KeyId: made[0]!.keyId }).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (outcome !== undefined) {
        expect(outcome).toBeInstanceOf(AccessDeniedException);
        expect(String((outcome as Error).message)).toMatch(/root key was changed/);
        break;
      }
      if (i > 400) throw new Error('the rotation was never noticed');
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it('a wrong current key, the same key, no store or bad options change nothing', async () => {
    const schema = pg.schema();
    await seed(pg.open(schema));
    const before = await dump(schema);
    const attempt = changeDatabaseRootKey({ url: pg.url, schema, passphrase: 'not it', newPassphrase: NEW });
    await expect(attempt).rejects.toBeInstanceOf(AccessDeniedException);
    await expect(attempt).rejects.toThrow(/wrong passphrase or root key/);
    await expect(changeDatabaseRootKey({ url: pg.url, schema, passphrase: PASSPHRASE })).rejects.toBeInstanceOf(ValidationException);
    await expect(
      changeDatabaseRootKey({ url: pg.url, schema, passphrase: PASSPHRASE, newPassphrase: NEW, scrypt: { N: 1000 } }),
    ).rejects.toBeInstanceOf(ValidationException);
    await expect(changeDatabaseRootKey({ url: 'mysql://x', passphrase: PASSPHRASE, newPassphrase: NEW })).rejects.toBeInstanceOf(
      ValidationException,
    );
    await expect(changeDatabaseRootKey({ url: pg.url, schema: pg.schema(), passphrase: PASSPHRASE, newPassphrase: NEW })).rejects.toThrow(
      /schema .* is at version 0/,
    );
    expect(await dump(schema)).toBe(before);
    // A forged row is not laundered under the new key: refused, nothing changed.
    await pg.sql`UPDATE ${pg.sql(`${schema}.records`)} SET value = replace(value, 'key 0', 'key X') WHERE value LIKE '%key 0%'`;
    const forged = await dump(schema);
    const refused = changeDatabaseRootKey({ url: pg.url, schema, passphrase: PASSPHRASE, newPassphrase: NEW });
    await expect(refused).rejects.toBeInstanceOf(KMSInternalException);
    await expect(refused).rejects.toThrow(/not authentic under the current root key .*nothing was changed/);
    expect(await dump(schema)).toBe(forged);
  });

  it('a material row no record names that does not open (the orphan of an earlier rotation) is left as it is; one a key names is refused', async () => {
    const schema = pg.schema();
    const { made } = await seed(pg.open(schema));
    const material = pg.sql(`${schema}.material`);
    // What a rotation that died before its sweep leaves: a row sealed under a key the store no longer has.
    const orphan = { id: 'ef'.repeat(32), spec: 'SYMMETRIC_DEFAULT', nonce: Buffer.alloc(12, 1), sealed: Buffer.alloc(48, 2) };
    await pg.sql`INSERT INTO ${material} ${pg.sql(orphan)}`;
    await changeDatabaseRootKey({ url: pg.url, schema, passphrase: PASSPHRASE, newPassphrase: NEW, scrypt: { N: 2 ** 10 } });
    const [kept] = await pg.sql<{ sealed: Uint8Array }[]>`SELECT sealed FROM ${material} WHERE id = ${orphan.id}`;
    expect(Buffer.from(kept!.sealed).equals(orphan.sealed)).toBe(true);
    await expectServed(pg.open(schema, { passphrase: NEW }), made);

    // A key's material damaged: the rotation refuses it and changes nothing.
    const [named] = await pg.sql<{ id: string }[]>`
      SELECT m.id FROM ${material} m WHERE EXISTS (SELECT 1 FROM ${pg.sql(`${schema}.records`)} r WHERE strpos(r.value, m.id) > 0) LIMIT 1`;
    await pg.sql`UPDATE ${material} SET sealed = set_byte(sealed, 0, get_byte(sealed, 0) # 1) WHERE id = ${named!.id}`;
    const before = await dump(schema);
    const refused = changeDatabaseRootKey({ url: pg.url, schema, passphrase: NEW, newPassphrase: PASSPHRASE, scrypt: { N: 2 ** 10 } });
    await expect(refused).rejects.toThrow(new RegExp(`key material ${named!.id} is not authentic`));
    expect(await dump(schema)).toBe(before);
  });

  it('an interrupted rotation that froze the store: every process is told to run it again, and running it again completes', async () => {
    const schema = pg.schema();
    const { made } = await seed(pg.open(schema));
    // What the freeze (after commits kept winning the race) leaves if the process dies right after it.
    await pg.sql`UPDATE ${pg.sql(`${schema}.meta`)} SET check_value = 'rotating:' || check_value, version = version + 1`;
    await expect(new Kms({ provider: pg.open(schema) }).listKeys({})).rejects.toThrow(
      /frozen by a root key change .*rotate-root-key again/,
    );
    await changeDatabaseRootKey({ url: pg.url, schema, passphrase: PASSPHRASE, newPassphrase: NEW });
    await expectServed(pg.open(schema, { passphrase: NEW }), made);
  });

  it('writes racing the rotation from old-key processes: each lands before it (and is re-sealed) or fails typed; nothing acknowledged is lost', async () => {
    const schema = pg.schema();
    await pg.open(schema).ready();
    const writers = [0, 1, 2].map(() => pg.open(schema));
    const acked: { keyId: string; alias: string }[] = [];
    const failures: unknown[] = [];
    let progress = 0;
    let rotationDone = false;
    const loops = writers.map(async (provider, w) => {
      const kms = new Kms({ provider });
      for (let i = 0; i < 5000; i++) {
        try {
          const { KeyMetadata } = await kms.createKey({});
          const alias = `alias/w${w}-${i}`;
          await kms.createAlias({ AliasName: alias, TargetKeyId: KeyMetadata!.KeyId! });
          acked.push({ keyId: KeyMetadata!.KeyId!, alias });
          progress++;
        } catch (error) {
          failures.push(error);
          return;
        }
      }
      throw new Error(`writer ${w} was never stopped (rotation done: ${rotationDone})`);
    });
    // Rotation starts once the writers are under way (acknowledged writes, not a delay).
    while (progress < 6 && failures.length === 0) await new Promise((r) => setTimeout(r, 5));
    await changeDatabaseRootKey({ url: pg.url, schema, passphrase: PASSPHRASE, newPassphrase: NEW, scrypt: { N: 2 ** 10 } });
    rotationDone = true;
    await Promise.all(loops);
    expect(failures).toHaveLength(3);
    for (const f of failures) {
      expect(f).toBeInstanceOf(AccessDeniedException);
      expect((f as Error).message).toMatch(/root key was changed/);
    }
    // Every row is under the new key, none under the old; every acknowledged key and alias is served.
    const underNew = await verifying(schema, await keysFor(schema, NEW));
    expect(underNew.records[0]).toBe(underNew.records[1]);
    expect(underNew.changes[0]).toBe(underNew.changes[1]);
    expect(underNew.material[0]).toBe(underNew.material[1]);
    const kms = new Kms({ provider: pg.open(schema, { passphrase: NEW }) });
    for (const a of acked) {
      expect((await kms.describeKey({ KeyId: a.alias })).KeyMetadata!.KeyId).toBe(a.keyId);
      await kms.encrypt({ KeyId: a.alias, Plaintext: text.encode('x') });
    }
    expect(acked.length).toBeGreaterThanOrEqual(6);
  }, 120_000);

  it('kmsbox db rotate-root-key: the old key from KMSBOX_PASSPHRASE, the new from KMSBOX_NEW_PASSPHRASE', async () => {
    const schema = pg.schema();
    const { made } = await seed(pg.open(schema));
    const env: Record<string, string | undefined> = {
      ...process.env,
      NODE_OPTIONS: '',
      KMSBOX_PASSPHRASE: PASSPHRASE,
      KMSBOX_NEW_PASSPHRASE: NEW,
    };
    delete env.KMSBOX_POSTGRES_URL;
    const args = [cliBundle, 'db', 'rotate-root-key', '--postgres', pg.url, '--postgres-schema', schema];
    const { stdout } = await promisify(execFile)(process.execPath, args, { env, timeout: 120_000 });
    expect(stdout).toMatch(
      new RegExp(`^schema ${schema} in .*: re-sealed under the new root key \\(\\d+ records, \\d+ change-log rows, 6 key materials\\)`),
    );
    await expectServed(pg.open(schema, { passphrase: NEW }), made);
    // Again with the old key: refused (exit 1), nothing changed.
    const before = await dump(schema);
    const again = promisify(execFile)(process.execPath, args, { env, timeout: 120_000 });
    await expect(again).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/wrong passphrase or root key/) });
    expect(await dump(schema)).toBe(before);
  }, 120_000);
});
