/// <reference types="node" />
/**
 * The PostgreSQL side of the command line: `kmsbox serve --postgres URL`, `kmsbox db migrate`, `kmsbox db rotate-root-key` and
 * `kmsbox audit verify --postgres URL`. src/cli/main.ts loads this module only for them: the
 * database client stays out of every other command's start-up.
 */
import { KMSServiceException } from '../errors.js';
import { PostgresProvider, type PostgresProviderOptions, changeDatabaseRootKey, migrateDatabase } from '../postgres.js';
import { PostgresAuditSink, verifyPostgresAuditLog } from '../audit/postgres-log.js';
import { DatabaseUnavailable, postgresUrl, schemaOf, shownUrl } from './postgres-url.js';
import { UsageError } from './verbs.js';
import { flagPairs, rootKeyOf } from './store-commands.js';

/**
 * The PostgreSQL store, its root key from `--root-key-file` or KMSBOX_PASSPHRASE as `--store`
 * takes it (the root key never reaches the database); ready (schema migrated, root key checked).
 */
export async function openPostgresProvider(url: string, f: ReadonlyMap<string, string>): Promise<PostgresProvider> {
  const rootKeyFile = f.get('root-key-file');
  const passphrase = process.env.KMSBOX_PASSPHRASE;
  if (rootKeyFile === undefined && !passphrase)
    throw new UsageError('--postgres needs --root-key-file FILE or the KMSBOX_PASSPHRASE environment variable');
  const schema = schemaOf(f);
  const provider = new PostgresProvider({
    url,
    ...(rootKeyFile !== undefined ? { rootKeyFile } : { passphrase: passphrase! }),
    ...(schema !== undefined ? { schema } : {}),
    ...freshnessOf(f),
  });
  try {
    await provider.ready();
  } catch (error) {
    await provider.close().catch(() => undefined);
    throw new DatabaseUnavailable(`cannot open the key store in ${shownUrl(url)}: ${messageOf(error)}`, error);
  }
  return provider;
}

/** `--postgres-freshness` (or KMSBOX_POSTGRES_FRESHNESS) and `--postgres-max-staleness-ms`: PostgresProviderOptions.freshness and maxStaleness. */
export function freshnessOf(f: ReadonlyMap<string, string>): Pick<PostgresProviderOptions, 'freshness' | 'maxStaleness'> {
  const given = f.get('postgres-freshness');
  const freshness = given ?? (process.env.KMSBOX_POSTGRES_FRESHNESS || undefined);
  if (freshness !== undefined && freshness !== 'strict' && freshness !== 'notify') {
    throw new UsageError(
      `${given === undefined ? 'KMSBOX_POSTGRES_FRESHNESS' : '--postgres-freshness'} must be notify or strict, not '${freshness}'`,
    );
  }
  const staleness = f.get('postgres-max-staleness-ms');
  if (staleness !== undefined && (!/^\d{1,8}$/.test(staleness) || Number(staleness) > 86_400_000)) {
    throw new UsageError(`--postgres-max-staleness-ms must be an integer from 0 to 86400000, not '${staleness}'`);
  }
  if (staleness !== undefined && freshness === 'strict')
    throw new UsageError('--postgres-max-staleness-ms goes with --postgres-freshness notify');
  return { ...(freshness !== undefined ? { freshness } : {}), ...(staleness !== undefined ? { maxStaleness: Number(staleness) } : {}) };
}

/**
 * Where `kmsbox serve --postgres` sends audit events: the database (the default: one chain for
 * every process), a file of this process's own (`--audit-log FILE`), or nowhere (`--audit-log none`).
 */
export function postgresAuditSink(provider: PostgresProvider, f: ReadonlyMap<string, string>): PostgresAuditSink | undefined {
  const choice = f.get('audit-log') ?? 'postgres';
  if (choice !== 'postgres') return undefined;
  const schema = schemaOf(f);
  return new PostgresAuditSink({ sql: provider.sql, ...(schema !== undefined ? { schema } : {}) });
}

/** An error's message, without a URL's password should a driver ever quote one. */
function messageOf(error: unknown): string {
  const text =
    error instanceof KMSServiceException || error instanceof Error
      ? `${error.message}${(error as { code?: unknown }).code ? ` (${String((error as { code?: unknown }).code)})` : ''}`
      : String(error);
  return text.replace(/(postgres(?:ql)?:\/\/[^:@/\s]*:)[^@\s]*@/g, '$1***@');
}

export const DB_USAGE = 'usage: kmsbox db migrate [--postgres URL] [--postgres-schema NAME]';
const ROTATE_USAGE = `usage: kmsbox db rotate-root-key [--postgres URL] [--postgres-schema NAME]
         [--root-key-file FILE] [--new-root-key-file FILE]`;

