/**
 * The envelope stream in Chromium, the browser path (WebCrypto segments, @noble key schedule,
 * WHATWG streams), beside raw `crypto.subtle` AES-GCM over the same segments (kmsbox's default
 * size) in the same page. Debian's Chromium (/usr/bin/chromium) driven by playwright, never a downloaded browser; the
 * page (bench/browser/page.ts) is bundled from src/ by esbuild and served on 127.0.0.1 (a secure
 * context, as crypto.subtle needs). Each case is timed by the page (wall) and by the page's main
 * thread's CPU time (what a shared machine's load moves least); beside them the floor, raw
 * crypto.subtle in two TransformStreams, shows what the WHATWG stream machinery costs by itself.
 * Run alone: `npx tsx bench/browser.ts`. KMSBOX_BENCH_BEFORE=DIR
 * (a tree with src/ and bench/browser/page.ts of an earlier commit, e.g. from `git archive`) adds
 * that build in a second page of the same browser, in the same alternating rounds: before/after.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { build } from 'esbuild';
import { chromium, type Page } from 'playwright';
import { recordIssueRow, section } from './harness.js';

const MIB = Number(process.env.KMSBOX_BENCH_MIB ?? 64);
const ROUNDS = Number(process.env.KMSBOX_BENCH_ROUNDS ?? 21);
const CASES = ['raw', 'stream', 'floor'] as const;
type Case = (typeof CASES)[number];

const root = new URL('..', import.meta.url).pathname;
const bundle = async (tree: string): Promise<string> => {
  const out = await build({
    entryPoints: [`${tree}/bench/browser/page.ts`],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    minify: true,
    nodePaths: [`${root}/node_modules`], // for a tree elsewhere (KMSBOX_BENCH_BEFORE)
  });
  return out.outputFiles[0]!.text;
};
const beforeTree = process.env.KMSBOX_BENCH_BEFORE;
const scripts = new Map([['now', await bundle(root)]]);
if (beforeTree !== undefined) scripts.set('before', await bundle(beforeTree));
const server = createServer((req, res) => {
  const name = /^\/(\w+)\.js$/.exec(req.url ?? '')?.[1];
  const script = name === undefined ? undefined : scripts.get(name);
  if (script !== undefined) {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    res.end(script);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(`<!doctype html><meta charset="utf-8"><title>kmsbox bench</title><script type="module" src="${req.url}.js"></script>`);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
try {
  const version = browser.version();
  const port = (server.address() as AddressInfo).port;
  const mibps = (ms: number) => (MIB * 1000) / ms;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  interface Measured {
    readonly name: string;
    readonly page: Page;
    readonly segment: number;
    readonly cases: readonly Case[];
    readonly threadMs: () => Promise<number>;
    /** Milliseconds per case, one entry per round: the page's wall time and its main thread's CPU time. */
    readonly wall: Record<Case, number[]>;
    readonly cpu: Record<Case, number[]>;
  }
  const pages: Measured[] = [];
  for (const name of scripts.keys()) {
    const page = await browser.newPage();
    page.on('pageerror', (error) => console.error('page error:', error));
    await page.goto(`http://127.0.0.1:${port}/${name}`);
    await page.waitForFunction(() => window.bench !== undefined);
    // A "before" page of an earlier tree answers nothing here: it measured 256 KiB segments.
    const segment = (await page.evaluate((mib) => window.bench.setup(mib), MIB)) ?? 256 * 1024;
    // An earlier tree's page may have no floor case.
    const cases = (await page.evaluate(() => typeof window.bench.floor === 'function')) ? CASES : (['raw', 'stream'] as const);
    // The page's main-thread CPU time (DevTools protocol), beside the wall time the page measures:
    // the machine is shared, and CPU time is what another process's burst moves least.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const threadMs = async () => 1000 * (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ThreadTime')!.value;
    // Warm-up (JIT, WebCrypto's threads), and the stream's output checked byte for byte once.
    for (const which of cases) await page.evaluate((w) => window.bench[w](), which);
    if (!(await page.evaluate(() => window.bench.check()))) throw new Error(`${name}: the stream did not give back the plaintext`);
    const empty = () => ({ raw: [] as number[], stream: [] as number[], floor: [] as number[] });
    pages.push({ name, page, segment, cases, threadMs, wall: empty(), cpu: empty() });
  }
  for (let r = 0; r < ROUNDS; r++) {
    // Alternating, each round starting with the other case.
    for (const p of pages) {
      const order = r % 2 === 0 ? p.cases : [...p.cases].reverse();
      for (const which of order) {
        const before = await p.threadMs();
        p.wall[which].push(await p.page.evaluate((w) => window.bench[w](), which));
        p.cpu[which].push((await p.threadMs()) - before);
      }
    }
  }
  const now = pages.find((p) => p.name === 'now')!;
  const inCall = await now.page.evaluate(() => window.bench.inCall());
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  section(`Envelope stream in Chromium, ${MIB} MiB, encrypt piped into decrypt, beside raw crypto.subtle AES-GCM`);
  console.log(
    `Chromium ${version} (headless, /usr/bin/chromium); ${pages.map((p) => `${p.name}: ${p.segment / 1024} KiB segments`).join(', ')} (each page's default, raw and stream alike), 256 KiB chunks, in-process Kms; ${ROUNDS} alternating rounds; load average ${load} at the end. Ratio per round: that round's case against that round's raw loop, by the page's wall time and by its main thread's CPU time. The floor: raw crypto.subtle in two TransformStreams shaped as the format makes any envelope stream (no kmsbox code): what the WHATWG stream machinery costs by itself.\n`,
  );
  const onPageThread = inCall.inCall / inCall.total;
  console.log(
    onPageThread >= 0.9
      ? `crypto.subtle in this Chromium: ${pct(onPageThread)} of the raw loop's time is spent inside the encrypt/decrypt calls themselves (AES-GCM runs on the page's thread: nothing can overlap with it, and the page thread's CPU time holds all of the work).\n`
      : `crypto.subtle in this Chromium: only ${pct(onPageThread)} of the raw loop's time is inside the calls; AES-GCM runs off the page's thread, so the CPU-time ratios below leave it out: read the wall-time ones.\n`,
  );
  console.log(
    '| page | case | MiB/s (median) | min – max | vs raw per round, wall: median (min – max) | vs raw per round, CPU: median (min – max) |',
  );
  console.log('|---|---|---:|---:|---:|---:|');
  const summary = (xs: number[]) => `${pct(median(xs))} (${pct(Math.min(...xs))}–${pct(Math.max(...xs))})`;
  const ratios = (p: Measured, which: Case, by: 'wall' | 'cpu') => p[by].raw.map((ms, i) => ms / p[by][which][i]!);
  const label = {
    raw: 'raw crypto.subtle: encrypt then decrypt each segment',
    floor: 'floor: raw crypto.subtle in two TransformStreams',
    stream: 'kmsbox createEncryptStream → createDecryptStream',
  } as const;
  for (const p of pages) {
    for (const which of p.cases) {
      const speeds = p.wall[which].map(mibps);
      const vs = which === 'raw' ? ['', ''] : [summary(ratios(p, which, 'wall')), summary(ratios(p, which, 'cpu'))];
      console.log(
        `| ${p.name} | ${label[which]} | ${median(speeds).toFixed(0)} | ${Math.min(...speeds).toFixed(0)} – ${Math.max(...speeds).toFixed(0)} | ${vs.join(' | ')} |`,
      );
    }
  }
  const wall = ratios(now, 'stream', 'wall');
  const ratio = median(wall);
  recordIssueRow({
    name: 'envelope stream in Chromium, 64 MiB',
    ceiling: 'raw crypto.subtle AES-GCM over the same segments, same page',
    measured: ratio,
    spread: `${pct(Math.min(...wall))}–${pct(Math.max(...wall))}`,
    target: 0.85,
    basis: 'MiB/s',
    note: `by the page's CPU time ${summary(ratios(now, 'stream', 'cpu'))}; the stream machinery alone (floor) ${summary(ratios(now, 'floor', 'wall'))} wall, ${summary(ratios(now, 'floor', 'cpu'))} CPU`,
  });
  console.log(
    `\ntarget: browser envelope stream vs raw crypto.subtle ≥ 85% — measured ${pct(ratio)} (median of per-round ratios, wall time) — ${ratio >= 0.85 ? 'PASS' : 'FAIL'}`,
  );
} finally {
  await browser.close();
  server.close();
}
