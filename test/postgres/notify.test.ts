// Freshness 'notify' (src/providers/postgres/listener.ts, provider.ts): requests are served from
// the replica without a round trip while it is known fresh, a change through another provider is
// seen once its notification arrives, a lost listener falls back to a catch-up per request, and
// maxStaleness bounds what lost notifications can hide. Every wait is for a condition (a
// notification received, a request refused), with a generous safety timeout; nothing is timed.
import { CreateKeyCommand, DisableKeyCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DisabledException, Kms } from 'kmsbox';
import type { PostgresProvider } from 'kmsbox/postgres';
import postgres from 'postgres';
import { describe, expect, test, vi } from 'vitest';
import { tempDir } from '../providers/file-fixtures.js';
import { usePostgres, holdMetaRow } from './fixtures.js';
import { client, kmsbox, serve, stop } from './serve-processes.js';

const pg = usePostgres('notify');
const HOUR = 3_600_000;
const plaintext = new Uint8Array([1, 2, 3]);

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const dbVersion = async (schema: string): Promise<number> => {
  const [row] = await pg.sql`SELECT version FROM ${pg.sql(`${schema}.meta`)}`;
  return Number(row!.version);
};

/**
 * Waits until `provider` (listening since before the store's first commit) has heard of every commit made so far, then makes one
 * request (it catches up if a notification came after its last catch-up): from then on, with no
 * commit, no notification and maxStaleness not reached, its requests make no round trip.
 */
async function settle(schema: string, provider: PostgresProvider, request: () => Promise<unknown>): Promise<void> {
  const version = await dbVersion(schema);
  await waitFor(
    'the listener to hear of every commit',
    () => provider.replicaStats.listening && provider.replicaStats.notifiedVersion >= version,
  );
  await request();
}

/** How many catch-ups `request` made through `provider`. */
async function pullsOf(provider: PostgresProvider, request: () => Promise<unknown>): Promise<number> {
  const before = provider.replicaStats.pulls;
  await request();
  return provider.replicaStats.pulls - before;
}

/** The key's record row as it is now (MAC'd by the store: it can be put back by hand, as the README's threat model says). */
async function keyRow(schema: string): Promise<{ collection: string; id: string; value: string; mac: string }> {
  const [row] = await pg.sql<{ collection: string; id: string; value: string; mac: string }[]>`
    SELECT collection, id, value, mac FROM ${pg.sql(`${schema}.records`)} WHERE collection = 'keys'`;
  return row!;
}

/** Puts back an older row of a record as a new version, by hand: a change no notification announces. */
async function putBackSilently(
  sql: Pick<typeof pg.sql, 'unsafe'>,
  schema: string,
  row: { collection: string; id: string; value: string; mac: string },
): Promise<void> {
  await sql.unsafe(
    `WITH bump AS (UPDATE ${schema}.meta SET version = version + 1 RETURNING version),
     rec AS (UPDATE ${schema}.records SET value = $3, mac = $4, version = (SELECT version FROM bump) WHERE collection = $1 AND id = $2),
     log AS (INSERT INTO ${schema}.changes (version, ord, collection, id, value, mac) SELECT version, 0, $1, $2, $3, $4 FROM bump)
     SELECT version FROM bump`,
    [row.collection, row.id, row.value, row.mac],
  );
}

/** A notify provider on `schema`, open and listening (so that it hears of every commit from now on). */
async function listening(schema: string, options: { maxStaleness: number }): Promise<PostgresProvider> {
  const provider = pg.open(schema, { freshness: 'notify', ...options });
  await provider.ready();
  await waitFor('the listener', () => provider.replicaStats.listening);
  return provider;
}

/** A notify provider and its Kms, with a key made through a strict provider on the same store. */
async function store(options: { maxStaleness: number }) {
  const schema = pg.schema();
  const provider = await listening(schema, options);
  const strict = new Kms({ provider: pg.open(schema) });
  const KeyId = (await strict.createKey({})).KeyMetadata!.KeyId!;
  const kms = new Kms({ provider });
  const encrypt = () => kms.encrypt({ KeyId, Plaintext: plaintext });
  return { schema, strict, KeyId, provider, kms, encrypt };
}

