/// <reference types="node" />
/**
 * Changing the PostgreSQL store's root key (`kmsbox db rotate-root-key`, changeDatabaseRootKey):
 * every material row re-sealed, every record and change-log row re-MAC'd, and `meta`'s derivation
 * and check value replaced, in ONE statement gated on the version and check value it read (the
 * `UPDATE ... FROM unnest(...)` of backend.ts's commits): it applies whole or not at all, and a
 * commit that came in between (every commit moves the version) makes it apply nothing and start
 * again. No client-side transaction (backend.ts's header, porsager/postgres#1154).
 *
 * Offline for the old key: the statement also moves the version, so a commit of a process still
 * holding the old key loses its race, and every write is gated on the check value (backend.ts
 * `bump`, provider.ts createMaterial): such a process finds the new check value on its next pull
 * and stops with AccessDeniedException ("its root key was changed"), never writing under the old
 * key (the statement notifies, so processes in freshness 'notify' pull at once). The one write not gated on the version, a new material row (written before the record that
 * uses it), holds the meta row shared while it inserts: it either committed before the rotation's
 * statement took the row (and is re-sealed by the sweep that follows the statement) or finds the
 * new check value and writes nothing.
 *
 * Commits that keep winning the race (a busy store) make it freeze the store after a few attempts:
 * the check value becomes `rotating:<current check value>`, which every write of every process is
 * gated on, so the next attempt cannot lose. Interrupted between the two, the store refuses every
 * process (provider.ts says to run the command again) until the command is run again.
 *
 * The audit trail (`audit`) is a SHA-256 hash chain with no key (src/audit/chain.ts): nothing in
 * it depends on the root key, so it is left as it is.
 */
import type postgres from 'postgres';
import { AccessDeniedException, KMSInternalException, ValidationException } from '../../errors.js';
import { DEFAULT_SCRYPT_N, type KdfParams, SCRYPT_LIMITS, sameKdf, scryptParamsProblem } from '../store-file.js';
import { checkSchemaName, DEFAULT_SCHEMA, newerSchema, SCHEMA_VERSION, schemaVersion } from './migrations.js';
import { changeChannel } from './listener.js';
import { connect, guardWithin } from './provider.js';
import { checkValue, deriveRootKey, materialKey, newKdf, openMaterial, parseKdf, RowAuthenticator, sealMaterial } from './root-key.js';

export interface ChangeDatabaseRootKeyOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** The schema holding kmsbox's tables. Default `kmsbox`. */
  schema?: string;
  /** The current root key: its passphrase, or its root key file (exactly one). */
  passphrase?: string;
  rootKeyFile?: string;
  /** The new root key: a passphrase (scrypt with a fresh salt), or a root key file (exactly one). */
  newPassphrase?: string;
  newRootKeyFile?: string;
  /** scrypt cost for a new passphrase. Default: the store's current N (2^17 if it had a root key file). */
  scrypt?: { N?: number };
  /** How long one database call may take (the re-sealing statement is O(store)). Default 120,000 ms. */
  timeoutMs?: number;
}

