/**
 * The records of a PostgreSQL store as a RecordBackend (../replica.ts): a version in the `meta`
 * row, every record in `records`, and a change log (`changes`) from which a replica catches up
 * on what changed since its version in one statement. A commit is optimistic and one statement:
 * the next version if the store is still at the version its decision was made on, and, gated on
 * that, the changed records and their change-log rows; a commit that lost the race pulls what came
 * before it and decides again (../replica.ts). No client-side transaction, so nothing for the client
 * to roll back when a connection dies mid-commit.
 *
 * Every statement that moves the version also sends `pg_notify(<the store's channel>, <version>)`
 * (listener.ts), only when it moved (the SELECT over `bump` has a row only then); PostgreSQL
 * delivers it when the statement commits, so a listener never hears of a change it cannot pull.
 *
 * The change log is pruned: every 1,000 versions, rows older than 10,000 versions go, and a
 * replica further behind than that loads every record again (`full`).
 */
import type postgres from 'postgres';
import type { RecordChange } from '../records.js';
import type { Pulled, RecordBackend } from '../replica.js';
import { changeToRow, MATERIAL_CHANGE, notAuthentic, rowToChange } from './record-rows.js';
import { changeChannel } from './listener.js';
import { type RowAuthenticator, rootKeyChanged } from './root-key.js';

/** Every `every` versions, change-log rows older than `keep` versions are deleted. */
export interface LogPruning {
  readonly every: number;
  readonly keep: number;
}
const DEFAULT_PRUNING: LogPruning = { every: 1000, keep: 10_000 };

/** Material destroyed, or replaced under its id (sealed as root-key.ts seals it). */
export type MaterialChange =
  | { readonly kind: 'destroy' }
  | { readonly kind: 'replace'; readonly id: string; readonly spec: string; readonly nonce: Uint8Array; readonly sealed: Uint8Array };

/** Runs a database call with the store's deadline and error translation (provider.ts). */
export type Guard = <T>(what: string, call: () => Promise<T>) => Promise<T>;

interface ChangeRow {
  version: string;
  check_value: string;
  log_floor: string;
  collection: string | null;
  id: string | null;
  value: string | null;
  mac: string | null;
}

export class PostgresRecordBackend implements RecordBackend {
  readonly #sql: postgres.Sql;
  readonly #table: (name: string) => postgres.Helper<string>;
  readonly #guard: Guard;
  /** Told of material another process destroyed or replaced (ids), or `all` after a full load. */
  readonly #materialChanged: (ids: readonly string[] | 'all') => void;
  readonly #pruning: LogPruning;
  /** The store's notification channel (listener.ts). */
  readonly #channel: string;
  #conflicts = 0;
  #pulls = 0;
  /** Set once the store is open (its root key checked): every row read or written is MAC'd. */
  #auth: RowAuthenticator | undefined;
  /** The root key's check value the store was opened with: another one in `meta` means the key was changed. */
  #checkValue = '';
  readonly #schema: string;

  constructor(
    sql: postgres.Sql,
    schema: string,
    guard: Guard,
    materialChanged: (ids: readonly string[] | 'all') => void,
    pruning: LogPruning = DEFAULT_PRUNING,
  ) {
    this.#pruning = pruning;
    this.#schema = schema;
    this.#channel = changeChannel(schema);
    this.#sql = sql;
    this.#table = (name) => sql(`${schema}.${name}`);
    this.#guard = guard;
    this.#materialChanged = materialChanged;
  }

  /** Called by the provider once the root key is known, before any pull or commit. */
  authenticate(auth: RowAuthenticator, checkValue: string): void {
    this.#auth = auth;
    this.#checkValue = checkValue;
  }

  /** Stops at the first sign that the root key was changed (rotate-root-key.ts): before any row is verified under the old one. */
  #sameRootKey(checkValue: string): void {
    if (checkValue !== this.#checkValue) throw rootKeyChanged(this.#schema);
  }

  get #rows(): RowAuthenticator {
    if (this.#auth === undefined) throw new Error('the store is not open');
    return this.#auth;
  }

  pull(since: number | undefined): Promise<Pulled> {
    this.#pulls++;
    return this.#guard('reading the records', () => this.#pull(this.#sql, since));
  }