const refused = (p: Promise<unknown>): Promise<boolean> =>
  p.then(
    () => false,
    (error: unknown) => {
      if (error instanceof DisabledException) return true;
      throw error;
    },
  );

test('notify is the default; each version is notified once, by the statement that made it, and a commit that lost its race notifies nothing', async () => {
  const schema = pg.schema();
  const a = pg.open(schema, { freshness: undefined });
  const b = pg.open(schema, { freshness: undefined });
  expect(a.freshness).toBe('notify');
  expect(pg.open(schema).freshness).toBe('strict');
  const [ka, kb] = [new Kms({ provider: a }), new Kms({ provider: b })];
  const KeyId = (await ka.createKey({})).KeyMetadata!.KeyId!;
  const heard: string[] = [];
  const listening = await pg.sql.listen(`kmsbox.${schema}`, (payload) => heard.push(payload));
  try {
    const from = await dbVersion(schema);
    // Two writes decided on the same version (another session holds the meta row meanwhile): one loses and decides again.
    const { release, holder } = await holdMetaRow(pg.sql, schema);
    const writes = [
      ka.tagResource({ KeyId, Tags: [{ TagKey: 'a', TagValue: '1' }] }),
      kb.tagResource({ KeyId, Tags: [{ TagKey: 'b', TagValue: '2' }] }),
    ];
    await waitFor('both writes to wait at the row lock', async () => {
      const [row] =
        await pg.sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'kmsbox' AND wait_event_type = 'Lock'`;
      return row!.n === 2;
    });
    release();
    await holder;
    await Promise.all(writes);
    await a.destroyMaterial([await a.createMaterial('HMAC_256')]); // material changes notify too
    const to = await dbVersion(schema);
    expect(a.commitConflicts + b.commitConflicts).toBe(1);
    expect(to - from).toBe(3);
    await waitFor('every notification', () => heard.length >= to - from);
    expect(heard).toEqual(Array.from({ length: to - from }, (_, i) => String(from + i + 1)));
  } finally {
    await listening.unlisten();
  }
});

test('DisableKey through A: Encrypt through B is refused once B heard of it; without a notification B makes no round trip', async () => {
  const { schema, strict, KeyId, provider: b, encrypt } = await store({ maxStaleness: HOUR });
  await settle(schema, b, encrypt);
  // The cache is used: requests with no notification between them make no catch-up.
  for (let i = 0; i < 3; i++) expect(await pullsOf(b, encrypt)).toBe(0);
  const a = new Kms({ provider: pg.open(schema, { freshness: 'notify' }) });
  await a.disableKey({ KeyId });
  // Only the notification can refresh B (maxStaleness is an hour).
  await waitFor('B to refuse the disabled key', () => refused(encrypt()));
  expect(await refused(strict.encrypt({ KeyId, Plaintext: plaintext }))).toBe(true);
  await settle(schema, b, () => refused(encrypt()));
  expect(await pullsOf(b, () => refused(encrypt()))).toBe(0);
});

test('with notifications impossible (a change put back by hand), the change is seen within maxStaleness, and not before with a long one', async () => {
  const { schema, strict, KeyId, provider: quick, encrypt } = await store({ maxStaleness: 200 });
  const slowProvider = await listening(schema, { maxStaleness: HOUR });
  const slow = new Kms({ provider: slowProvider });
  const slowEncrypt = () => slow.encrypt({ KeyId, Plaintext: plaintext });
  const enabled = await keyRow(schema);
  await strict.disableKey({ KeyId });
  await settle(schema, slowProvider, () => refused(slowEncrypt()));
  await settle(schema, quick, () => refused(encrypt()));
  await putBackSilently(pg.sql, schema, enabled); // enabled again, and nobody is told
  expect(await strict.encrypt({ KeyId, Plaintext: plaintext })).toBeDefined();
  // The long bound: served from the replica, stale, with no round trip.
  expect(await pullsOf(slowProvider, async () => expect(await refused(slowEncrypt())).toBe(true))).toBe(0);
  // The short bound: a catch-up once maxStaleness has passed brings it.
  await waitFor('the quick provider to see the key enabled', async () => !(await refused(encrypt())));
  expect(quick.replicaStats.pulls).toBeGreaterThan(1);
});

test('a wall clock that jumped (a machine resumed from suspend, where performance.now() stood still) or went back: the next request catches up', async () => {
  const { schema, provider: b, encrypt } = await store({ maxStaleness: HOUR });
  await settle(schema, b, encrypt);
  expect(await pullsOf(b, encrypt)).toBe(0);
  const now = Date.now();
  for (const shift of [2 * HOUR, -60_000]) {
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now + shift);
    try {
      expect(await pullsOf(b, encrypt)).toBe(1); // the wall clock says the last catch-up is not recent
      expect(await pullsOf(b, encrypt)).toBe(0); // and that catch-up, dated by the same clock, is
    } finally {
      clock.mockRestore();
    }
    expect(await pullsOf(b, encrypt)).toBeLessThanOrEqual(1);
  }
});

test('a killed listener: a catch-up per request until it listens again (a change meanwhile is seen), then the fast path again', async () => {
  const { schema, strict, KeyId, provider: b, encrypt } = await store({ maxStaleness: HOUR });
  const enabled = await keyRow(schema);
  await strict.disableKey({ KeyId });
  await settle(schema, b, () => refused(encrypt()));
  expect(await pullsOf(b, () => refused(encrypt()))).toBe(0);
  const listens = b.replicaStats.listens;
  // The database takes no new connection, so the listener cannot come back until allowed; B's
  // requests use the connection its pool has open, and this test's own reserved one.
  const admin = await pg.sql.reserve();
  const elsewhere = postgres(pg.server.url('postgres'), { max: 1, onnotice: () => undefined }); // not the database it closes
  try {
    await elsewhere.unsafe('ALTER DATABASE notify ALLOW_CONNECTIONS false');
    const killed = await admin<{ pid: number }[]>`
      SELECT pg_terminate_backend(pid), pid FROM pg_stat_activity
      WHERE datname = 'notify' AND application_name = 'kmsbox listener' AND query = ${`LISTEN "kmsbox.${schema}"`}`;
    expect(killed).toHaveLength(1);
    await waitFor('B to find its listener gone', () => !b.replicaStats.listening);
    // Not listening: every request catches up.
    for (let i = 0; i < 2; i++) expect(await pullsOf(b, () => refused(encrypt()))).toBe(1);
    expect(b.replicaStats.listening).toBe(false);
    await putBackSilently(admin, schema, enabled);
    expect(await pullsOf(b, encrypt)).toBe(1); // the change made meanwhile is seen at once
  } finally {
    await elsewhere.unsafe('ALTER DATABASE notify ALLOW_CONNECTIONS true');
    await elsewhere.end();
    admin.release();
  }
  await waitFor('B to listen again', () => b.replicaStats.listening && b.replicaStats.listens > listens);
  expect(b.replicaStats.listenerLosses).toBeGreaterThan(0);
  // What was notified while nobody listened is unknown: the first request after the re-listen catches up.
  expect(await pullsOf(b, encrypt)).toBe(1);
  expect(await pullsOf(b, encrypt)).toBe(0);
  // And notifications work again.
  await strict.disableKey({ KeyId });
  await waitFor('B to refuse the disabled key', () => refused(encrypt()));
});

test('a NOTIFY from anyone, with any payload, costs at most a catch-up and breaks nothing', async () => {
  const { schema, provider: b, encrypt } = await store({ maxStaleness: HOUR });
  await settle(schema, b, encrypt);
  expect(await pullsOf(b, encrypt)).toBe(0);
  const heard = b.replicaStats.notifications;
  const channel = `kmsbox.${schema}`;
  for (const payload of ['x'.repeat(7000), '-1', '99999999999999999999', "'; DROP TABLE x; --", '\u00e9\u4e2d', ''])
    await pg.sql`SELECT pg_notify(${channel}, ${payload})`;
  await waitFor('the notifications', () => b.replicaStats.notifications === heard + 6);
  expect(await pullsOf(b, encrypt)).toBe(1);
  expect(await pullsOf(b, encrypt)).toBe(0);
});

test('material destroyed through A is dropped from what B cached, through the catch-up a notification causes', async () => {
  const schema = pg.schema();
  const a = pg.open(schema);
  const b = await listening(schema, { maxStaleness: HOUR });
  const id = await a.createMaterial('SYMMETRIC_DEFAULT');
  const request = {
    blobVersion: 2 as const,
    salt: new Uint8Array(16),
    nonce: new Uint8Array(12),
    plaintext: new Uint8Array([7]),
    aad: new Uint8Array(0),
  };
  await settle(schema, b, () => b.read(() => undefined)); // (B's first catch-up loads every record, and drops its whole cache)
  const sealed = await b.seal(id, request); // cached in B
  expect(await pullsOf(b, () => b.read(() => undefined))).toBe(0);
  expect(await b.open(id, { ...request, sealed })).toEqual(request.plaintext);
  await a.destroyMaterial([id]);
  await waitFor('B to drop the material', async () => {
    await b.read(() => undefined);
    return (await b.open(id, { ...request, sealed })) === undefined;
  });
});

describe('kmsbox serve --postgres-freshness', () => {
  test('two processes with the default (notify): a key disabled through one is refused through the other a moment later', async () => {
    const rootKeyFile = join(tempDir(), 'root.key');
    writeFileSync(rootKeyFile, randomBytes(32), { mode: 0o600 });
    const args = ['--postgres', pg.url, '--postgres-schema', 'served', '--root-key-file', rootKeyFile, '--audit-log', 'none'];
    const a = await serve(args);
    const b = await serve(args);
    const [ca, cb] = [client(a.url), client(b.url)];
    try {
      const KeyId = (await ca.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
      await waitFor('B to see the new key', () =>
        cb.send(new EncryptCommand({ KeyId, Plaintext: plaintext })).then(
          () => true,
          () => false,
        ),
      );
      await ca.send(new DisableKeyCommand({ KeyId }));
      await waitFor('B to refuse the disabled key', () =>
        cb.send(new EncryptCommand({ KeyId, Plaintext: plaintext })).then(
          () => false,
          (error: { name?: string }) => {
            if (error.name === 'DisabledException') return true;
            throw error;
          },
        ),
      );
    } finally {
      ca.destroy();
      cb.destroy();
      await Promise.all([stop(a), stop(b)]);
    }
  });

  test.each([
    [['--postgres-freshness', 'eventual'], /--postgres-freshness must be notify or strict/],
    [['--postgres-max-staleness-ms', '-1'], /--postgres-max-staleness-ms must be an integer/],
    [['--postgres-freshness', 'strict', '--postgres-max-staleness-ms', '5'], /goes with --postgres-freshness notify/],
  ])('%j is a usage error', async (flags, message) => {
    const { code, stderr } = await kmsbox(['serve', '--postgres', pg.url, ...flags], { KMSBOX_PASSPHRASE: 'x' });
    expect(code).toBe(252);
    expect(stderr).toMatch(message);
  });

  test('without --postgres it is a usage error', async () => {
    const { code, stderr } = await kmsbox(['serve', '--postgres-freshness', 'strict'], { KMSBOX_POSTGRES_URL: '' });
    expect(code).toBe(252);
    expect(stderr).toMatch(/--postgres-freshness goes with --postgres/);
  });
});
