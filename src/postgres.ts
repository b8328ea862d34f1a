/**
 * kmsbox/postgres: the PostgreSQL store (Node only, and only for those who import it: the
 * `postgres` client is loaded by this entry alone, never by `kmsbox` or the browser build).
 */
export { migrateDatabase, PostgresProvider, type PostgresProviderOptions, SCHEMA_VERSION } from './providers/postgres/provider.js';
export {
  type ChangeDatabaseRootKeyOptions,
  type ChangedRootKey,
  changeDatabaseRootKey,
} from './providers/postgres/rotate-root-key.js';

export {
  PostgresAuditSink,
  type PostgresAuditSinkOptions,
  verifyPostgresAuditLog,
  type PostgresAuditLogReport,
} from './audit/postgres-log.js';