  async #pull(sql: postgres.Sql, since: number | undefined): Promise<Pulled> {
    if (since !== undefined) {
      // One statement, one snapshot: the version and the changes up to it agree.
      const rows = await sql<ChangeRow[]>`
        SELECT m.version, m.log_floor, m.check_value, c.collection, c.id, c.value, c.mac
        FROM ${this.#table('meta')} m LEFT JOIN ${this.#table('changes')} c ON c.version > ${since}
        ORDER BY c.version, c.ord`;
      const first = rows[0];
      if (first === undefined) throw new Error('the meta row is missing');
      this.#sameRootKey(first.check_value);
      if (since >= Number(first.log_floor)) return { version: Number(first.version), full: false, changes: this.#changes(rows) };
    }
    const rows = await sql<ChangeRow[]>`
      SELECT m.version, m.log_floor, m.check_value, r.collection, r.id, r.value, r.mac
      FROM ${this.#table('meta')} m LEFT JOIN ${this.#table('records')} r ON true`;
    const first = rows[0];
    if (first === undefined) throw new Error('the meta row is missing');
    this.#sameRootKey(first.check_value);
    this.#materialChanged('all');
    return { version: Number(first.version), full: true, changes: this.#changes(rows) };
  }

  /**
   * The rows as changes: only a record's last change counts (and is parsed), so a replica far
   * behind applies each record once, and a damaged row already superseded by a good one is moot.
   */
  #changes(rows: readonly ChangeRow[]): RecordChange[] {
    const last = new Map<string, ChangeRow>();
    const material: string[] = [];
    for (const row of rows) {
      if (row.collection === null || row.id === null) continue; // the meta row alone: nothing changed
      if (row.collection === MATERIAL_CHANGE) {
        if (!this.#rows.verify(row.collection, row.id, row.value, row.mac)) throw notAuthentic(row.collection, row.id);
        material.push(row.id);
      } else {
        const key = `${row.collection}\u0000${row.id}`;
        last.delete(key); // re-inserted: the map keeps the order of last changes
        last.set(key, row);
      }
    }
    if (material.length > 0) this.#materialChanged(material);
    return [...last.values()].map(({ collection, id, value, mac }) => {
      if (!this.#rows.verify(collection as string, id as string, value, mac)) throw notAuthentic(collection as string, id as string);
      return rowToChange(collection as string, id as string, value);
    });
  }

  /**
   * Optimistic: pull, apply, and write in one statement that succeeds only if the store is still
   * at the pulled version; if another commit (of any process) came in between, pull what came
   * after it and apply again. No transaction is held open across a round trip, so a connection
   * that dies mid-commit leaves nothing for the client to roll back (postgres.js sends ROLLBACK
   * on a dead connection and crashes the process: porsager/postgres#1154).
   */
  commit(since: number | undefined, apply: (pulled: Pulled) => readonly RecordChange[]): Promise<number> {
    let applyError: { error: unknown } | undefined;
    return this.#guard('writing the records', async () => {
      let pulled = await this.#pull(this.#sql, since);
      for (;;) {
        let rows: ReturnType<typeof changeToRow>[];
        try {
          rows = apply(pulled).map(changeToRow); // serialized now, before the next await
        } catch (error) {
          applyError = { error };
          throw error;
        }
        if (rows.length === 0) return pulled.version;
        if (await this.#write(pulled.version, rows)) return pulled.version + 1;
        this.#conflicts++;
        pulled = await this.#pull(this.#sql, pulled.version);
      }
    }).catch((error: unknown) => {
      if (applyError !== undefined) throw applyError.error; // the request's own answer, not a database failure
      throw error;
    });
  }

  /** Commits that found the store moved on and applied again (a measure of contention; tests read it). */
  get conflicts(): number {
    return this.#conflicts;
  }

  /** Catch-ups asked of the database (a commit's own pulls aside): what freshness 'notify' saves; tests read it. */
  get pulls(): number {
    return this.#pulls;
  }

  /** The final SELECT of a statement with a `bump` CTE: its version, notified to listeners (listener.ts). */
  #notified() {
    return this.#sql`SELECT version, pg_notify(${this.#channel}, version::text) FROM bump`;
  }

