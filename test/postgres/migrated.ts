// A migrated kmsbox schema in a database, for tests that need its tables.
import postgres from 'postgres';

/** Creates the audit table as migration 1 does, until migrateDatabase lands; returns the URL. */
export async function migrated(url: string): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await sql.unsafe('CREATE SCHEMA kmsbox; CREATE TABLE kmsbox.audit (seq bigint PRIMARY KEY, line text NOT NULL, hash text NOT NULL)');
  await sql.end();
  return url;
}
