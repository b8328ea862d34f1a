// PostgresAuditSink: one hash chain across processes in a real PostgreSQL database, committed
// before write() resolves, and verifyPostgresAuditLog catches what the file log's check catches.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileAuditSink, Kms, MemoryAuditSink } from 'kmsbox/node';
import { PostgresAuditSink, verifyPostgresAuditLog } from 'kmsbox/postgres';
import { tempDir } from '../providers/file-fixtures.js';
import { type PostgresServer, startPostgres } from './server.js';
import { kmsbox } from './serve-processes.js';
import { migrated } from './migrated.js';

let server: PostgresServer;
let n = 0;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => server?.destroy());

/** A fresh, migrated database's URL. */
async function database(): Promise<string> {
  const name = `audit${++n}`;
  await server.createDatabase(name);
  return migrated(server.url(name));
}

/** Some real audit events, from a Kms that records into memory. */
async function events(count: number) {
  const memory = new MemoryAuditSink();
  const kms = new Kms({ audit: memory });
  // Quotes, backslashes, dollar signs and characters beyond ASCII: the database builds the line from the event's JSON.
  const { KeyMetadata } = await kms.invoke('CreateKey', { Description: `it's "quoted" \\ $$ $k$ ünï 🔑 \u0001` });
  for (let i = 1; i < count; i++) await kms.invoke('DescribeKey', { KeyId: KeyMetadata!.KeyId });
  return memory.events;
}

