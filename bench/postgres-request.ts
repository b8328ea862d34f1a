/**
 * `npx tsx bench/postgres-request.ts`: what a request costs in catch-ups. Encrypt + Decrypt of
 * 4 KiB through an in-process Kms over PostgresProvider beside MemoryProvider, one caller and 16
 * concurrent callers, on a real PostgreSQL server (test/postgres/server.ts). Median of 5 rounds of
 * 2 s each, spread beside it.
 */
import { randomBytes } from 'node:crypto';
import { Kms, MemoryProvider } from '../src/index.js';
import { PostgresProvider } from '../src/postgres.js';
import { startPostgres } from '../test/postgres/server.js';

const ROUNDS = Number(process.env.KMSBOX_BENCH_ROUNDS ?? 5);
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function rate(kms: Kms, KeyId: string, callers: number, ms: number): Promise<number> {
  const Plaintext = randomBytes(4096);
  let n = 0;
  const end = performance.now() + ms;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < end) {
        const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext });
        await kms.decrypt({ CiphertextBlob: CiphertextBlob! });
        n++;
      }
    }),
  );
  return (n * 1000) / (performance.now() - start);
}

const pg = await startPostgres();
await pg.createDatabase('bench');
const provider = new PostgresProvider({
  url: pg.url('bench'),
  passphrase: 'bench',
  scrypt: { N: 2 ** 10 },
  ...JSON.parse(process.env.KMSBOX_BENCH_PG_OPTIONS ?? '{}'),
});
const kmss = { postgres: new Kms({ provider }), memory: new Kms({ provider: new MemoryProvider() }) };
const keys = { postgres: '', memory: '' };
for (const name of ['postgres', 'memory'] as const) keys[name] = (await kmss[name].createKey({})).KeyMetadata!.KeyId!;
for (const callers of [1, 16]) {
  const runs: Record<string, number[]> = { postgres: [], memory: [] };
  for (let r = 0; r < ROUNDS; r++)
    for (const name of ['postgres', 'memory'] as const) runs[name]!.push(await rate(kmss[name], keys[name], callers, 2000));
  const [p, m] = [median(runs.postgres!), median(runs.memory!)];
  console.log(
    `${callers} caller(s): postgres ${p.toFixed(0)}/s (${Math.min(...runs.postgres!).toFixed(0)}–${Math.max(...runs.postgres!).toFixed(0)}), memory ${m.toFixed(0)}/s, postgres ${((100 * p) / m).toFixed(1)}% of memory (Encrypt+Decrypt pairs per second)`,
  );
}
await provider.close();
await pg.destroy();
