/**
 * `npx tsx bench/postgres.ts` (after `npm run build`): kmsbox over PostgreSQL (issue #17 §3), in one
 * run on a real PostgreSQL server started in a temporary directory (test/postgres/server.ts; it runs
 * with fsync=off, so commits cost a round trip, not a disk flush — a production server's flush comes
 * on top of every write measured here).
 *
 * 1. Encrypt + Decrypt of 4 KiB through an in-process Kms over PostgresProvider, beside the same
 *    over MemoryProvider: CALLERS concurrent callers each (target ≥ 80%).
 * 2. CreateKey latency in a store of 100 keys and of 100,000 keys (the 100,000 key records copied
 *    in with one INSERT … SELECT, then loaded by a fresh provider), in alternating rounds.
 * 3. Requests/s of 1 and of 3 `kmsbox serve --postgres` processes (node dist/cli.js), 20 keep-alive
 *    connections spread over them, Encrypt of 4 KiB, load generated in this process on the same
 *    2 cores; with audit events to the database (the default) and with --audit-log none.
 * Every number: the median of alternating rounds, with the spread (min–max) beside it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import type * as PostgresEntry from '../src/postgres.js';
import { startPostgres } from '../test/postgres/server.js';
import { machine, section } from './harness.js';
import { kmsbox } from './lib.js';

const dist = process.env.KMSBOX_BENCH_DIST ?? new URL('../dist', import.meta.url).pathname;
const { PostgresProvider } = (await import(`${dist}/postgres.js`)) as typeof PostgresEntry;
const { Kms, MemoryProvider } = kmsbox;

const CALLERS = 8;
const ROUNDS = Number(process.env.KMSBOX_BENCH_ROUNDS ?? 5);
/** KMSBOX_BENCH_ONLY=crypto|createkey|serve runs one section. */
const only = process.env.KMSBOX_BENCH_ONLY;
const runs = (name: string) => only === undefined || only === name;

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: readonly number[], digits = 0) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Runs `batch` repeatedly for `ms`; returns operations per second (each batch counts `per` operations). */
async function rate(batch: () => Promise<unknown>, per: number, ms: number): Promise<number> {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    await batch();
    n += per;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

console.log(`# kmsbox over PostgreSQL\n\n${machine()}`);
const pg = await startPostgres();
const dir = mkdtempSync(join(tmpdir(), 'kmsbox-pgbench-'));
const rootKeyFile = join(dir, 'root.key');
writeFileSync(rootKeyFile, randomBytes(32), { mode: 0o600 });
const children: ChildProcess[] = [];
try {
  const [version] = await postgres(pg.url(), { max: 1 })`SELECT current_setting('server_version') AS v`;
  console.log(`PostgreSQL ${version?.v} on 127.0.0.1 (fsync=off), ${ROUNDS} alternating rounds per case`);

  // --- 1. Encrypt + Decrypt 4 KiB, in process.
  if (runs('crypto')) {
    section(`Encrypt + Decrypt, 4 KiB, ${CALLERS} concurrent callers, in-process Kms`);
    await pg.createDatabase('crypto');
    const provider = new PostgresProvider({ url: pg.url('crypto'), rootKeyFile });
    await provider.ready();
    const stores = [
      { name: 'MemoryProvider', kms: new Kms({ provider: new MemoryProvider() }) },
      { name: 'PostgresProvider', kms: new Kms({ provider }) },
    ];
    const payload = randomBytes(4096);
    const runs = await Promise.all(
      stores.map(async ({ name, kms }) => {
        const { KeyMetadata } = await kms.createKey({});
        const KeyId = KeyMetadata!.KeyId!;
        const pair = async () => {
          const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: payload });
          await kms.decrypt({ CiphertextBlob });
        };
        return { name, batch: () => Promise.all(Array.from({ length: CALLERS }, pair)), samples: [] as number[] };
      }),
    );
    for (const r of runs) await rate(r.batch, CALLERS, 500); // warm-up
    for (let round = 0; round < ROUNDS; round++) for (const r of runs) r.samples.push(await rate(r.batch, CALLERS, 1000));
    console.log('| store | Encrypt+Decrypt pairs/s (median) | spread | vs MemoryProvider |');
    console.log('|---|---:|---:|---:|');
    const base = median(runs[0]!.samples);
    for (const r of runs)
      console.log(`| ${r.name} | ${fmt(median(r.samples))} | ${spread(r.samples)} | ${((median(r.samples) / base) * 100).toFixed(0)}% |`);
    const ratio = median(runs[1]!.samples) / base;
    console.log(`\ntarget: PostgreSQL ≥ 80% of memory — measured ${(ratio * 100).toFixed(0)}% — ${ratio >= 0.8 ? 'PASS' : 'FAIL'}`);
    await provider.close();
  }

  // --- 2. CreateKey at 100 and at 100,000 keys.
  if (runs('createkey')) {
    section('CreateKey latency, store of 100 keys vs 100,000 keys (in-process Kms, one caller)');
    const open = async (db: string, keys: number) => {
      await pg.createDatabase(db);
      const first = new PostgresProvider({ url: pg.url(db), rootKeyFile });
      const kms = new Kms({ provider: first });
      const { KeyMetadata } = await kms.createKey({});
      const sql = postgres(pg.url(db), { max: 1, onnotice: () => undefined });
      // Copies of the first key's record under new ids (their material rows are not copied: CreateKey never reads them).
      const started = performance.now();
      await sql`
        INSERT INTO kmsbox.records (collection, id, value, version)
        SELECT r.collection, replace(r.id, ${KeyMetadata!.KeyId!}, u.id), replace(r.value, ${KeyMetadata!.KeyId!}, u.id), r.version
        FROM kmsbox.records r,
             generate_series(1, ${keys - 1}) g,
             LATERAL (SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-8' || substr(h, 18, 3) || '-' || substr(h, 21, 12) AS id
                      FROM md5('bench' || g::text) AS h) u
        WHERE r.collection = 'keys'`;
      const filled = performance.now() - started;
      await sql.end();
      await first.close();
      const loading = performance.now();
      const provider = new PostgresProvider({ url: pg.url(db), rootKeyFile });
      const loaded = new Kms({ provider });
      await loaded.listKeys({ Limit: 1 }); // the first read loads every record into the replica
      console.log(`${fmt(keys)} keys: copied in ${fmt(filled)} ms; a fresh process loads them in ${fmt(performance.now() - loading)} ms`);
      return { keys, provider, kms: loaded, samples: [] as number[] };
    };
    const stores = [await open('keys100', 100), await open('keys100k', 100_000)];
    const PER_ROUND = 30;
    for (const s of stores) for (let i = 0; i < 5; i++) await s.kms.createKey({}); // warm-up
    for (let round = 0; round < ROUNDS; round++)
      for (const s of stores) {
        const times: number[] = [];
        for (let i = 0; i < PER_ROUND; i++) {
          const t = performance.now();
          await s.kms.createKey({});
          times.push(performance.now() - t);
        }
        s.samples.push(median(times));
      }
    console.log('\n| store | CreateKey median (ms) | spread of round medians | vs 100 keys |');
    console.log('|---|---:|---:|---:|');
    for (const s of stores)
      console.log(
        `| ${fmt(s.keys)} keys | ${median(s.samples).toFixed(2)} | ${spread(s.samples, 2)} | ${(median(s.samples) / median(stores[0]!.samples)).toFixed(2)}× |`,
      );
    for (const s of stores) await s.provider.close();
  }

  // --- 3. Requests/s, 1 vs 3 serve processes.
  if (runs('serve')) {
    section('Requests/s of kmsbox serve --postgres: 1 vs 3 processes, 20 connections, Encrypt 4 KiB');
    await pg.createDatabase('serve');
    const url = pg.url('serve');
    const serve = (extra: readonly string[]) =>
      new Promise<{ child: ChildProcess; port: number }>((resolve, reject) => {
        const child = spawn(process.execPath, [
          join(dist, 'cli.js'),
          'serve',
          '--port',
          '0',
          '--postgres',
          url,
          '--root-key-file',
          rootKeyFile,
          ...extra,
        ]);
        children.push(child);
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve({ child, port: Number(m[1]) });
        });
        child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
      });
    const agent = new Agent({ keepAlive: true, maxSockets: 20 });
    const call = (port: number, target: string, body: string) =>
      new Promise<string>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${target}` },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${res.statusCode} ${text}`))));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const plaintext = randomBytes(4096).toString('base64');
    /** Requests/s over `ms` with 20 connections, each a loop of Encrypt calls, spread over the ports round-robin. */
    const load = async (ports: readonly number[], keyId: string, ms: number) => {
      const body = JSON.stringify({ KeyId: keyId, Plaintext: plaintext });
      let n = 0;
      const end = performance.now() + ms;
      const start = performance.now();
      await Promise.all(
        Array.from({ length: 20 }, async (_, c) => {
          const port = ports[c % ports.length]!;
          while (performance.now() < end) {
            await call(port, 'Encrypt', body);
            n++;
          }
        }),
      );
      return (n * 1000) / (performance.now() - start);
    };
    for (const [label, extra] of [
      ['audit events to the database', [] as string[]],
      ['--audit-log none', ['--audit-log', 'none']],
    ] as const) {
      const procs = await Promise.all([0, 1, 2].map(() => serve(extra)));
      const ports = procs.map((p) => p.port);
      const key = JSON.parse(await call(ports[0]!, 'CreateKey', '{}')) as { KeyMetadata: { KeyId: string } };
      const KeyId = key.KeyMetadata.KeyId;
      const cases = [
        { name: '1 process', ports: ports.slice(0, 1), samples: [] as number[] },
        { name: '3 processes', ports, samples: [] as number[] },
      ];
      for (const c of cases) await load(c.ports, KeyId, 1000); // warm-up
      for (let round = 0; round < ROUNDS; round++) for (const c of cases) c.samples.push(await load(c.ports, KeyId, 2000));
      console.log(`\n${label}:\n`);
      console.log('| serve processes | requests/s (median) | spread | vs 1 process |');
      console.log('|---|---:|---:|---:|');
      for (const c of cases)
        console.log(
          `| ${c.name} | ${fmt(median(c.samples))} | ${spread(c.samples)} | ${(median(c.samples) / median(cases[0]!.samples)).toFixed(2)}× |`,
        );
      for (const p of procs) {
        p.child.removeAllListeners('exit');
        p.child.kill('SIGTERM');
      }
      await Promise.all(procs.map((p) => new Promise((r) => (p.child.exitCode !== null ? r(null) : p.child.once('exit', r)))));
    }
    agent.destroy();
  }
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await pg.destroy();
}
