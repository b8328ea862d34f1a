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
// The same store without the per-request hook: a catch-up per read, as before it existed.
const perRead = new PostgresProvider({ url: pg.url('bench'), passphrase: 'bench' });
Object.defineProperty(perRead, 'inRequest', { value: undefined });
const kmss = {
  'postgres, catch-up per request': new Kms({ provider }),
  'postgres, catch-up per read': new Kms({ provider: perRead }),
  memory: new Kms({ provider: new MemoryProvider() }),
};
type Name = keyof typeof kmss;
const names = Object.keys(kmss) as Name[];
const keys = {} as Record<Name, string>;
keys.memory = (await kmss.memory.createKey({})).KeyMetadata!.KeyId!;
keys['postgres, catch-up per request'] = (await kmss['postgres, catch-up per request'].createKey({})).KeyMetadata!.KeyId!;
keys['postgres, catch-up per read'] = keys['postgres, catch-up per request'];
for (const callers of [1, 16]) {
  const runs = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<Name, number[]>;
  for (let r = 0; r < ROUNDS; r++) for (const name of names) runs[name].push(await rate(kmss[name], keys[name], callers, 2000));
  const memory = median(runs.memory);
  for (const name of names) {
    const m = median(runs[name]);
    console.log(
      `${callers} caller(s), ${name}: ${m.toFixed(0)} Encrypt+Decrypt pairs/s (${Math.min(...runs[name]).toFixed(0)}–${Math.max(...runs[name]).toFixed(0)}), ${((100 * m) / memory).toFixed(1)}% of memory`,
    );
  }
}
await provider.close();
await perRead.close();
await pg.destroy();
