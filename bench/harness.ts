/**
 * A tiny benchmark harness: every case runs in alternating timed rounds (so drift and noise hit
 * all cases alike), after a warm-up, and reports the median round. Cases of one section are
 * compared by ratio. No framework: performance.now() and a loop.
 */
import { appendFileSync } from 'node:fs';
import { cpus } from 'node:os';

export interface Case {
  name: string;
  /** One operation (may be async). */
  run: () => unknown;
}

export interface Result {
  name: string;
  /** The median round. */
  opsPerSecond: number;
  /** Every round's ops/s, in the order they ran (round r of every case ran back to back). */
  rounds: number[];
  /**
   * Every round's ops per second of this process's CPU time (user + system, all its threads: the
   * garbage collector's included). On a shared machine wall time also counts the time other
   * processes held the core; CPU time counts only the work done, so its ratios move far less.
   */
  cpuRounds: number[];
}

/** The median of a list (the middle one; the lower middle for an even count). */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/**
 * A ratio measured round by round: ours ÷ ceiling within each round (the two ran back to back, so
 * a load swing hits both), then the median and the spread (min–max) across rounds.
 */
export interface Ratio {
  median: number;
  min: number;
  max: number;
  rounds: number[];
}

export function ratioOf(ours: Result, ceiling: Result, clock: 'wall' | 'cpu' = 'wall'): Ratio {
  const [a, b] = clock === 'wall' ? [ours.rounds, ceiling.rounds] : [ours.cpuRounds, ceiling.cpuRounds];
  const rounds = a.map((x, i) => x / b[i]!);
  return { median: median(rounds), min: Math.min(...rounds), max: Math.max(...rounds), rounds };
}

/** "71% (64–78)": the median ratio and its spread across rounds. */
export function formatRatio(r: Ratio): string {
  const pct = (x: number) => (x * 100).toFixed(0);
  return `${pct(r.median)}% (${pct(r.min)}–${pct(r.max)})`;
}

export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu} × ${cpus().length}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Runs `run` for about `ms` of wall time: ops per wall second and per CPU second. */
async function timed(run: () => unknown, ms: number): Promise<{ wall: number; cpu: number }> {
  let n = 0;
  const start = performance.now();
  const cpuStart = cpuMs();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 50; i++) await run();
    n += 50;
    now = performance.now();
  }
  return { wall: (n * 1000) / (now - start), cpu: (n * 1000) / Math.max(cpuMs() - cpuStart, 0.001) };
}

/** Times one call of `fn` (a whole stream, say): its rate per wall second and per CPU second, given the units it did. */
export async function timedOnce(fn: () => Promise<unknown>, units: number): Promise<{ wall: number; cpu: number }> {
  const start = performance.now();
  const cpuStart = cpuMs();
  await fn();
  return { wall: (units * 1000) / (performance.now() - start), cpu: (units * 1000) / Math.max(cpuMs() - cpuStart, 0.001) };
}

export async function compare(cases: Case[], opts: { rounds?: number; roundMs?: number } = {}): Promise<Result[]> {
  const rounds = opts.rounds ?? 7;
  const roundMs = opts.roundMs ?? 400;
  for (const c of cases) await timed(c.run, 300); // warm-up: JIT, pools, caches
  const samples: number[][] = cases.map(() => []);
  const cpuSamples: number[][] = cases.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, c] of cases.entries()) {
      const t = await timed(c.run, roundMs);
      samples[i]!.push(t.wall);
      cpuSamples[i]!.push(t.cpu);
    }
  }
  return cases.map((c, i) => ({ name: c.name, opsPerSecond: median(samples[i]!), rounds: samples[i]!, cpuRounds: cpuSamples[i]! }));
}

export function section(title: string): void {
  console.log(`\n## ${title}\n`);
}

export function table(results: Result[], baseline: string): void {
  const base = results.find((r) => r.name === baseline)!.opsPerSecond;
  console.log(`| case | ops/s | vs ${baseline} |`);
  console.log('|---|---:|---:|');
  for (const r of results)
    console.log(`| ${r.name} | ${Math.round(r.opsPerSecond).toLocaleString('en-US')} | ${((r.opsPerSecond / base) * 100).toFixed(0)}% |`);
}

export function target(label: string, ratio: number, min: number): void {
  console.log(
    `\ntarget: ${label} ≥ ${(min * 100).toFixed(0)}% — measured ${(ratio * 100).toFixed(0)}% — ${ratio >= min ? 'PASS' : 'FAIL'}`,
  );
}

/**
 * A ratio set by an earlier issue and restated against a ceiling by issue #16 (its row in
 * ceilings.ts, server.ts or browser.ts is the one that counts): printed for comparison, with no
 * verdict, so that a run's PASS and FAIL lines are #16's alone.
 */
export function earlierTarget(label: string, ratio: number, min: number, restatedAs: string): void {
  console.log(
    `\nearlier target (restated by issue #16 as ${restatedAs}): ${label} ≥ ${(min * 100).toFixed(0)}% — measured ${(ratio * 100).toFixed(0)}%`,
  );
}

/** One row of issue #16 as a section measured it: run.ts lists every row of the run at the end. */
export interface IssueRow {
  /** What is measured, and against which ceiling. */
  readonly name: string;
  readonly ceiling: string;
  /** The ratio the target is read on (median of per-round ratios). */
  readonly measured: number;
  /** min–max across rounds, as text. */
  readonly spread: string;
  readonly target: number;
  /** How the ratio is taken: "CPU time", "requests/s", "MiB/s". */
  readonly basis: string;
  /** Anything the verdict needs beside it (a ceiling below the target, measured in the same run). */
  readonly note?: string;
}

/** Appends a row to the file KMSBOX_BENCH_TARGETS names (JSON lines; run.ts sets it), if any. */
export function recordIssueRow(row: IssueRow): void {
  const file = process.env.KMSBOX_BENCH_TARGETS;
  if (file !== undefined && file !== '') appendFileSync(file, `${JSON.stringify(row)}\n`);
}

/**
 * The two builds an A/B bench compares, from its arguments: `<before dist dir> [<after dist dir,
 * default dist/>] [rounds, default 11]` (bench/ab-envelope.ts, bench/ab-sign-audit.ts). A build's
 * directory must sit inside the project, so that its imports find node_modules.
 */
export async function loadBuilds(): Promise<{ before: any; after: any; rounds: number }> {
  const { resolve } = await import('node:path');
  const { pathToFileURL } = await import('node:url');
  const load = (dir: string) => import(pathToFileURL(resolve(dir, 'index.js')).href);
  return {
    before: await load(process.argv[2] ?? 'dist'),
    after: await load(process.argv[3] ?? new URL('../dist', import.meta.url).pathname),
    rounds: Number(process.argv[4] ?? 11),
  };
}
