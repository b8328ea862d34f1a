/**
 * `npm run build && tsx bench/progress-cost.ts [MiB]`: what the file commands' progress bar costs,
 * measured without script(1). Timing the command on a pseudo-terminal against the same command
 * without one (bench/files.ts) measures script(1)'s relay and the machine's load swings more than
 * the bar: on this 2-core VM the two differed by −40% to +55% between runs. Here, in one run:
 *   1. `kmsbox encrypt-file` of one file (the built dist/cli.js, spawned, stderr not a TTY): T seconds;
 *   2. the bar's own work for that file, replayed: the same `Progress` calls the command makes (one
 *      `add` per 1 MiB read, src/cli/file-io.ts) on a clock that advances as the real run did, so it
 *      redraws as often (every 100 ms), each redraw written to a real file descriptor (/dev/null).
 * The cost is (2) ÷ T. Never part of `npm test`; the result goes to BENCHMARKS.md ("File commands").
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Progress } from '../src/cli/progress.js';
import { machine, section, target } from './harness.js';
import { kmsboxNode } from './lib.js';

const { Kms, FileProvider } = kmsboxNode;
const MIB = Number(process.argv[2] ?? 1024);
const CHUNK = 1024 * 1024;
const ROUNDS = 3;
const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kmsbox-bench-progress-'));

console.log(`# kmsbox progress bar cost\n\n${machine()}`);
const rootKeyFile = join(dir, 'root.key');
writeFileSync(rootKeyFile, randomBytes(32), { mode: 0o600 });
const store = join(dir, 'keys.kmsbox');
const kms = new Kms({ provider: new FileProvider({ path: store, rootKeyFile }) });
const keyId = (await kms.createKey({})).KeyMetadata!.KeyId!;
const big = join(dir, 'big.bin');
const piece = randomBytes(16 * CHUNK);
writeFileSync(big, '');
for (let i = 0; i < MIB / 16; i++) writeFileSync(big, piece, { flag: 'a' });

/** The bar's work for one file of `bytes`, read in 1 MiB chunks over `seconds`: milliseconds spent. */
function replay(bytes: number, seconds: number): { ms: number; redraws: number } {
  const fd = openSync('/dev/null', 'w');
  let redraws = 0;
  let clock = 0;
  const terminal = {
    isTTY: true,
    columns: 80,
    write: (text: string) => {
      redraws++;
      writeSync(fd, text);
    },
  };
  const chunks = Math.ceil(bytes / CHUNK);
  const step = (seconds * 1000) / chunks;
  const start = performance.now();
  const bar = new Progress(terminal, false, () => clock);
  bar.start(big, bytes);
  for (let i = 0; i < chunks; i++) {
    clock += step;
    bar.add(Math.min(CHUNK, bytes - i * CHUNK));
  }
  bar.finish(true);
  bar.summary('encrypted', 0);
  const ms = performance.now() - start;
  closeSync(fd);
  return { ms, redraws };
}

section(`One ${MIB} MiB file, ${ROUNDS} rounds`);
console.log('| round | encrypt-file s | bar replay ms | redraws | cost |\n|---|---:|---:|---:|---:|');
const costs: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const out = join(dir, 'out.kmsbox');
  rmSync(out, { force: true });
  const start = performance.now();
  execFileSync(
    process.execPath,
    [cli, 'encrypt-file', big, '-o', out, '--key-id', keyId, '--store', store, '--root-key-file', rootKeyFile],
    {
      stdio: 'ignore',
    },
  );
  const seconds = (performance.now() - start) / 1000;
  const { ms, redraws } = replay(MIB * CHUNK, seconds);
  const cost = ms / 1000 / seconds;
  costs.push(cost);
  console.log(`| ${round} | ${seconds.toFixed(2)} | ${ms.toFixed(2)} | ${redraws} | ${(cost * 100).toFixed(3)}% |`);
}
const median = [...costs].sort((a, b) => a - b)[Math.floor(costs.length / 2)]!;
// target() reports a ratio against a floor; the bar's share must stay under 2%, so compare 2% ÷ cost with 1.
target('progress bar cost under 2% (2% ÷ measured cost)', 0.02 / median, 1);
rmSync(dir, { recursive: true, force: true });
