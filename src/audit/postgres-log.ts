/// <reference types="node" />
/**
 * The audit trail in PostgreSQL: one hash chain (src/audit/chain.ts, the file log's lines) shared by
 * every `kmsbox serve` process over the database, in `<schema>.audit (seq, line, hash)`.
 *
 * An append takes a transaction-scoped advisory lock (one per schema), reads the head (the highest
 * seq and its hash) and inserts the next lines (#append); `seq` is the primary key, so even a writer that
 * skipped the lock could not fork the chain, only fail. write() resolves once the transaction has
 * committed: a process killed afterwards loses nothing it reported. Events that arrive while an
 * append is in flight go together in the next one (group commit): one lock round per batch, not
 * per event, so many concurrent requests do not queue on the lock one by one.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { type AuditLogReport, GENESIS, checkLine, parseLine } from './chain.js';
import type { AuditEvent, AuditSink } from './event.js';
import { ValidationException } from '../errors.js';
import { databaseError } from '../providers/postgres/db-errors.js';
import { transaction } from '../providers/postgres/transaction.js';

/** A postgres:// URL, or a ValidationException naming `who` (the URL itself is never quoted: it may hold a password). */
function checkUrl(url: unknown, who: string): string {
  if (typeof url !== 'string' || !/^postgres(ql)?:\/\//.test(url))
    throw new ValidationException({ message: `${who} needs a postgres:// or postgresql:// url.` });
  return url;
}

type Sql = postgres.Sql<Record<string, never>>;

/** A schema name kmsbox accepts: a plain lower-case SQL identifier (never quoted text from outside). */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** The most events one transaction appends. */
const MAX_BATCH = 200;

/**
 * Text as a dollar-quoted SQL literal, its tag random so the text cannot end it (checked); settings
 * such as standard_conforming_strings do not change what it means. Event JSON holds no NUL (JSON
 * escapes control characters).
 */
function quote(text: string): string {
  let tag: string;
  do tag = `$k${randomBytes(8).toString('hex')}$`;
  while (text.includes(tag));
  return `${tag}${text}${tag}`;
}

function tableOf(schema: string | undefined): string {
  const name = schema ?? 'kmsbox';
  if (typeof name !== 'string' || !SCHEMA_NAME.test(name))
    throw new ValidationException({ message: `The audit schema must be a name kmsbox uses (lower-case letters, digits and _).` });
  return `${name}.audit`;
}

export type PostgresAuditSinkOptions =
  | { readonly url: string; readonly schema?: string | undefined; readonly maxConnections?: number | undefined }
  /** A connection pool to share (e.g. PostgresProvider's `sql`); close() leaves it open. */
  | { readonly sql: Sql; readonly schema?: string | undefined };

interface Pending {
  readonly event: AuditEvent;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** How long one append may take before its events fail (the calls answer KMSInternalException). */
const APPEND_DEADLINE_MS = 10_000;

export class PostgresAuditSink implements AuditSink {
  readonly sql: Sql;
  readonly #table: string;
  readonly #owned: boolean;
  #queue: Pending[] = [];
  #draining = false;

  constructor(options: PostgresAuditSinkOptions) {
    if (options === null || typeof options !== 'object')
      throw new ValidationException({ message: 'PostgresAuditSink needs options with a url or an sql pool.' });
    if (!('sql' in options)) {
      checkUrl(options.url, 'PostgresAuditSink');
      const max = options.maxConnections;
      if (max !== undefined && (!Number.isInteger(max) || max < 1))
        throw new ValidationException({ message: 'PostgresAuditSink maxConnections must be a positive integer.' });
    } else if (typeof options.sql !== 'function') {
      throw new ValidationException({ message: 'PostgresAuditSink sql must be a postgres.js pool (e.g. PostgresProvider.sql).' });
    }
    this.#table = tableOf(options.schema);
    this.#owned = !('sql' in options);
    this.sql =
      'sql' in options
        ? options.sql
        : (postgres(options.url, { max: options.maxConnections ?? 2, connect_timeout: 5, onnotice: () => {} }) as Sql);
  }

  /** Resolves once the event is committed to the database as the next line of the chain. */
  write(event: AuditEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ event, resolve, reject });
      if (!this.#draining) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_BATCH);
        try {
          await this.#append(batch.map((p) => p.event));
          for (const p of batch) p.resolve();
        } catch (error) {
          for (const p of batch) p.reject(error);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  /**
   * Appends the events as one simple-protocol query: the lock, then one INSERT per event, which
   * PostgreSQL runs as one implicit transaction (all or nothing; each statement sees the one before).
   * Not `sql.begin()`: when the connection dies inside a transaction, postgres.js 3.4.9 sends the
   * ROLLBACK on the dead connection and crashes the process (porsager/postgres#1154, #1208); a
   * single query has nothing to roll back from the client, the server drops the transaction.
   * Each line is built by the server from the head it reads and the event's JSON, exactly as
   * chainLine builds it, and hashed there (sha256, PostgreSQL 11+). The head is read through the
   * primary key's index (the inner LIMIT 1): an append costs the same at any length of the trail.
   */
  async #append(events: readonly AuditEvent[]): Promise<void> {
    const table = this.#table;
    const statements = [`SELECT pg_advisory_xact_lock(hashtextextended(${quote(`kmsbox audit ${table}`)}, 0))`];
    for (const event of events) {
      statements.push(`INSERT INTO ${table} (seq, line, hash)
SELECT seq, line, encode(sha256(convert_to(line, 'UTF8')), 'hex') FROM (
  SELECT head.seq + 1 AS seq, '{"seq":' || (head.seq + 1) || ',"prev":"' || head.hash || '","event":' || ${quote(JSON.stringify(event))} || '}' AS line
  FROM ((SELECT seq, hash FROM ${table} ORDER BY seq DESC LIMIT 1) UNION ALL SELECT 0, '${GENESIS}' ORDER BY seq DESC LIMIT 1) AS head
) AS next`);
    }
    // A deadline of its own: a query on a connection lost mid-write may never settle, and every
    // later event (so every later answer) would wait behind it.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the database did not answer within ${APPEND_DEADLINE_MS} ms`)), APPEND_DEADLINE_MS);
    });
    const append = this.sql.unsafe(statements.join(';\n'));
    append.catch(() => undefined); // lost the race: its late failure is nobody's
    try {
      await Promise.race([append, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for the events already written, then closes the connections (unless the pool was shared). */
  async close(): Promise<void> {
    while (this.#draining || this.#queue.length > 0) await new Promise((r) => setTimeout(r, 5));
    if (this.#owned) await this.sql.end({ timeout: 5 });
  }
}

export interface PostgresAuditLogReport extends AuditLogReport {
  /** The last event's sequence number and line hash: keep it, and a later check can tell whether events were cut off the end. */
  readonly head: { readonly seq: number; readonly hash: string };
}

/**
 * Checks the audit chain in the database: every line parses, sequence numbers run 1, 2, 3…, each
 * line names the hash of the one before, each row's `seq` and `hash` columns are its line's.
 * Events cut off the end leave a shorter intact chain: compare `head` with one kept from an earlier
 * check (`expectHead`) to rule that out.
 */
export async function verifyPostgresAuditLog(options: {
  readonly url: string;
  readonly schema?: string | undefined;
  /** A head from an earlier check: the chain must still hold that event, with that hash. */
  readonly expectHead?: { readonly seq: number; readonly hash: string } | undefined;
}): Promise<PostgresAuditLogReport> {
  if (options === null || typeof options !== 'object')
    throw new ValidationException({ message: 'verifyPostgresAuditLog needs options with a url.' });
  const table = tableOf(options.schema);
  const sql = postgres(checkUrl(options.url, 'verifyPostgresAuditLog'), { max: 1, connect_timeout: 5, onnotice: () => {} });
  const problems: string[] = [];
  let seq = 0;
  let prev = GENESIS;
  let anchored = false;
  try {
    const [exists] = await sql<{ found: string | null }[]>`SELECT to_regclass(${table}) AS found`;
    if (exists?.found == null)
      return { ok: false, events: 0, problems: [`there is no table ${table}: run kmsbox db migrate`], head: { seq, hash: prev } };
    // REPEATABLE READ: one snapshot, while other processes go on appending.
    await transaction(sql, 'isolation level repeatable read read only', async (tx) => {
      for await (const rows of tx<
        { seq: string; line: string; hash: string }[]
      >`SELECT seq, line, hash FROM ${tx(table)} ORDER BY seq`.cursor(1000)) {
        for (const row of rows) {
          seq += 1;
          const hash = checkLine(parseLine(row.line), row.line, seq, seq, prev, problems);
          if (Number(row.seq) !== seq) problems.push(`line ${seq}: stored under sequence number ${row.seq}`);
          if (row.hash !== hash) problems.push(`line ${seq}: its stored hash is not the line's (the line or its hash was changed)`);
          if (options.expectHead?.seq === seq) anchored = options.expectHead.hash === hash;
          prev = hash;
        }
      }
    });
  } catch (error) {
    throw databaseError(error, 'reading the audit trail'); // typed, and never the driver's parameters
  } finally {
    await sql.end({ timeout: 5 });
  }
  if (options.expectHead !== undefined && !anchored)
    problems.push(
      seq < options.expectHead.seq
        ? `the chain ends at event ${seq}, before the expected head ${options.expectHead.seq} (events were removed from the end)`
        : `event ${options.expectHead.seq} is not the expected head (the chain was rewritten)`,
    );
  return { ok: problems.length === 0, events: seq, problems, head: { seq, hash: prev } };
}