/** What was re-sealed or re-MAC'd. */
export interface ChangedRootKey {
  readonly records: number;
  readonly changes: number;
  readonly material: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;
/** Commits of other processes that may make the statement start again before the store is frozen for it. */
const OPTIMISTIC_ATTEMPTS = 3;
/** The check value of a store frozen for a root key change: the current key's, with this prefix (no process writes then). */
export const FROZEN_PREFIX = 'rotating:';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function checkOptions(o: ChangeDatabaseRootKeyOptions): void {
  if (o === null || typeof o !== 'object' || typeof o.url !== 'string' || !/^postgres(ql)?:\/\//.test(o.url)) {
    throw new ValidationException({ message: 'changeDatabaseRootKey needs a postgres:// or postgresql:// url.' });
  }
  for (const [current, next] of [
    ['passphrase', 'rootKeyFile'],
    ['newPassphrase', 'newRootKeyFile'],
  ] as const) {
    if ((o[current] === undefined) === (o[next] === undefined)) {
      throw new ValidationException({ message: `changeDatabaseRootKey needs exactly one of ${current} and ${next}.` });
    }
    for (const name of [current, next]) {
      const v = o[name];
      if (v !== undefined && (typeof v !== 'string' || v.length === 0)) {
        throw new ValidationException({ message: `changeDatabaseRootKey ${name} must be a non-empty string.` });
      }
    }
  }
  if (o.schema !== undefined) checkSchemaName(o.schema);
  if (o.scrypt?.N !== undefined) {
    const problem = scryptParamsProblem(o.scrypt.N, SCRYPT_LIMITS.r, SCRYPT_LIMITS.p);
    if (problem !== undefined) throw new ValidationException({ message: `changeDatabaseRootKey scrypt: ${problem}.` });
  }
  const t = o.timeoutMs;
  if (t !== undefined && (typeof t !== 'number' || !Number.isInteger(t) || t < 100 || t > 600_000)) {
    throw new ValidationException({ message: 'changeDatabaseRootKey timeoutMs must be an integer from 100 to 600000.' });
  }
}

type Meta = { store_id: string; kdf: string; check_value: string; version: string };
type RecordRow = { collection: string; id: string; value: string; mac: string };
type ChangeRow = { version: string; ord: number; collection: string; id: string; value: string | null; mac: string };
type MaterialRow = { id: string; spec: string; nonce: Uint8Array; sealed: Uint8Array };

/** The keys derived from one root key: to open/seal material and to MAC rows. */
interface Keys {
  readonly kdf: KdfParams;
  readonly check: string;
  readonly material: Uint8Array;
  readonly rows: RowAuthenticator;
}

function keysOf(rootKey: Uint8Array, kdf: KdfParams, storeId: string): Keys {
  try {
    return { kdf, check: checkValue(rootKey), material: materialKey(rootKey), rows: new RowAuthenticator(rootKey, storeId) };
  } finally {
    rootKey.fill(0);
  }
}

/**
 * Re-seals the PostgreSQL store under a new root key (this file's header). Processes that have the
 * store open with the old key fail from their next request (AccessDeniedException): restart them
 * with the new one. A wrong current key, or a row that is not authentic under it, changes nothing.
 */
export async function changeDatabaseRootKey(options: ChangeDatabaseRootKeyOptions): Promise<ChangedRootKey> {
  checkOptions(options);
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let sql: postgres.Sql;
  try {
    sql = connect(options.url, 2, timeoutMs);
  } catch {
    throw new ValidationException({ message: 'changeDatabaseRootKey: the url is not a URL postgres.js can connect with.' });
  }
  const guard = guardWithin(timeoutMs);
  const table = (name: string) => sql(`${schema}.${name}`);
  const current = { passphrase: options.passphrase, rootKeyFile: options.rootKeyFile };
  const next = { passphrase: options.newPassphrase, rootKeyFile: options.newRootKeyFile };
  const wipe: Uint8Array[] = [];
  try {
    const found = await guard('opening the store', () => schemaVersion(sql, schema));
    if (found > SCHEMA_VERSION) throw newerSchema(schema, found);
    if (found < SCHEMA_VERSION) {
      throw new KMSInternalException({
        message: `The PostgreSQL schema "${schema}" is at version ${found}, this kmsbox needs ${SCHEMA_VERSION}: run \`kmsbox db migrate\` first.`,
      });
    }
    let old: Keys | undefined;
    let fresh: Keys | undefined;
    for (let attempt = 0; ; attempt++) {
      const [meta] = await guard('reading the store', () => sql<Meta[]>`SELECT store_id, kdf, check_value, version FROM ${table('meta')}`);
      if (meta === undefined)
        throw new ValidationException({ message: `There is no key store in schema "${schema}" to change the root key of.` });
      const kdf = parseKdf(meta.kdf);
      // Frozen by an earlier attempt (this one's, or one that was interrupted): still the current key's.
      const frozen = meta.check_value.startsWith(FROZEN_PREFIX);
      const currentCheck = frozen ? meta.check_value.slice(FROZEN_PREFIX.length) : meta.check_value;
      if (old === undefined || old.check !== currentCheck || !sameKdf(old.kdf, kdf)) {
        old = keysOf(deriveRootKey(current, kdf), kdf, meta.store_id);
        wipe.push(old.material);
        if (old.check !== currentCheck) {
          throw new AccessDeniedException({
            message: `Cannot open the PostgreSQL key store (schema "${schema}"): wrong passphrase or root key.`,
          });
        }
      }
      if (fresh === undefined) {
        const newParams = newKdf(next, options.scrypt?.N ?? (kdf.name === 'scrypt' ? kdf.N : DEFAULT_SCRYPT_N));
        fresh = keysOf(deriveRootKey(next, newParams), newParams, meta.store_id);
        wipe.push(fresh.material);
        if (fresh.check === old.check) throw new ValidationException({ message: 'The new root key is the current one.' });
      }
      if (!frozen && attempt >= OPTIMISTIC_ATTEMPTS) {
        // Other processes kept committing in between: stop their writes (each is gated on the check
        // value) so the next attempt cannot lose. Until it completes, the store serves nobody:
        // interrupted here, run this again.
        const frozenCheck = FROZEN_PREFIX + old.check;
        await guard(
          'freezing the store',
          () => sql`WITH frozen AS (
            UPDATE ${table('meta')} SET version = version + 1, check_value = ${frozenCheck} WHERE check_value = ${currentCheck} RETURNING version
          ) SELECT pg_notify(${changeChannel(schema)}, version::text) FROM frozen`,
        );
        continue;
      }
      const { records, changes, material } = await guard('reading the store', async () => ({
        records: await sql<RecordRow[]>`SELECT collection, id, value, mac FROM ${table('records')}`,
        changes: await sql<ChangeRow[]>`SELECT version::text AS version, ord, collection, id, value, mac FROM ${table('changes')}`,
        material: await sql<MaterialRow[]>`SELECT id, spec, nonce, sealed FROM ${table('material')}`,
      }));
      // Verified under the old key first: a forged row must not come out MAC'd under the new one.
      const notAuthentic = (what: string) =>
        new KMSInternalException({
          message: `Cannot change the root key of the PostgreSQL key store (schema "${schema}"): ${what} is not authentic under the current root key (changed outside kmsbox); nothing was changed.`,
        });
      for (const r of records)
        if (!old.rows.verify(r.collection, r.id, r.value, r.mac))
          throw notAuthentic(`its ${r.collection} row ${JSON.stringify(r.id.slice(0, 200))}`);
      for (const c of changes)
        if (!old.rows.verify(c.collection, c.id, c.value, c.mac)) throw notAuthentic(`its change-log row ${c.version}/${c.ord}`);
      let referenced: string | undefined; // every record's value, joined, built only if a row does not open
      const resealed = material.flatMap((m) => {
        const bytes = openMaterial(old!.material, meta.store_id, m.id, m.spec, m);
        if (bytes === undefined) {
          // A row no record names is of no use to anyone: an earlier rotation's orphan (a material row
          // inserted just before it, whose CreateKey could then not commit, left under the key before
          // if that rotation died before its sweep). Left as it is, so it cannot block every later
          // rotation. A row a record names (a JSON string in it) is refused as not authentic.
          referenced ??= records.map((r) => r.value).join('\n');
          if (!referenced.includes(JSON.stringify(m.id))) return [];
          throw notAuthentic(`key material ${m.id}`);
        }
        try {
          return [{ id: m.id, was: hex(m.sealed), ...sealMaterial(fresh!.material, meta.store_id, m.id, m.spec, bytes) }];
        } finally {
          bytes.fill(0);
        }
      });
      const newKdfText = JSON.stringify(fresh.kdf);
      const [done] = await guard(
        're-sealing the store',
        () => sql<{ version: string; records: string; changes: string; material: string }[]>`
        WITH bump AS (
          UPDATE ${table('meta')} SET version = version + 1, kdf = ${newKdfText}, check_value = ${fresh!.check}
          WHERE version = ${meta.version} AND check_value = ${meta.check_value} RETURNING version
        ),
        rec AS (
          UPDATE ${table('records')} t SET mac = n.mac FROM bump, unnest(
            ${sql.array(records.map((r) => r.collection))}::text[], ${sql.array(records.map((r) => r.id))}::text[],
            ${sql.array(records.map((r) => r.value))}::text[], ${sql.array(records.map((r) => fresh!.rows.mac(r.collection, r.id, r.value)))}::text[]
          ) AS n(collection, id, value, mac)
          WHERE t.collection = n.collection AND t.id = n.id AND t.value = n.value RETURNING 1
        ),
        chg AS (
          UPDATE ${table('changes')} t SET mac = n.mac FROM bump, unnest(
            ${sql.array(changes.map((c) => c.version))}::text[], ${sql.array(changes.map((c) => String(c.ord)))}::text[],
            ${sql.array(changes.map((c) => c.collection))}::text[], ${sql.array(changes.map((c) => c.id))}::text[],
            ${sql.array(changes.map((c) => c.value))}::text[], ${sql.array(changes.map((c) => fresh!.rows.mac(c.collection, c.id, c.value)))}::text[]
          ) AS n(version, ord, collection, id, value, mac)
          WHERE t.version = n.version::bigint AND t.ord = n.ord::integer AND t.collection = n.collection AND t.id = n.id
            AND t.value IS NOT DISTINCT FROM n.value RETURNING 1
        ),
        mat AS (
          UPDATE ${table('material')} t SET nonce = decode(n.nonce, 'hex'), sealed = decode(n.sealed, 'hex') FROM bump, unnest(
            ${sql.array(resealed.map((m) => m.id))}::text[], ${sql.array(resealed.map((m) => m.was))}::text[],
            ${sql.array(resealed.map((m) => hex(m.nonce)))}::text[], ${sql.array(resealed.map((m) => hex(m.sealed)))}::text[]
          ) AS n(id, was, nonce, sealed)
          WHERE t.id = n.id AND t.sealed = decode(n.was, 'hex') RETURNING 1
        )
        SELECT bump.version::text AS version, (SELECT count(*) FROM rec)::text AS records,
          (SELECT count(*) FROM chg)::text AS changes, (SELECT count(*) FROM mat)::text AS material,
          pg_notify(${changeChannel(schema)}, bump.version::text) FROM bump`,
      );
      if (done === undefined) continue; // a commit came first: read again (frozen after a few)
      const swept = await sweepMaterial(sql, guard, table, meta.store_id, old, fresh);
      const counts = { records: Number(done.records), changes: Number(done.changes), material: Number(done.material) + swept };
      if (counts.records !== records.length || counts.changes !== changes.length) {
        throw new KMSInternalException({
          message: `The root key of the PostgreSQL key store (schema "${schema}") was changed, but ${records.length - counts.records + changes.length - counts.changes} rows were changed outside kmsbox meanwhile and no longer verify.`,
        });
      }
      return counts;
    }
  } finally {
    for (const key of wipe) key.fill(0);
    await sql.end({ timeout: 5 }).catch(() => undefined);
  }
}

/**
 * Material rows inserted under the old key while the statement was being prepared (createMaterial
 * committed before the statement took the meta row): re-sealed under the new key, each gated on
 * its sealed bytes and the new check value. None can be inserted under the old key any more.
 */
async function sweepMaterial(
  sql: postgres.Sql,
  guard: ReturnType<typeof guardWithin>,
  table: (name: string) => postgres.Helper<string>,
  storeId: string,
  old: Keys,
  fresh: Keys,
): Promise<number> {
  const rows = await guard('reading key material', () => sql<MaterialRow[]>`SELECT id, spec, nonce, sealed FROM ${table('material')}`);
  let swept = 0;
  for (const m of rows) {
    const under = openMaterial(fresh.material, storeId, m.id, m.spec, m);
    if (under !== undefined) {
      under.fill(0);
      continue;
    }
    const bytes = openMaterial(old.material, storeId, m.id, m.spec, m);
    if (bytes === undefined) continue; // not this store's under either key: refused when used, as before
    const { nonce, sealed } = sealMaterial(fresh.material, storeId, m.id, m.spec, bytes);
    bytes.fill(0);
    await guard(
      're-sealing key material',
      () => sql`UPDATE ${table('material')} t SET nonce = ${nonce}, sealed = ${sealed} FROM ${table('meta')} m
        WHERE t.id = ${m.id} AND t.sealed = ${m.sealed} AND m.check_value = ${fresh.check}`,
    );
    swept++;
  }
  return swept;
}
