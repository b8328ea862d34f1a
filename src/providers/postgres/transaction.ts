/**
 * `sql.begin` without its one way to crash the process. When a statement of a transaction fails,
 * postgres.js sends ROLLBACK on the transaction's connection; if that connection was lost (the
 * backend terminated, the server restarted, a failover), postgres.js 3.4.9 defers the write to a
 * setImmediate that then reads the closed socket and throws an uncaught TypeError, which ends the
 * process (https://github.com/porsager/postgres/issues/1208, node_modules/postgres/src/connection.js
 * nextWrite). So a transaction whose connection is lost sends nothing more: its callback never
 * settles, and `begin` rejects with the connection's own close (CONNECTION_CLOSED), as it does for
 * a connection that closes between statements. The server rolls the transaction back by itself.
 */
import type postgres from 'postgres';

/** The client's codes for a connection gone (node_modules/postgres/src/errors.js, node's socket errors). */
const GONE = new Set(['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECTION_ENDED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/** Whether `error` means the connection is lost: a FATAL or PANIC from the server, a connection exception, or the client's own. */
export function connectionLost(error: unknown): boolean {
  const e = error as { code?: unknown; severity?: unknown } | null;
  if (e === null || typeof e !== 'object') return false;
  if (e.severity === 'FATAL' || e.severity === 'PANIC') return true;
  const code = typeof e.code === 'string' ? e.code : '';
  return GONE.has(code) || code.startsWith('08') || code.startsWith('57P0');
}

/**
 * Runs `fn` in a transaction (`sql.begin`, with `options` such as an isolation level), sending no
 * ROLLBACK on a connection that is gone. The store itself needs none (one statement per change:
 * backend.ts, migrations.ts); `kmsbox audit verify` reads a whole trail in one snapshot with it.
 */
export function transaction<T>(sql: postgres.Sql, options: string, fn: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
  return sql.begin(options, async (tx) => {
    try {
      return await fn(tx);
    } catch (error) {
      if (connectionLost(error)) return new Promise<never>(() => undefined); // begin rejects when the socket closes
      throw error;
    }
  }) as Promise<T>;
}
