/**
 * `npm run build && tsx bench/files.ts [MiB] [small files]`: the file commands (`kmsbox encrypt-file` /
 * `decrypt-file`, the built dist/cli.js spawned as a user runs it) beside `encryptFile` /
 * `decryptFile` called in this process, in the same run on the same files; the command's peak RSS
 * (GNU time's %M); what the progress bar costs (the command under script(1), so stderr is a TTY);
 * and a tree of small files (default 1,000) through `encrypt-file -r` beside a loop of encryptFile calls.
 * Never part of `npm test`. Results go to BENCHMARKS.md ("File commands").
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kmsboxNode } from './lib.js';
import { machine, section, target } from './harness.js';

const { Kms, FileProvider, encryptFile, decryptFile, DataKeyCache } = kmsboxNode;
const MIB = Number(process.argv[2] ?? 256);
const SMALL = Number(process.argv[3] ?? 1000);
const ROUNDS = 3;
const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'kmsbox-bench-files-'));

console.log(`# kmsbox file commands\n\n${machine()}`);

const rootKeyFile = join(dir, 'root.key');
writeFileSync(rootKeyFile, randomBytes(32), { mode: 0o600 });
const store = join(dir, 'keys.kmsbox');
const kms = new Kms({ provider: new FileProvider({ path: store, rootKeyFile }) });
const keyId = (await kms.createKey({})).KeyMetadata!.KeyId!;
const S = ['--store', store, '--root-key-file', rootKeyFile];

const big = join(dir, 'big.bin');
{
  // Written in 16 MiB pieces: the bench itself must not hold the whole file.
  const piece = randomBytes(16 * 1024 * 1024);
  writeFileSync(big, '');
  for (let i = 0; i < MIB / 16; i++) writeFileSync(big, piece, { flag: 'a' });
}

/** Seconds and peak RSS (KiB) of one spawned command, through GNU time. */
function command(args: string[], tty = false): { seconds: number; rssKiB: number } {
  const report = join(dir, 'time.txt');
  const argv = ['-f', '%e %M', '-o', report, process.execPath, cli, ...args];
  const start = performance.now();
  if (tty) {
    // script(1) gives the command a terminal; its output (the bar) goes to /dev/null.
    const line = ['/usr/bin/time', ...argv].map((a) => `'${a}'`).join(' ');
    execFileSync('script', ['-qec', line, '/dev/null'], { stdio: 'ignore' });
  } else execFileSync('/usr/bin/time', argv, { stdio: 'ignore' });
  const seconds = (performance.now() - start) / 1000;
  const [, rss] = execFileSync('cat', [report], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
  return { seconds, rssKiB: rss! };
}

async function inProcess(run: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await run();
  return (performance.now() - start) / 1000;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fresh = (name: string): string => {
  const p = join(dir, name);
  rmSync(p, { force: true, recursive: true });
  return p;
};

section(`One ${MIB} MiB file: the command vs encryptFile/decryptFile in this process (median of ${ROUNDS} alternating rounds)`);
const times: Record<string, number[]> = { cmdEnc: [], libEnc: [], cmdDec: [], libDec: [], ttyEnc: [] };
let peakRss = 0;
for (let round = 0; round < ROUNDS; round++) {
  let r = command(['encrypt-file', big, '-o', fresh('cmd.kmsbox'), '--key-id', keyId, ...S]);
  times.cmdEnc!.push(r.seconds);
  peakRss = Math.max(peakRss, r.rssKiB);
  times.libEnc!.push(await inProcess(() => encryptFile(big, fresh('lib.kmsbox'), { kms, keyId })));
  r = command(['decrypt-file', join(dir, 'cmd.kmsbox'), '-o', fresh('cmd.out'), '--key-ids', keyId, ...S]);
  times.cmdDec!.push(r.seconds);
  peakRss = Math.max(peakRss, r.rssKiB);
  times.libDec!.push(await inProcess(() => decryptFile(join(dir, 'lib.kmsbox'), fresh('lib.out'), { kms, keyIds: [keyId] })));
  r = command(['encrypt-file', big, '-o', fresh('tty.kmsbox'), '--key-id', keyId, ...S], true);
  times.ttyEnc!.push(r.seconds);
  peakRss = Math.max(peakRss, r.rssKiB);
}
const rate = (s: number) => `${(MIB / s).toFixed(0)} MiB/s`;
console.log('| case | median s | rate |');
console.log('|---|---:|---:|');
for (const [name, label] of [
  ['cmdEnc', 'kmsbox encrypt-file (spawned, not a TTY)'],
  ['libEnc', 'encryptFile (in process)'],
  ['ttyEnc', 'kmsbox encrypt-file on a TTY (progress bar)'],
  ['cmdDec', 'kmsbox decrypt-file (spawned)'],
  ['libDec', 'decryptFile (in process)'],
] as const) {
  console.log(`| ${label} | ${median(times[name]!).toFixed(2)} | ${rate(median(times[name]!))} |`);
}
console.log(`\npeak RSS of the command: ${(peakRss / 1024).toFixed(0)} MiB`);
target('encrypt-file vs encryptFile', median(times.libEnc!) / median(times.cmdEnc!), 0.9);
target('decrypt-file vs decryptFile', median(times.libDec!) / median(times.cmdDec!), 0.9);
console.log(`\nprogress bar cost: ${((median(times.ttyEnc!) / median(times.cmdEnc!) - 1) * 100).toFixed(1)}% (target < 2%)`);
console.log(`peak RSS target ≤ 128 MiB: ${peakRss / 1024 <= 128 ? 'PASS' : 'FAIL'}`);

section(`${SMALL} small files (1 KiB, 100 a directory): encrypt-file -r vs a loop of encryptFile`);
const tree = join(dir, 'tree');
for (let i = 0; i < SMALL; i++) {
  const d = join(tree, `d${Math.floor(i / 100)}`);
  if (i % 100 === 0) mkdirSync(d, { recursive: true });
  writeFileSync(join(d, `f${i % 100}.txt`), randomBytes(1024));
}
const files = Array.from({ length: SMALL }, (_, i) => [join(tree, `d${Math.floor(i / 100)}`, `f${i % 100}.txt`), `${i}`] as const);
const small: Array<[string, number]> = [];
{
  const c = command(['encrypt-file', '-r', tree, '-o', fresh('tree-enc'), '--key-id', keyId, ...S]);
  small.push(['kmsbox encrypt-file -r (one KMS call per file)', SMALL / c.seconds]);
  const cached = command(['encrypt-file', '-r', tree, '-o', fresh('tree-enc2'), '--key-id', keyId, '--cache-max-age', '300', ...S]);
  small.push(['kmsbox encrypt-file -r --cache-max-age 300', SMALL / cached.seconds]);
  const out = fresh('loop');
  mkdirSync(out);
  let s = await inProcess(async () => {
    for (const [f, n] of files) await encryptFile(f, join(out, `${n}.kmsbox`), { kms, keyId });
  });
  small.push(['loop of encryptFile (in process)', SMALL / s]);
  const cache = new DataKeyCache({ maxAgeMs: 300_000 });
  const out2 = fresh('loop2');
  mkdirSync(out2);
  s = await inProcess(async () => {
    for (const [f, n] of files) await encryptFile(f, join(out2, `${n}.kmsbox`), { kms, keyId, cache });
  });
  small.push(['loop of encryptFile with a DataKeyCache (in process)', SMALL / s]);
  const d = command([
    'decrypt-file',
    '-r',
    join(dir, 'tree-enc2'),
    '-o',
    fresh('tree-dec'),
    '--key-ids',
    keyId,
    '--cache-max-age',
    '300',
    ...S,
  ]);
  small.push(['kmsbox decrypt-file -r --cache-max-age 300', SMALL / d.seconds]);
}
console.log('| case | files/s |');
console.log('|---|---:|');
for (const [name, fps] of small) console.log(`| ${name} | ${fps.toFixed(0)} |`);
rmSync(dir, { recursive: true, force: true });
