// The PostgreSQL audit trail's public entry points (kmsbox/postgres) refuse malformed options with a
// typed ValidationException that never quotes the URL (it may hold a password), and a database
// that cannot be reached is DependencyTimeoutException, not a driver error.
import { createServer } from 'node:net';
import { DependencyTimeoutException, ValidationException } from 'kmsbox';
import { PostgresAuditSink, verifyPostgresAuditLog } from 'kmsbox/postgres';
import { describe, expect, it } from 'vitest';

const SECRET = 's3cret-pw';

describe('PostgresAuditSink and verifyPostgresAuditLog: bad input', () => {
  it.each([
    ['no options', null],
    ['a number', 7],
    ['no url', {}],
    ['an http url', { url: `http://u:${SECRET}@h/db` }],
    ['a bad schema', { url: `postgres://u:${SECRET}@127.0.0.1:1/db`, schema: 'Robert"; DROP' }],
    ['a schema that is not a string', { url: 'postgres://u@127.0.0.1:1/db', schema: 42 }],
    ['zero connections', { url: 'postgres://u@127.0.0.1:1/db', maxConnections: 0 }],
    ['an sql that is not a pool', { sql: {} }],
  ])('the sink refuses %s', (_, options) => {
    let thrown: unknown;
    try {
      new PostgresAuditSink(options as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationException);
    expect((thrown as Error).message).not.toBe('');
    expect((thrown as Error).message).not.toContain(SECRET);
  });

  it.each([
    ['no options', undefined],
    ['a url that is not a string', { url: 5 }],
    ['an http url', { url: `http://u:${SECRET}@h/db` }],
    ['a bad schema', { url: 'postgres://u@127.0.0.1:1/db', schema: '../x' }],
  ])('verify refuses %s', async (_, options) => {
    const thrown = await verifyPostgresAuditLog(options as never).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(ValidationException);
    expect((thrown as Error).message).not.toContain(SECRET);
  });

  it('verify against a database nobody listens on is DependencyTimeoutException, without the password', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 1));
      });
    });
    const thrown = await verifyPostgresAuditLog({ url: `postgres://u:${SECRET}@127.0.0.1:${port}/db` }).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(DependencyTimeoutException);
    expect((thrown as Error).message).not.toContain(SECRET);
  });
});