/** `kmsbox db migrate`: brings the schema to this version of kmsbox; prints `from → to`. */
export async function dbCommand(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h' || rest.includes('--help')) {
    console.log(`${DB_USAGE}

  Creates kmsbox's tables in a PostgreSQL database, or upgrades them to this
  version of kmsbox (kmsbox serve --postgres does the same when it starts).

${ROTATE_USAGE}

  Re-seals every key material row and re-MACs every record under a new root
  key, in one statement: the current key from --root-key-file or
  KMSBOX_PASSPHRASE, the new one from --new-root-key-file or
  KMSBOX_NEW_PASSPHRASE. Processes still running with the old key stop
  (AccessDeniedException: its root key was changed) and write nothing more:
  restart them with the new key.

  The URL comes from --postgres or KMSBOX_POSTGRES_URL; the password is better
  kept in the environment (PGPASSWORD or the variable) than in a flag.
  Exit codes: 0 done, 1 the database refused, 252 a usage mistake, 255 the
  database could not be reached.`);
    return 0;
  }
  if (sub === 'rotate-root-key') return rotateRootKey(rest);
  if (sub !== 'migrate') throw new UsageError(DB_USAGE);
  const f = flagPairs(rest, ['postgres', 'postgres-schema'], DB_USAGE);
  const url = postgresUrl(f);
  if (url === undefined) throw new UsageError(`give --postgres URL or KMSBOX_POSTGRES_URL (${DB_USAGE})`);
  const schema = schemaOf(f);
  let result: { from: number; to: number };
  try {
    result = await migrateDatabase({ url, ...(schema !== undefined ? { schema } : {}) });
  } catch (error) {
    throw new DatabaseUnavailable(`cannot migrate ${shownUrl(url)}: ${messageOf(error)}`, error);
  }
  const where = `schema ${schema ?? 'kmsbox'} in ${shownUrl(url)}`;
  console.log(
    result.from === result.to ? `${where}: at version ${result.to}, nothing to do` : `${where}: version ${result.from} → ${result.to}`,
  );
  return 0;
}

const AUDIT_USAGE = 'usage: kmsbox audit verify --postgres URL [--postgres-schema NAME] [--expect-head SEQ:HASH]';

/** `kmsbox audit verify --postgres URL`: checks the chain in the database; prints the head to keep. */
export async function verifyPostgresAudit(args: readonly string[]): Promise<number> {
  const f = flagPairs(args, ['postgres', 'postgres-schema', 'expect-head'], AUDIT_USAGE);
  const url = postgresUrl(f);
  if (url === undefined) throw new UsageError(AUDIT_USAGE);
  const head = f.get('expect-head');
  const m = head === undefined ? undefined : /^(\d{1,15}):([0-9a-f]{64})$/.exec(head);
  if (head !== undefined && !m) throw new UsageError(`--expect-head takes SEQ:HASH as verify printed it, not '${head}'`);
  const schema = schemaOf(f);
  let report: Awaited<ReturnType<typeof verifyPostgresAuditLog>>;
  try {
    report = await verifyPostgresAuditLog({
      url,
      ...(schema !== undefined ? { schema } : {}),
      ...(m ? { expectHead: { seq: Number(m[1]), hash: m[2]! } } : {}),
    });
  } catch (error) {
    throw new DatabaseUnavailable(`cannot read the audit trail in ${shownUrl(url)}: ${messageOf(error)}`, error);
  }
  if (report.ok) {
    console.log(`ok: ${report.events} events, the hash chain is intact from the first to the last`);
    console.log(
      `head: ${report.head.seq}:${report.head.hash} (keep it; --expect-head ${report.head.seq}:… later tells whether events were removed from the end)`,
    );
    return 0;
  }
  console.log(`TAMPERED or incomplete: the audit trail in ${shownUrl(url)} (${report.events} events)`);
  for (const p of report.problems) console.log(`  ${p}`);
  return 1;
}

/** `kmsbox db rotate-root-key`: changeDatabaseRootKey; prints what it re-sealed. */
async function rotateRootKey(args: readonly string[]): Promise<number> {
  const f = flagPairs(args, ['postgres', 'postgres-schema', 'root-key-file', 'new-root-key-file'], ROTATE_USAGE);
  const url = postgresUrl(f);
  if (url === undefined) throw new UsageError(`give --postgres URL or KMSBOX_POSTGRES_URL (${ROTATE_USAGE})`);
  const schema = schemaOf(f);
  const current = rootKeyOf(f, 'root-key-file', 'KMSBOX_PASSPHRASE');
  const next = rootKeyOf(f, 'new-root-key-file', 'KMSBOX_NEW_PASSPHRASE');
  let counts: Awaited<ReturnType<typeof changeDatabaseRootKey>>;
  try {
    counts = await changeDatabaseRootKey({
      url,
      ...(schema !== undefined ? { schema } : {}),
      ...current,
      ...('rootKeyFile' in next ? { newRootKeyFile: next.rootKeyFile } : { newPassphrase: next.passphrase }),
    });
  } catch (error) {
    throw new DatabaseUnavailable(`cannot change the root key in ${shownUrl(url)}: ${messageOf(error)}`, error);
  }
  console.log(
    `schema ${schema ?? 'kmsbox'} in ${shownUrl(url)}: re-sealed under the new root key (${counts.records} records, ${counts.changes} change-log rows, ${counts.material} key materials); restart kmsbox with the new key`,
  );
  return 0;
}
