// Three `kmsbox serve --postgres` processes over one real PostgreSQL database, driven by concurrent
// AWS SDK clients: no lost update, every ciphertext decrypts on every process, a change on one is
// seen by the next request to another, a SIGKILL loses nothing acknowledged, a database restart
// gives typed errors and then full service, and the audit chain of all of them verifies.
import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  type KMSClient,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeyRotationsCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  RotateKeyOnDemandCommand,
  TagResourceCommand,
} from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../providers/file-fixtures.js';
import { client, kmsbox, type ServeProcess, serve, stop } from './serve-processes.js';
import { type PostgresServer, startPostgres } from './server.js';

let pg: PostgresServer;
let url: string;
let args: string[];
let procs: ServeProcess[] = [];
let clients: KMSClient[] = [];

beforeAll(async () => {
  pg = await startPostgres();
  await pg.createDatabase('team');
  url = pg.url('team');
  const rootKeyFile = join(tempDir(), 'root.key');
  writeFileSync(rootKeyFile, randomBytes(32), { mode: 0o600 });
  // Strict freshness: these processes are asserted to see a change on the very next request
  // (freshness notify, the default, sees it once the notification arrives: notify.test.ts).
  args = ['--postgres', url, '--root-key-file', rootKeyFile, '--postgres-freshness', 'strict'];
  // All three at once: they race to create the schema, as a fleet started together does.
  procs = await Promise.all([0, 1, 2].map(() => serve(args)));
  clients = procs.map((p) => client(p.url));
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await Promise.all(procs.map(stop));
  await pg?.destroy();
});

const text = (s: string) => new TextEncoder().encode(s);

async function aliasNames(c: KMSClient): Promise<string[]> {
  const names: string[] = [];
  let Marker: string | undefined;
  do {
    const page = await c.send(new ListAliasesCommand({ Limit: 50, ...(Marker ? { Marker } : {}) }));
    for (const a of page.Aliases ?? []) names.push(a.AliasName!);
    Marker = page.Truncated ? page.NextMarker : undefined;
  } while (Marker !== undefined);
  return names.sort();
}

async function tagKeys(c: KMSClient, KeyId: string): Promise<string[]> {
  const keys: string[] = [];
  let Marker: string | undefined;
  do {
    const page = await c.send(new ListResourceTagsCommand({ KeyId, Limit: 50, ...(Marker ? { Marker } : {}) }));
    for (const t of page.Tags ?? []) keys.push(`${t.TagKey}=${t.TagValue}`);
    Marker = page.Truncated ? page.NextMarker : undefined;
  } while (Marker !== undefined);
  return keys.sort();
}

async function granteesOf(c: KMSClient, KeyId: string): Promise<string[]> {
  const grantees: string[] = [];
  let Marker: string | undefined;
  do {
    const page = await c.send(new ListGrantsCommand({ KeyId, Limit: 50, ...(Marker ? { Marker } : {}) }));
    for (const g of page.Grants ?? []) grantees.push(g.GranteePrincipal!);
    Marker = page.Truncated ? page.NextMarker : undefined;
  } while (Marker !== undefined);
  return grantees.sort();
}

/**
 * Waits until `done()` holds, checking every few milliseconds (no fixed delay decides anything).
 * After two minutes it gives up with the processes' last output: a hang-catcher, not a timing check.
 */
