/**
 * `npx tsx bench/postgres-request.ts`: what a request costs in catch-ups. Encrypt + Decrypt of
 * 4 KiB through an in-process Kms over PostgresProvider beside MemoryProvider, one caller and 16
 * concurrent callers, on a real PostgreSQL server (test/postgres/server.ts): freshness 'notify'
 * (the default: no round trip while the replica is known fresh), 'strict' (a catch-up per
 * request), and 'strict' with a catch-up per read (as before requests shared one). Rounds
 * alternate between them; median of 5 rounds of 2 s each, spread beside it, and the catch-ups
 * per Encrypt+Decrypt pair.
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { Kms, MemoryProvider } from '../src/index.js';
import { PostgresProvider } from '../src/postgres.js';
import { startPostgres } from '../test/postgres/server.js';

const ROUNDS = Number(process.env.KMSBOX_BENCH_ROUNDS ?? 5);
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function rate(kms: Kms, KeyId: string, callers: number, ms: number): Promise<{ perSecond: number; pairs: number; cpuUs: number }> {
  const Plaintext = randomBytes(4096);
  let n = 0;
  const end = performance.now() + ms;
  const start = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < end) {
        const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext });
        await kms.decrypt({ CiphertextBlob: CiphertextBlob! });
        n++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return { perSecond: (n * 1000) / (performance.now() - start), pairs: n, cpuUs: used.user + used.system };
}

const pg = await startPostgres();
await pg.createDatabase('bench');
const options = {
  url: pg.url('bench'),
  passphrase: 'bench',
  scrypt: { N: 2 ** 10 },
  ...JSON.parse(process.env.KMSBOX_BENCH_PG_OPTIONS ?? '{}'),
};
const notify = new PostgresProvider({ ...options, freshness: 'notify' });
const strict = new PostgresProvider({ ...options, freshness: 'strict' });
// The same store without the per-request hook: a catch-up per read, as before it existed.
const perRead = new PostgresProvider({ ...options, freshness: 'strict' });
Object.defineProperty(perRead, 'inRequest', { value: undefined });
const providers = {
  'postgres notify (default)': notify,
  'postgres strict, catch-up per request': strict,
  'postgres strict, catch-up per read': perRead,
} as const;
const kmss = {
  ...(Object.fromEntries(Object.entries(providers).map(([name, provider]) => [name, new Kms({ provider })])) as Record<
    keyof typeof providers,
    Kms
  >),
  memory: new Kms({ provider: new MemoryProvider() }),
};
type Name = keyof typeof kmss;
const names = Object.keys(kmss) as Name[];
const keys = {} as Record<Name, string>;
keys.memory = (await kmss.memory.createKey({})).KeyMetadata!.KeyId!;
const shared = (await kmss['postgres notify (default)'].createKey({})).KeyMetadata!.KeyId!;
for (const name of Object.keys(providers) as (keyof typeof providers)[]) keys[name] = shared;
console.log(
  `load before: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')} (${cpus().length} CPUs)`,
);
for (const callers of [1, 16]) {
  const runs = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<Name, number[]>;
  const pulls = Object.fromEntries(names.map((n) => [n, 0])) as Record<Name, number>;
  const pairs = Object.fromEntries(names.map((n) => [n, 0])) as Record<Name, number>;
  /** This process's CPU time per pair, per round (PostgreSQL's own CPU is not in it). */
  const cpuPerPair = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<Name, number[]>;
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of names) {
      const provider = (providers as Record<string, PostgresProvider | undefined>)[name];
      const before = provider?.replicaStats.pulls ?? 0;
      const { perSecond, pairs: done, cpuUs } = await rate(kmss[name], keys[name], callers, 2000);
      runs[name].push(perSecond);
      cpuPerPair[name].push(cpuUs / done);
      pulls[name] += (provider?.replicaStats.pulls ?? 0) - before;
      pairs[name] += done;
    }
  }
  const memory = median(runs.memory);
  const memoryCpu = median(cpuPerPair.memory);
  for (const name of names) {
    const m = median(runs[name]);
    const c = median(cpuPerPair[name]);
    const cpuText = `${c.toFixed(0)} µs CPU per pair (${Math.min(...cpuPerPair[name]).toFixed(0)}–${Math.max(...cpuPerPair[name]).toFixed(0)}), memory's ${((100 * memoryCpu) / c).toFixed(1)}% of it`;
    const perPair = name === 'memory' ? '' : `, ${(pulls[name] / pairs[name]).toFixed(4)} catch-ups per pair`;
    console.log(
      `${callers} caller(s), ${name}: ${m.toFixed(0)} Encrypt+Decrypt pairs/s (${Math.min(...runs[name]).toFixed(0)}–${Math.max(...runs[name]).toFixed(0)}), ${((100 * m) / memory).toFixed(1)}% of memory${perPair}; ${cpuText}`,
    );
  }
}
console.log(
  `load after: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
await Promise.all(Object.values(providers).map((p) => p.close()));
await pg.destroy();
