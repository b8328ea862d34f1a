// What a database failure becomes at the API (src/providers/postgres/db-errors.ts): "not now" is
// DependencyTimeoutException, anything else KMSInternalException, and neither carries the query's
// parameters (records, sealed material) in its message.
import { AlreadyExistsException, DependencyTimeoutException, KMSInternalException } from 'kmsbox';
import { expect, test } from 'vitest';
import { DeadlineExceeded, databaseError } from '../../src/providers/postgres/db-errors.js';

const withCode = (code: string, message = 'boom'): Error => Object.assign(new Error(message), { code, parameters: ['SECRET-PARAM'] });

test.each([
  'ECONNREFUSED',
  'ECONNRESET',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57P01', // admin_shutdown
  '57P03', // cannot_connect_now
  '57014', // statement_timeout
  '55P03', // lock_timeout
  '08006', // connection_failure
  '53300', // too_many_connections
])('%s is DependencyTimeoutException', (code) => {
  const e = databaseError(withCode(code), 'reading the records');
  expect(e).toBeInstanceOf(DependencyTimeoutException);
  expect(e.message).toBe(`The PostgreSQL database did not answer while reading the records (${code}); try again.`);
});

test('a call past its deadline is DependencyTimeoutException', () => {
  expect(databaseError(new DeadlineExceeded(), 'x')).toBeInstanceOf(DependencyTimeoutException);
});

test.each(['42P01', '23505', 'P0001', '22P02', 'UNDEFINED_VALUE', ''])('%s is KMSInternalException, without the parameters', (code) => {
  const e = databaseError(withCode(code, 'relation "x" does not exist'), 'writing the records');
  expect(e).toBeInstanceOf(KMSInternalException);
  expect(e.message).toMatch(/^The PostgreSQL database failed while writing the records/);
  expect(e.message).not.toContain('SECRET-PARAM');
  expect(e.cause).toBeUndefined();
});

test('a raw error without a code, a string, undefined: KMSInternalException', () => {
  for (const raw of [new TypeError('x'), 'text', undefined, null]) expect(databaseError(raw, 'x')).toBeInstanceOf(KMSInternalException);
});

test('a KMS error passes through as it is', () => {
  const own = new AlreadyExistsException({ message: 'mine' });
  expect(databaseError(own, 'x')).toBe(own);
});