describe('PostgresAuditSink', () => {
  it('writes the very lines the file audit log writes', async () => {
    const url = await database();
    const path = join(tempDir(), 'audit.jsonl');
    const file = new FileAuditSink(path, { fsync: 'never' });
    const sink = new PostgresAuditSink({ url });
    for (const event of await events(5)) {
      file.write(event);
      await sink.write(event);
    }
    await sink.close();
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const rows = await sql<{ line: string }[]>`SELECT line FROM kmsbox.audit ORDER BY seq`;
    await sql.end();
    expect(rows.map((r) => `${r.line}\n`).join('')).toBe(readFileSync(path, 'utf8'));
    expect(await verifyPostgresAuditLog({ url })).toMatchObject({ ok: true, events: 5, problems: [] });
  });

  it('keeps one chain for many writers racing (separate pools, as separate processes have)', async () => {
    const url = await database();
    const sinks = [0, 1, 2].map(() => new PostgresAuditSink({ url }));
    const all = await events(20);
    // 3 writers x 20 concurrent writes each, all in flight at once.
    await Promise.all(sinks.flatMap((sink) => all.map((event) => sink.write(event))));
    const report = await verifyPostgresAuditLog({ url });
    expect(report).toMatchObject({ ok: true, events: 60, problems: [] });
    await Promise.all(sinks.map((s) => s.close()));
  });

  it('has committed the event when write() resolves (another connection sees it)', async () => {
    const url = await database();
    const sink = new PostgresAuditSink({ url });
    const kms = new Kms({ audit: sink });
    const other = postgres(url, { max: 1, onnotice: () => {} });
    for (let i = 1; i <= 3; i++) {
      await kms.invoke('CreateKey', {});
      const [row] = await other<{ count: string }[]>`SELECT count(*) AS count FROM kmsbox.audit`;
      expect(Number(row!.count)).toBe(i);
    }
    await other.end();
    await sink.close();
  });

  it('makes the call fail with KMSInternalException when the database is gone', async () => {
    const url = await database();
    const sink = new PostgresAuditSink({ url: url.replace(/:\d+\//, ':1/') });
    const kms = new Kms({ audit: sink });
    await expect(kms.invoke('ListKeys', {})).rejects.toMatchObject({ name: 'KMSInternalException' });
    await sink.close();
  });
});

describe('verifyPostgresAuditLog', () => {
  async function chain(): Promise<{ url: string; sql: postgres.Sql }> {
    const url = await database();
    const sink = new PostgresAuditSink({ url });
    for (const event of await events(6)) await sink.write(event);
    await sink.close();
    return { url, sql: postgres(url, { max: 1, onnotice: () => {} }) };
  }

  it('reports an edited line, its hash left alone', async () => {
    const { url, sql } = await chain();
    await sql`UPDATE kmsbox.audit SET line = replace(line, '"DescribeKey"', '"ListKeys"') WHERE seq = 3`;
    await sql.end();
    const report = await verifyPostgresAuditLog({ url });
    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).toMatch(/line 3: its stored hash is not the line's/);
    expect(report.problems.join('\n')).toMatch(/line 4: does not follow the line before it/);
  });

  it('reports an edited last line whose hash was recomputed too only through a kept head', async () => {
    const { url, sql } = await chain();
    const before = await verifyPostgresAuditLog({ url });
    await sql`UPDATE kmsbox.audit SET line = replace(line, '"DescribeKey"', '"ListKeys"') WHERE seq = 6`;
    await sql`UPDATE kmsbox.audit SET hash = encode(sha256(convert_to(line, 'UTF8')), 'hex') WHERE seq = 6`;
    await sql.end();
    expect((await verifyPostgresAuditLog({ url })).ok).toBe(true);
    const report = await verifyPostgresAuditLog({ url, expectHead: before.head });
    expect(report.problems).toEqual(['event 6 is not the expected head (the chain was rewritten)']);
  });

  it('reports a removed event in the middle, and events removed from the end against a kept head', async () => {
    const { url, sql } = await chain();
    const before = await verifyPostgresAuditLog({ url });
    expect(before).toMatchObject({ ok: true, events: 6, head: { seq: 6 } });
    await sql`DELETE FROM kmsbox.audit WHERE seq >= 5`;
    expect(await verifyPostgresAuditLog({ url })).toMatchObject({ ok: true, events: 4 });
    expect((await verifyPostgresAuditLog({ url, expectHead: before.head })).problems).toEqual([
      'the chain ends at event 4, before the expected head 6 (events were removed from the end)',
    ]);
    await sql`DELETE FROM kmsbox.audit WHERE seq = 2`;
    await sql.end();
    const report = await verifyPostgresAuditLog({ url });
    expect(report.ok).toBe(false);
    expect(report.problems).toContain('line 2: stored under sequence number 3');
  });

  it('reports a line that is not JSON without quoting it', async () => {
    const { url, sql } = await chain();
    await sql`UPDATE kmsbox.audit SET line = 'secret-ish junk' WHERE seq = 1`;
    await sql.end();
    const report = await verifyPostgresAuditLog({ url });
    expect(report.problems).toContain('line 1: not JSON');
    expect(report.problems.join('\n')).not.toContain('junk');
  });

  it('says so when the database was never migrated', async () => {
    await server.createDatabase('bare');
    expect(await verifyPostgresAuditLog({ url: server.url('bare') })).toMatchObject({
      ok: false,
      problems: ['there is no table kmsbox.audit: run kmsbox db migrate'],
    });
  });
});

describe('kmsbox db migrate and kmsbox audit verify --postgres', () => {
  it('migrate a fresh database, then report a chain that verifies, its head, and one that was cut short', async () => {
    await server.createDatabase('cli');
    const url = server.url('cli');
    const migrated = await kmsbox(['db', 'migrate', '--postgres', url]);
    expect(migrated).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^schema kmsbox in postgres:\/\/kmsbox@127\.0\.0\.1:\d+\/cli: version 0 → \d+\n$/),
    });
    const sink = new PostgresAuditSink({ url });
    for (const event of await events(4)) await sink.write(event);
    await sink.close();
    const ok = await kmsbox(['audit', 'verify'], { KMSBOX_POSTGRES_URL: url });
    expect(ok.code).toBe(0);
    const head = /^head: (4:[0-9a-f]{64}) /m.exec(ok.stdout)?.[1];
    expect(ok.stdout).toMatch(/^ok: 4 events/);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    await sql`DELETE FROM kmsbox.audit WHERE seq = 4`;
    await sql.end();
    const cut = await kmsbox(['audit', 'verify', '--postgres', url, '--expect-head', head!]);
    expect(cut).toMatchObject({
      code: 1,
      stdout: expect.stringContaining('before the expected head 4 (events were removed from the end)'),
    });
  });
});
