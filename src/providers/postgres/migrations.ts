/**
 * The PostgreSQL store's schema, as one ordered list of steps: step i brings a schema from
 * version i to i + 1, and `<schema>.schema_version` records where a database is. `migrate` runs
 * the pending steps in one implicit transaction (one query string) under an advisory lock, so two processes starting at once
 * do not both run a step (the second waits, then finds nothing to do), and a failed step leaves
 * the database as it was. A database at a newer version than this code is refused: its tables
 * may mean something this code does not know.
 *
 * Tables (version 1):
 * - `meta`: one row, made by the first process that opens the store with its root key: the store
 *   id, the root key's derivation (scrypt parameters, or a root key file), a check value that tells
 *   a wrong passphrase, the records' version (every commit moves it, only if it is still the one its decision was made on) and the
 *   oldest version the change log still holds.
 * - `records`: every record, as JSON text (records hold no secrets: src/keys/record.ts), with a
 *   MAC under the root key (root-key.ts).
 * - `changes`: the change log, one row per record written (value) or deleted (null) per version,
 *   MAC'd as records are; collection `material` marks material destroyed or replaced, so other
 *   processes drop their cache.
 * - `material`: key material, AES-256-GCM under a key derived from the root key (root-key.ts).
 * - `audit`: the audit trail, one JSON line per event, hash-chained as the file audit log is
 *   (src/audit/file-log.ts): `line` is `{seq, prev, event}`, `hash` its SHA-256 hex.
 */
import type postgres from 'postgres';
import { KMSInternalException, ValidationException } from '../../errors.js';

/** Each step, given the quoted schema name, is the SQL that makes version i + 1 from version i. */
const STEPS: readonly ((s: string) => string)[] = [
  (s) => `
    CREATE TABLE ${s}.meta (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      store_id text NOT NULL,
      kdf text NOT NULL,
      check_value text NOT NULL,
      version bigint NOT NULL DEFAULT 0,
      log_floor bigint NOT NULL DEFAULT 0
    );
    CREATE TABLE ${s}.records (
      collection text NOT NULL,
      id text NOT NULL,
      value text NOT NULL,
      mac text NOT NULL,
      version bigint NOT NULL,
      PRIMARY KEY (collection, id)
    );
    CREATE TABLE ${s}.changes (
      version bigint NOT NULL,
      ord integer NOT NULL,
      collection text NOT NULL,
      id text NOT NULL,
      value text,
      mac text NOT NULL,
      PRIMARY KEY (version, ord)
    );
    CREATE TABLE ${s}.material (
      id text PRIMARY KEY,
      spec text NOT NULL,
      nonce bytea NOT NULL,
      sealed bytea NOT NULL
    );
    CREATE TABLE ${s}.audit (
      seq bigint PRIMARY KEY,
      line text NOT NULL,
      hash text NOT NULL
    );`,
];

/** The schema version this code reads and writes. */
export const SCHEMA_VERSION: number = STEPS.length;

/** Default schema name. */
export const DEFAULT_SCHEMA = 'kmsbox';

/** A schema name kmsbox accepts: a plain lowercase identifier, so it is never quoted wrongly. */
export function checkSchemaName(schema: unknown): string {
  if (typeof schema !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new ValidationException({
      message: 'The PostgreSQL schema name must be 1 to 63 lowercase letters, digits or underscores, not starting with a digit.',
    });
  }
  return schema;
}

const quoted = (schema: string): string => `"${schema}"`;

/** The version a database's schema is at: 0 when kmsbox has never created it. */
export async function schemaVersion(sql: postgres.Sql | postgres.TransactionSql, schema: string): Promise<number> {
  // pg_class read as a table (this statement's snapshot), not to_regclass: a name looked up and not
  // found stays cached as missing on that connection until it next takes a relation lock, so the
  // check under the migration lock would not see a schema another process created meanwhile.
  const [exists] = await sql`
    SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = ${schema} AND c.relname = 'schema_version') AS present`;
  if (exists?.present !== true) return 0;
  const [row] = await sql.unsafe(`SELECT max(version) AS version FROM ${quoted(schema)}.schema_version`);
  return Number(row?.version ?? 0);
}

export function newerSchema(schema: string, found: number): KMSInternalException {
  return new KMSInternalException({
    message: `The PostgreSQL schema "${schema}" is at version ${found}, newer than this kmsbox (version ${SCHEMA_VERSION}): upgrade kmsbox; it will not use or change a schema it does not know.`,
  });
}

/**
 * Runs the pending steps as ONE simple-protocol query string (static SQL: the schema name is a
 * checked identifier, and there are no parameters). PostgreSQL runs the statements of one such
 * string as one implicit transaction and rolls it back itself if any fails, so the client never
 * holds a transaction open across round trips and never sends a ROLLBACK (postgres.js does that
 * on a dead connection and crashes the process: porsager/postgres#1154). The transaction-scoped
 * advisory lock named after the schema keeps two processes from running a step twice (the second
 * waits, then finds nothing to do); it is released with the transaction, or when the connection drops.
 */
export async function migrate(sql: postgres.Sql, schema: string): Promise<{ from: number; to: number }> {
  const s = quoted(schema);
  const found = await schemaVersion(sql, schema);
  if (found > SCHEMA_VERSION) throw newerSchema(schema, found);
  if (found === SCHEMA_VERSION) return { from: found, to: found };
  const steps = STEPS.map((step, v) => `IF v < ${v + 1} THEN ${step(s)} END IF;`).join('\n');
  const lock = `kmsbox migrate ${schema}`.replaceAll("'", "''");
  const results = (await sql.unsafe(
    `SELECT pg_advisory_xact_lock(hashtext('${lock}'));
    CREATE SCHEMA IF NOT EXISTS ${s};
    CREATE TABLE IF NOT EXISTS ${s}.schema_version (version integer NOT NULL);
    SELECT coalesce(max(version), 0) AS version FROM ${s}.schema_version;
    DO $migrate$ DECLARE v integer; BEGIN
      SELECT coalesce(max(version), 0) INTO v FROM ${s}.schema_version;
      IF v > ${SCHEMA_VERSION} THEN RAISE EXCEPTION 'the schema is at version %, newer than this kmsbox (${SCHEMA_VERSION})', v; END IF;
      ${steps}
      DELETE FROM ${s}.schema_version;
      INSERT INTO ${s}.schema_version (version) VALUES (${SCHEMA_VERSION});
    END $migrate$;`,
  )) as unknown as { version?: number }[][]; // no parameters: the simple protocol, several statements in one message
  // One result per statement that returns rows: the lock's, then the version's.
  const from = Number(results.flat().find((row) => row.version !== undefined)?.version ?? 0);
  return { from, to: SCHEMA_VERSION };
}
