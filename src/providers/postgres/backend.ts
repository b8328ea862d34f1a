/**
 * The records of a PostgreSQL store as a RecordBackend (../replica.ts): a version in the `meta`
 * row, every record in `records`, and a change log (`changes`) from which a replica catches up
 * on what changed since its version in one statement. A commit takes the store's write lock (the
 * `meta` row, `FOR UPDATE`), so commits of every process are serialized and each sees every one
 * before it; it writes the changed records, their change-log rows and the next version in one
 * transaction.
 *
 * The change log is pruned: every 1,000 versions, rows older than 10,000 versions go, and a
 * replica further behind than that loads every record again (`full`).
 */
import type postgres from 'postgres';
import type { RecordChange } from '../records.js';
import type { Pulled, RecordBackend } from '../replica.js';
import { changeToRow, MATERIAL_CHANGE, notAuthentic, rowToChange } from './record-rows.js';
import type { RowAuthenticator } from './root-key.js';
import { transaction } from './transaction.js';

/** Every `every` versions, change-log rows older than `keep` versions are deleted. */
export interface LogPruning {
  readonly every: number;
  readonly keep: number;
}
const DEFAULT_PRUNING: LogPruning = { every: 1000, keep: 10_000 };

/** Runs a database call with the store's deadline and error translation (provider.ts). */
export type Guard = <T>(what: string, call: () => Promise<T>) => Promise<T>;

interface ChangeRow {
  version: string;
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
  /** Set once the store is open (its root key checked): every row read or written is MAC'd. */
  #auth: RowAuthenticator | undefined;

  constructor(
    sql: postgres.Sql,
    schema: string,
    guard: Guard,
    materialChanged: (ids: readonly string[] | 'all') => void,
    pruning: LogPruning = DEFAULT_PRUNING,
  ) {
    this.#pruning = pruning;
    this.#sql = sql;
    this.#table = (name) => sql(`${schema}.${name}`);
    this.#guard = guard;
    this.#materialChanged = materialChanged;
  }

  /** Called by the provider once the root key is known, before any pull or commit. */
  authenticate(auth: RowAuthenticator): void {
    this.#auth = auth;
  }

  get #rows(): RowAuthenticator {
    if (this.#auth === undefined) throw new Error('the store is not open');
    return this.#auth;
  }

  pull(since: number | undefined): Promise<Pulled> {
    return this.#guard('reading the records', () => this.#pull(this.#sql, since));
  }

  async #pull(sql: postgres.Sql | postgres.TransactionSql, since: number | undefined): Promise<Pulled> {
    if (since !== undefined) {
      // One statement, one snapshot: the version and the changes up to it agree.
      const rows = await sql<ChangeRow[]>`
        SELECT m.version, m.log_floor, c.collection, c.id, c.value, c.mac
        FROM ${this.#table('meta')} m LEFT JOIN ${this.#table('changes')} c ON c.version > ${since}
        ORDER BY c.version, c.ord`;
      const first = rows[0];
      if (first === undefined) throw new Error('the meta row is missing');
      if (since >= Number(first.log_floor)) return { version: Number(first.version), full: false, changes: this.#changes(rows) };
    }
    const rows = await sql<ChangeRow[]>`
      SELECT m.version, m.log_floor, r.collection, r.id, r.value, r.mac
      FROM ${this.#table('meta')} m LEFT JOIN ${this.#table('records')} r ON true`;
    const first = rows[0];
    if (first === undefined) throw new Error('the meta row is missing');
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

  commit(since: number | undefined, apply: (pulled: Pulled) => readonly RecordChange[]): Promise<number> {
    let applyError: { error: unknown } | undefined;
    return this.#guard('writing the records', async () => {
      return (await transaction(this.#sql, async (tx) => {
        // Pipelined: the catch-up statement runs after the lock is held (in order, on this
        // connection), so it sees every commit before ours; one round trip for both.
        const lock = tx<{ version: string }[]>`SELECT version FROM ${this.#table('meta')} FOR UPDATE`.execute();
        const [[meta], pulled] = await Promise.all([lock, this.#pull(tx, since)]);
        if (meta === undefined) throw new Error('the meta row is missing');
        let rows: ReturnType<typeof changeToRow>[];
        try {
          rows = apply(pulled).map(changeToRow); // serialized now, before the next await
        } catch (error) {
          applyError = { error };
          throw error;
        }
        if (rows.length === 0) return pulled.version;
        const version = pulled.version + 1;
        await this.#write(tx, version, rows);
        return version;
      })) as number;
    }).catch((error: unknown) => {
      if (applyError !== undefined) throw applyError.error; // the request's own answer, not a database failure
      throw error;
    });
  }

  /** Writes the records, their change-log rows and the new version (the caller holds the lock). */
  async #write(tx: postgres.TransactionSql, version: number, rows: readonly { collection: string; id: string; value: string | null }[]) {
    const writes: Promise<unknown>[] = [];
    rows.forEach((row, ord) => {
      const mac = this.#rows.mac(row.collection, row.id, row.value);
      if (row.collection !== MATERIAL_CHANGE)
        writes.push(
          row.value === null
            ? tx`DELETE FROM ${this.#table('records')} WHERE collection = ${row.collection} AND id = ${row.id}`
            : tx`INSERT INTO ${this.#table('records')} (collection, id, value, mac, version)
               VALUES (${row.collection}, ${row.id}, ${row.value}, ${mac}, ${version})
               ON CONFLICT (collection, id) DO UPDATE SET value = EXCLUDED.value, mac = EXCLUDED.mac, version = EXCLUDED.version`,
        );
      writes.push(
        tx`INSERT INTO ${this.#table('changes')} (version, ord, collection, id, value, mac)
           VALUES (${version}, ${ord}, ${row.collection}, ${row.id}, ${row.value}, ${mac})`,
      );
    });
    writes.push(tx`UPDATE ${this.#table('meta')} SET version = ${version}`);
    const { every, keep } = this.#pruning;
    if (version % every === 0 && version > keep) {
      const floor = version - keep;
      writes.push(
        tx`DELETE FROM ${this.#table('changes')} WHERE version <= ${floor}`,
        tx`UPDATE ${this.#table('meta')} SET log_floor = ${floor}`,
      );
    }
    await Promise.all(writes); // pipelined on the transaction's connection
  }

  /**
   * Logs material destroyed or replaced under a new version, so other processes drop it from
   * their caches on their next pull; `change` runs in the same transaction, under the lock.
   */
  async logMaterialChange(ids: readonly string[], change: (tx: postgres.TransactionSql) => Promise<unknown>): Promise<void> {
    await transaction(this.#sql, async (tx) => {
      const [meta] = await tx<{ version: string }[]>`SELECT version FROM ${this.#table('meta')} FOR UPDATE`;
      if (meta === undefined) throw new Error('the meta row is missing');
      await change(tx);
      const version = Number(meta.version) + 1;
      await this.#write(
        tx,
        version,
        ids.map((id) => ({ collection: MATERIAL_CHANGE, id, value: null })),
      );
    });
  }
}
