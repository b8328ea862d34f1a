/// <reference types="node" />
/**
 * The database URL of `--postgres` / KMSBOX_POSTGRES_URL, and how it may be shown. Flags show in
 * `ps`: a password is better in the environment (the variable, or PGPASSWORD, which the client
 * reads). No message ever shows the URL's password (`shownUrl`).
 */
import { DependencyTimeoutException } from '../errors.js';
import { EXIT_CONNECTION } from './endpoint.js';
import { UsageError } from './verbs.js';

/** The URL, its password (if any) replaced by `***`: what messages and logs may show. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(a URL that does not parse)';
  }
}

/** `--postgres URL`, else KMSBOX_POSTGRES_URL (unless `env` is false); checked to be a postgres:// URL. */
export function postgresUrl(f: ReadonlyMap<string, string>, env = true): string | undefined {
  const given = f.get('postgres');
  const url = given ?? (env ? process.env.KMSBOX_POSTGRES_URL || undefined : undefined);
  if (url === undefined) return undefined;
  const from = given === undefined ? 'KMSBOX_POSTGRES_URL' : '--postgres';
  if (!/^postgres(?:ql)?:\/\//.test(url) || !URL.canParse(url))
    throw new UsageError(`${from} ${shownUrl(url)}: expected a postgres://user@host:port/database URL`);
  return url;
}

/** `--postgres-schema NAME`: the schema kmsbox's tables live in (default kmsbox). */
export function schemaOf(f: ReadonlyMap<string, string>): string | undefined {
  const schema = f.get('postgres-schema');
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new UsageError(`--postgres-schema must be 1 to 63 lower-case letters, digits or _, not starting with a digit, not '${schema}'`);
  return schema;
}

/** A database that could not be reached or used: exit 255 when unreachable, else 1. */
export class DatabaseUnavailable extends Error {
  override readonly name = 'DatabaseUnavailable';
  readonly exitCode: number;
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.exitCode = isUnreachable(cause) ? EXIT_CONNECTION : 1;
  }
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
function isUnreachable(error: unknown): boolean {
  if (error instanceof DependencyTimeoutException) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (UNREACHABLE_CODES.has(code) || code.startsWith('CONNECT') || code.startsWith('CONNECTION'));
}
