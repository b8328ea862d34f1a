// A migrated kmsbox schema in a database, for tests that need its tables.
import { migrateDatabase } from 'kmsbox/postgres';

/** Brings the database at `url` to this version's schema; returns the URL. */
export async function migrated(url: string): Promise<string> {
  await migrateDatabase({ url });
  return url;
}