  /**
   * One statement: the next version, if the store is still at `expected` (under READ COMMITTED a
   * second writer with the same `expected` waits for the first's row lock, then finds the version
   * moved and updates nothing), and, gated on it, the records, their change-log rows and the
   * pruning of the log. false: another commit came first, nothing was written.
   */
  async #write(expected: number, rows: readonly { collection: string; id: string; value: string | null }[]): Promise<boolean> {
    const log = this.#logRows(rows);
    const records = rows.filter((row) => row.collection !== MATERIAL_CHANGE);
    const written = await this.#sql<{ version: string }[]>`
      WITH ${this.#bump(this.#sql`version = ${expected}`)},
      log AS (${this.#insertLog(log)}),
      kept AS (
        SELECT r.collection, r.id, r.value, r.mac FROM unnest(
          ${this.#sql.array(records.map((r) => r.collection))}::text[], ${this.#sql.array(records.map((r) => r.id))}::text[],
          ${this.#sql.array(records.map((r) => r.value))}::text[], ${this.#sql.array(records.map((r) => this.#rows.mac(r.collection, r.id, r.value)))}::text[]
        ) AS r(collection, id, value, mac)
      ),
      deleted AS (
        DELETE FROM ${this.#table('records')} t USING kept, bump
        WHERE kept.value IS NULL AND t.collection = kept.collection AND t.id = kept.id
      ),
      upserted AS (
        INSERT INTO ${this.#table('records')} (collection, id, value, mac, version)
        SELECT kept.collection, kept.id, kept.value, kept.mac, bump.version FROM kept, bump WHERE kept.value IS NOT NULL
        ON CONFLICT (collection, id) DO UPDATE SET value = EXCLUDED.value, mac = EXCLUDED.mac, version = EXCLUDED.version
      ),
      ${this.#prune()}
      ${this.#notified()}`;
    return written.length === 1;
  }

  /** CTE `bump`: the next version where `condition` holds and the root key is still this process's (the meta row's lock), and the log floor moved when it is time to prune. */
  #bump(condition: postgres.PendingQuery<postgres.Row[]>) {
    const { every, keep } = this.#pruning;
    return this.#sql`bump AS (
        UPDATE ${this.#table('meta')} SET version = version + 1,
          log_floor = CASE WHEN (version + 1) % ${every} = 0 AND version + 1 > ${keep} THEN version + 1 - ${keep} ELSE log_floor END
        WHERE ${condition} AND check_value = ${this.#checkValue} RETURNING version, log_floor
      )`;
  }

  /** CTE `pruned`: change-log rows at or below the floor (none but right after the floor moved; the primary key finds them). */
  #prune() {
    return this.#sql`pruned AS (DELETE FROM ${this.#table('changes')} c USING bump WHERE c.version <= bump.log_floor)`;
  }

  /** The change-log rows, MAC'd, as the INSERT of one statement under `bump`. */
  #insertLog(log: { collection: string; id: string; value: string | null; mac: string }[]) {
    const sql = this.#sql;
    return sql`
      INSERT INTO ${this.#table('changes')} (version, ord, collection, id, value, mac)
      SELECT bump.version, r.ord - 1, r.collection, r.id, r.value, r.mac FROM bump, unnest(
        ${sql.array(log.map((r) => r.collection))}::text[], ${sql.array(log.map((r) => r.id))}::text[],
        ${sql.array(log.map((r) => r.value))}::text[], ${sql.array(log.map((r) => r.mac))}::text[]
      ) WITH ORDINALITY AS r(collection, id, value, mac, ord)`;
  }

  #logRows(rows: readonly { collection: string; id: string; value: string | null }[]) {
    return rows.map((row) => ({ ...row, mac: this.#rows.mac(row.collection, row.id, row.value) }));
  }

  /**
   * Logs material destroyed or replaced under a new version, so other processes drop it from
   * their caches on their next pull: one statement with the material's own change.
   */
  async logMaterialChange(ids: readonly string[], change: MaterialChange): Promise<void> {
    const sql = this.#sql;
    const material = this.#table('material');
    const log = this.#logRows(ids.map((id) => ({ collection: MATERIAL_CHANGE, id, value: null })));
    const changed =
      change.kind === 'destroy'
        ? sql`DELETE FROM ${material} WHERE id = ANY(${sql.array([...ids])}::text[])`
        : sql`INSERT INTO ${material} (id, spec, nonce, sealed) SELECT ${change.id}::text, ${change.spec}::text, ${change.nonce}::bytea, ${change.sealed}::bytea FROM bump
              ON CONFLICT (id) DO UPDATE SET spec = EXCLUDED.spec, nonce = EXCLUDED.nonce, sealed = EXCLUDED.sealed`;
    const bumped = await sql`
      WITH ${this.#bump(sql`true`)},
      log AS (${this.#insertLog(log)}),
      changed AS (${changed}),
      ${this.#prune()}
      ${this.#notified()}`;
    if (bumped.length === 0) throw rootKeyChanged(this.#schema); // only the check value can stop it
  }
}
