/**
 * What a database failure becomes at the API: `DependencyTimeoutException` when the database
 * cannot be reached or answers too slowly (AWS KMS answers so when a custom key store's backend
 * does not), `KMSInternalException` for any other database failure. Never a raw driver error,
 * and never the SQL or its parameters in the message (they may hold records).
 */
import { DependencyTimeoutException, KMSInternalException, KMSServiceException } from '../../errors.js';

/** postgres.js's own codes for a connection that failed, closed or timed out (node_modules/postgres/src/connection.js). */
const CLIENT_UNREACHABLE = new Set([
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs that mean "not now" rather than "wrong": the server shutting down or starting
 * (57P01–57P03), a statement or lock timeout (57014, 55P03), a connection failure (class 08),
 * too many connections (53300).
 */
const isUnavailableState = (code: string): boolean =>
  code.startsWith('08') || ['57P01', '57P02', '57P03', '57014', '55P03', '53300'].includes(code);

/** Thrown by the deadline on a call the database did not answer in time. */
export class DeadlineExceeded extends Error {}

/** The typed error for a database failure during `what` (e.g. "reading the records"). */
export function databaseError(error: unknown, what: string): KMSServiceException {
  if (error instanceof KMSServiceException) return error;
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
  if (error instanceof DeadlineExceeded || CLIENT_UNREACHABLE.has(code) || isUnavailableState(code)) {
    return new DependencyTimeoutException({
      message: `The PostgreSQL database did not answer while ${what}${code === '' ? '' : ` (${code})`}; try again.`,
    });
  }
  // The server's message only: the driver's error also carries the query's parameters (records, sealed material).
  const said = error instanceof Error && /^[0-9A-Z]{5}$/.test(code) ? `: ${error.message}` : '';
  return new KMSInternalException({ message: `The PostgreSQL database failed while ${what}${code === '' ? '' : ` (${code})`}${said}.` });
}
