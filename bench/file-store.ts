/**
 * `npm run build && tsx bench/file-store.ts [keys]`: the FileProvider's write cost against the size
 * of the store (issue #17 §2), in one run: CreateKey latency on a 100-key and on a 100,000-key store
 * (alternating rounds, so load swings hit both alike), the time to open the large store, what a
 * reader pays to see another process's write, a compaction's cost, and the bytes per key.
 * The stores are filled directly as one snapshot (test/providers/store-builder.ts: what a
 * compaction writes), not by 100,000 CreateKeys. Never part of `npm test`; the result goes to
 * BENCHMARKS.md ("FileProvider store").
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStore } from '../test/providers/store-builder.js';
import { machine, section, target } from './harness.js';
import { kmsboxNode } from './lib.js';

const { Kms, FileProvider } = kmsboxNode;
const BIG = Number(process.argv[2] ?? 100_000);
const SMALL = 100;
const ROUNDS = 7;
const PER_ROUND = 10;
const dir = mkdtempSync(join(tmpdir(), 'kmsbox-bench-file-store-'));
const rootKey = randomBytes(32);
const rootKeyFile = join(dir, 'root.key');
writeFileSync(rootKeyFile, rootKey, { mode: 0o600 });

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const ms = (x: number): string => `${x.toFixed(1)} ms`;
async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

console.log(`# kmsbox FileProvider store\n\n${machine()}`);
const stores = { small: join(dir, 'small.kmsbox'), big: join(dir, 'big.kmsbox') };
const buildMs = await time(() => buildStore(stores.big, rootKeyFile, rootKey, BIG));
await buildStore(stores.small, rootKeyFile, rootKey, SMALL);
const snapshotBytes = statSync(stores.big).size;

section(`FileProvider: CreateKey at ${SMALL} and ${BIG.toLocaleString('en-US')} keys`);
// Opening: the first call on a new provider reads, authenticates and parses the whole file.
const openMs: number[] = [];
for (let i = 0; i < 3; i++) {
  openMs.push(await time(() => new Kms({ provider: new FileProvider({ path: stores.big, rootKeyFile }) }).listKeys({ Limit: 1 })));
}
const kms = {
  small: new Kms({ provider: new FileProvider({ path: stores.small, rootKeyFile }) }),
  big: new Kms({ provider: new FileProvider({ path: stores.big, rootKeyFile }) }),
};
await kms.small.listKeys({ Limit: 1 });
await kms.big.listKeys({ Limit: 1 });
// The first write to a built store compacts it once (it gets its high-water mark): not a steady-state write.
await kms.small.createKey();
await kms.big.createKey();
const reader = new Kms({ provider: new FileProvider({ path: stores.big, rootKeyFile }) });
await reader.listKeys({ Limit: 1 });

const latency = { small: [] as number[], big: [] as number[] };
const catchUp: number[] = [];
const sizeBefore = statSync(stores.big).size;
for (let r = 0; r < ROUNDS; r++) {
  for (const which of ['small', 'big'] as const) {
    for (let i = 0; i < PER_ROUND; i++) latency[which].push(await time(() => kms[which].createKey()));
  }
  // A reader that has the store open sees the round's writes: it reads only the appended entries.
  catchUp.push(await time(() => reader.listKeys({ Limit: 1 })));
}
const appendedPerKey = (statSync(stores.big).size - sizeBefore) / (ROUNDS * PER_ROUND);
const compactMs = await time(() => (kms.big.provider as InstanceType<typeof FileProvider>).compact());
const compactedBytes = statSync(stores.big).size;

console.log('| measure | value |');
console.log('|---|---:|');
console.log(
  `| CreateKey at ${SMALL} keys, median (mean) of ${ROUNDS * PER_ROUND} | ${ms(median(latency.small))} (${ms(mean(latency.small))}) |`,
);
console.log(
  `| CreateKey at ${BIG.toLocaleString('en-US')} keys, median (mean) of ${ROUNDS * PER_ROUND} | ${ms(median(latency.big))} (${ms(mean(latency.big))}) |`,
);
console.log(
  `| open a ${BIG.toLocaleString('en-US')}-key store (first call: read, authenticate, parse), median of 3 | ${ms(median(openMs))} |`,
);
console.log(`| a reader catching up on ${PER_ROUND} CreateKeys by another provider, median | ${ms(median(catchUp))} |`);
console.log(`| store size per key (snapshot) | ${(snapshotBytes / BIG).toFixed(0)} bytes |`);
console.log(`| bytes appended per CreateKey (journal: material + key record) | ${appendedPerKey.toFixed(0)} bytes |`);
console.log(`| compaction of the ${BIG.toLocaleString('en-US')}-key store (new snapshot, .bak) | ${ms(compactMs)} |`);
console.log(
  `| compaction amortized over the CreateKeys until the journal outgrows the snapshot (${Math.round(compactedBytes / appendedPerKey).toLocaleString('en-US')}) | ${ms(compactMs / (compactedBytes / appendedPerKey))} |`,
);
console.log(`| building the ${BIG.toLocaleString('en-US')}-key store directly (not measured above) | ${ms(buildMs)} |`);
target(
  `CreateKey at ${BIG.toLocaleString('en-US')} keys within 2x of at ${SMALL} (median)`,
  median(latency.small) / median(latency.big),
  0.5,
);
target(`opening a ${BIG.toLocaleString('en-US')}-key store under 1 s`, 1000 / median(openMs), 1);
rmSync(dir, { recursive: true, force: true });
