/**
 * The envelope stream against its ceilings, one process, rounds alternating, CPU time (issue #16):
 * raw AES-GCM (one cipher each way, no streams: the ceiling bench/ceilings.ts uses), the same
 * through two TransformStreams, the format's per-segment ciphers through them (bench/lib.ts
 * `streamFloor`), and kmsbox's createEncryptStream piped into createDecryptStream, the last two at
 * each segment size asked for; then the same floors through node:stream Transforms and kmsbox/node's
 * createEncryptNodeStream piped into createDecryptNodeStream. Tells what the streams cost, what the
 * format's segments cost at each size, and what is kmsbox's own.
 * `npx tsx bench/stream-floor.ts` (KMSBOX_BENCH_STREAM_MIB, default 256; KMSBOX_BENCH_ROUNDS,
 * default 7; KMSBOX_BENCH_SEGMENTS, segment sizes in KiB, default "256,1024").
 */
import { randomBytes } from 'node:crypto';
import { machine, median, timedOnce } from './harness.js';
import { kmsbox, nodeStreamFloor, nodeStreamRoundTrip, rawStreamRoundTrip, streamFloor, streamRoundTrip } from './lib.js';

const TOTAL = Number(process.env.KMSBOX_BENCH_STREAM_MIB ?? 256) * 2 ** 20;
const ROUNDS = Number(process.env.KMSBOX_BENCH_ROUNDS ?? 7);
const SEGMENTS_KIB = (process.env.KMSBOX_BENCH_SEGMENTS ?? '256,1024').split(',').map(Number);
const CHUNK = 64 * 1024;
const source = randomBytes(2 * 2 ** 20);
const chunkAt = (o: number) => source.subarray(o % 2 ** 20, (o % 2 ** 20) + CHUNK);
const kms = new kmsbox.Kms();
const keyId = (await kms.createKey()).KeyMetadata!.KeyId!;
const context = { tenant: 't-0042', purpose: 'bench' };

const raw = () => rawStreamRoundTrip(TOTAL, CHUNK, chunkAt);
const cases: Array<[string, () => Promise<void>]> = [
  ['raw AES-256-GCM, one cipher each way (the ceiling)', raw],
  ['the same through two TransformStreams', () => streamFloor('one cipher', { total: TOTAL, chunk: CHUNK, segment: CHUNK, chunkAt })],
];
for (const kib of SEGMENTS_KIB) {
  const segment = kib * 1024;
  cases.push(
    [
      `the format: a cipher per ${kib} KiB segment each way, heads and tags as chunks, same streams`,
      () => streamFloor('per segment', { total: TOTAL, chunk: CHUNK, segment, chunkAt }),
    ],
    [
      `kmsbox createEncryptStream → createDecryptStream, ${kib} KiB segments`,
      () => streamRoundTrip({ kms, keyId, context, total: TOTAL, chunk: CHUNK, chunkAt, segmentSize: segment }),
    ],
  );
}
cases.push(
  [
    'kmsbox createEncryptStream → createDecryptStream, default segment size',
    () => streamRoundTrip({ kms, keyId, context, total: TOTAL, chunk: CHUNK, chunkAt }),
  ],
  // kmsbox/node's node:stream Transforms against the same floors through node:stream Transforms.
  [
    'the same through two node:stream Transforms',
    () => nodeStreamFloor('one cipher', { total: TOTAL, chunk: CHUNK, segment: CHUNK, chunkAt }),
  ],
  [
    'the format: a cipher per 1024 KiB segment each way, two node:stream Transforms',
    () => nodeStreamFloor('per segment', { total: TOTAL, chunk: CHUNK, segment: 2 ** 20, chunkAt }),
  ],
  [
    'kmsbox createEncryptNodeStream → createDecryptNodeStream, default segment size',
    () => nodeStreamRoundTrip({ kms, keyId, context, total: TOTAL, chunk: CHUNK, chunkAt }),
  ],
);
const mib = TOTAL / 2 ** 20;
for (const [, run] of cases) await timedOnce(run, mib); // warm-up
const cpu: number[][] = cases.map(() => []);
for (let r = 0; r < ROUNDS; r++) {
  // Each round starts at another case, so no case always runs right after the same one.
  for (let k = 0; k < cases.length; k++) {
    const i = (k + r) % cases.length;
    cpu[i]!.push((await timedOnce(cases[i]![1], mib)).cpu);
  }
}
console.log(`# The envelope stream against its floors\n\n${machine()}, ${mib} MiB in 64 KiB chunks, ${ROUNDS} rounds, CPU time\n`);
console.log('| case | MiB per CPU second (median) | vs raw, per round: median (min–max) |');
console.log('|---|---:|---:|');
for (const [i, [name]] of cases.entries()) {
  const ratios = cpu[i]!.map((x, r) => x / cpu[0]![r]!);
  const pct = (x: number) => (x * 100).toFixed(0);
  console.log(
    `| ${name} | ${median(cpu[i]!).toFixed(0)} | ${pct(median(ratios))}% (${pct(Math.min(...ratios))}–${pct(Math.max(...ratios))}) |`,
  );
}