async function until(done: () => boolean): Promise<void> {
  const giveUp = Date.now() + 120_000;
  while (!done()) {
    if (Date.now() > giveUp)
      throw new Error(`still waiting; the processes said:\n${procs.map((p) => p.output().slice(-1500)).join('\n---\n')}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('three kmsbox serve --postgres processes over one database', () => {
  it('lose no update: concurrent aliases, tags, grants and rotations spread across the processes', async () => {
    const { KeyMetadata } = await clients[0]!.send(new CreateKeyCommand({ Description: 'shared' }));
    const KeyId = KeyMetadata!.KeyId!;
    const N = 30;
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++) {
      writes.push(clients[i % 3]!.send(new CreateAliasCommand({ AliasName: `alias/team-${i}`, TargetKeyId: KeyId })));
      writes.push(clients[(i + 1) % 3]!.send(new TagResourceCommand({ KeyId, Tags: [{ TagKey: `t${i}`, TagValue: `v${i}` }] })));
      writes.push(
        clients[(i + 2) % 3]!.send(
          new CreateGrantCommand({ KeyId, GranteePrincipal: `arn:aws:iam::111122223333:role/r${i}`, Operations: ['Encrypt'] }),
        ),
      );
    }
    // The same alias from all three at once: exactly one wins.
    const contested = clients.map((c) =>
      c.send(new CreateAliasCommand({ AliasName: 'alias/contested', TargetKeyId: KeyId })).then(
        () => 'created',
        (e: Error) => e.name,
      ),
    );
    // The same key rotated by all three at once: every rotation that succeeded is in the history.
    const rotations = clients.map((c) =>
      c.send(new RotateKeyOnDemandCommand({ KeyId })).then(
        () => 'rotated',
        (e: Error) => e.name,
      ),
    );
    await Promise.all(writes);
    expect((await Promise.all(contested)).sort()).toEqual(['AlreadyExistsException', 'AlreadyExistsException', 'created']);
    const rotated = (await Promise.all(rotations)).filter((r) => r === 'rotated').length;
    expect(rotated).toBeGreaterThanOrEqual(1);

    const aliases = [...Array.from({ length: N }, (_, i) => `alias/team-${i}`), 'alias/contested'].sort();
    const tags = Array.from({ length: N }, (_, i) => `t${i}=v${i}`).sort();
    const grantees = Array.from({ length: N }, (_, i) => `arn:aws:iam::111122223333:role/r${i}`).sort();
    for (const c of clients) {
      expect((await aliasNames(c)).filter((a) => !a.startsWith('alias/aws/'))).toEqual(aliases);
      expect(await tagKeys(c, KeyId)).toEqual(tags);
      expect(await granteesOf(c, KeyId)).toEqual(grantees);
      const { Rotations } = await c.send(new ListKeyRotationsCommand({ KeyId }));
      expect(Rotations).toHaveLength(rotated);
    }
  });

  it('decrypt every ciphertext on every process', async () => {
    const keys = await Promise.all(clients.map((c) => c.send(new CreateKeyCommand({}))));
    const made = await Promise.all(
      clients.flatMap((c, i) =>
        keys.map(async ({ KeyMetadata }, k) => {
          const plaintext = `from process ${i} under key ${k}: ${randomBytes(8).toString('hex')}`;
          const { CiphertextBlob } = await c.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: text(plaintext) }));
          return { plaintext, CiphertextBlob, arn: KeyMetadata!.Arn };
        }),
      ),
    );
    const opened = await Promise.all(
      made.flatMap(({ CiphertextBlob }) => clients.map((c) => c.send(new DecryptCommand({ CiphertextBlob })))),
    );
    expect(opened.map((o) => [new TextDecoder().decode(o.Plaintext), o.KeyId])).toEqual(
      made.flatMap(({ plaintext, arn }) => clients.map(() => [plaintext, arn])),
    );
  });

  it('see a change made through one process in the next request to another', async () => {
    const [a, b, c] = clients as [KMSClient, KMSClient, KMSClient];
    const { KeyMetadata } = await c.send(new CreateKeyCommand({}));
    const KeyId = KeyMetadata!.KeyId!;
    const { CiphertextBlob } = await b.send(new EncryptCommand({ KeyId, Plaintext: text('before') }));
    for (const [disabler, user, enabler] of [
      [a, b, c],
      [b, c, a],
      [c, a, b],
    ] as const) {
      await user.send(new EncryptCommand({ KeyId, Plaintext: text('enabled') }));
      await disabler.send(new DisableKeyCommand({ KeyId }));
      await expect(user.send(new EncryptCommand({ KeyId, Plaintext: text('disabled?') }))).rejects.toMatchObject({
        name: 'DisabledException',
      });
      await expect(enabler.send(new DecryptCommand({ CiphertextBlob }))).rejects.toMatchObject({ name: 'DisabledException' });
      await enabler.send(new EnableKeyCommand({ KeyId }));
      await user.send(new DecryptCommand({ CiphertextBlob }));
    }
  });

  it('lose nothing acknowledged when a process is killed with SIGKILL mid-write', async () => {
    // This one finds the database through KMSBOX_POSTGRES_URL, as a deployment that keeps the URL out of `ps` does.
    const d = await serve(
      args.filter((a) => a !== '--postgres' && a !== url),
      { KMSBOX_POSTGRES_URL: url },
    );
    expect(d.output()).toContain(`keys in PostgreSQL ${url}; audit events to the database`);
    const cd = client(d.url);
    const { KeyMetadata } = await clients[0]!.send(new CreateKeyCommand({}));
    const aliases: string[] = [];
    const keys: string[] = [];
    let dead = false;
    // Eight writers keep requests in flight; the kill lands among them once 40 were acknowledged.
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !dead; i++) {
        try {
          if (i % 2 === 0) {
            await cd.send(new CreateAliasCommand({ AliasName: `alias/kill-${w}-${i}`, TargetKeyId: KeyMetadata!.KeyId }));
            aliases.push(`alias/kill-${w}-${i}`);
          } else {
            const made = await cd.send(new CreateKeyCommand({ Description: `kill-${w}-${i}` }));
            keys.push(made.KeyMetadata!.KeyId!);
          }
        } catch {
          return; // the process is gone
        }
      }
    });
    await until(() => aliases.length + keys.length >= 40);
    d.child.kill('SIGKILL');
    dead = true;
    await Promise.all(writers);
    expect(await d.exited).toBe('SIGKILL');
    cd.destroy();

    const [a, b] = clients as [KMSClient, KMSClient];
    const present = new Set(await aliasNames(a));
    expect(aliases.filter((name) => !present.has(name))).toEqual([]);
    // Every key the killed process made, acknowledged or not, is whole: described and usable everywhere.
    const listed: string[] = [];
    let Marker: string | undefined;
    do {
      const page = await b.send(new ListKeysCommand({ Limit: 100, ...(Marker ? { Marker } : {}) }));
      for (const k of page.Keys ?? []) listed.push(k.KeyId!);
      Marker = page.Truncated ? page.NextMarker : undefined;
    } while (Marker !== undefined);
    expect(keys.filter((k) => !listed.includes(k))).toEqual([]);
    for (const KeyId of listed) {
      const { KeyMetadata: m } = await a.send(new DescribeKeyCommand({ KeyId }));
      if (!m!.Description!.startsWith('kill-')) continue;
      const { CiphertextBlob } = await a.send(new EncryptCommand({ KeyId, Plaintext: text('whole') }));
      await b.send(new DecryptCommand({ CiphertextBlob }));
    }
  });

  // The store holds no client-side transaction (src/providers/postgres/backend.ts), so a restart
  // cannot hit postgres.js 3.4.9's ROLLBACK on a dead connection (porsager/postgres#1154).
  // test/postgres/restart.test.ts covers restarts for providers in one process (5 restarts, 32 callers).
  it('give typed errors while the database restarts, then full service with nothing lost', async () => {
    // Aliases spread over 20 keys: a key takes at most 50 (LimitExceededException past that).
    const targets: string[] = [];
    for (let k = 0; k < 20; k++) targets.push((await clients[0]!.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!);
    const acked: string[] = [];
    const errors: string[] = [];
    const okAfter = new Set<number>();
    /** Each process's latest failure after the restart, for the message should one never answer. */
    const lastFailure = new Map<number, string>();
    let phase: 'before' | 'outage' | 'after' = 'before';
    let running = true;
    const writers = clients.map(async (c, p) => {
      for (let i = 0; running; i++) {
        // Only the aliases the test needs: the 20 keys take 1,000 in all, and once they are taken
        // every CreateAlias is LimitExceededException. Unpaced, the two processes that came back
        // first took them all within seconds while the third still waited on a call sent as the
        // database came back (bounded by the store's and the audit's deadlines, src/providers/postgres/
        // provider.ts and src/audit/postgres-log.ts); it never succeeded again and the test gave up
        // (issue #17, which looked like a process that had stopped answering).
        if ((phase === 'before' && acked.length >= 15) || (phase === 'after' && okAfter.has(p))) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        const AliasName = `alias/restart-${p}-${i}`;
        try {
          await c.send(new CreateAliasCommand({ AliasName, TargetKeyId: targets[(p * 7 + i) % targets.length] }));
          acked.push(AliasName);
          if (phase === 'after') okAfter.add(p);
        } catch (error) {
          if (phase === 'outage') errors.push((error as Error).name);
          if (phase === 'after') lastFailure.set(p, `${(error as Error).name}: ${(error as Error).message}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    });
    await until(() => acked.length >= 15);
    await pg.stop();
    phase = 'outage';
    await until(() => errors.length >= 6);
    // A client with the SDK's default retries retries these errors (HTTP 500 and 503 are transient to it).
    const retrying = client(procs[0]!.url, 3);
    const failed = (await retrying.send(new ListKeysCommand({})).catch((e: unknown) => e)) as {
      name: string;
      $metadata: { attempts?: number };
    };
    retrying.destroy();
    await pg.start();
    phase = 'after';
    // Every process must have lived through the outage (a crashed one would never answer again).
    await until(() => okAfter.size === 3 || procs.some((p) => p.child.exitCode !== null)).catch((error: Error) => {
      throw new Error(
        `${error.message}\nprocesses with no success since the restart, their latest failure: ${JSON.stringify([...lastFailure].filter(([p]) => !okAfter.has(p)))}`,
      );
    });
    expect(procs.filter((p) => p.child.exitCode !== null).map((p) => p.output())).toEqual([]);
    running = false;
    await Promise.all(writers);

    expect(new Set(errors)).toEqual(new Set(errors.filter((n) => n === 'DependencyTimeoutException' || n === 'KMSInternalException')));
    // Mostly KMSInternalException: the audit trail is in the same database, and a call whose audit
    // event cannot be recorded fails so (src/kms.ts, #audit), whatever the store said.
    expect(errors.length).toBeGreaterThan(0);
    expect(['DependencyTimeoutException', 'KMSInternalException']).toContain(failed.name);
    expect(failed.$metadata.attempts).toBe(3);
    for (const c of clients) {
      const present = new Set(await aliasNames(c));
      expect(acked.filter((name) => !present.has(name))).toEqual([]);
    }
  });

  it('keep one audit chain across all of them, which kmsbox audit verify --postgres checks', async () => {
    const verified = await kmsbox(['audit', 'verify', '--postgres', url]);
    expect(verified).toMatchObject({ code: 0, stderr: '' });
    const events = Number(/^ok: (\d+) events/.exec(verified.stdout)?.[1]);
    expect(events).toBeGreaterThan(200);
    const migrated = await kmsbox(['db', 'migrate', '--postgres', url]);
    expect(migrated).toMatchObject({ code: 0, stdout: expect.stringMatching(/: at version \d+, nothing to do\n$/) });
  });
});
