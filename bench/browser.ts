/**
 * The envelope stream in Chromium, the browser path (WebCrypto segments, @noble key schedule,
 * WHATWG streams), beside raw `crypto.subtle` AES-GCM over the same segments (kmsbox's default
 * size) in the same page. Debian's Chromium (/usr/bin/chromium) driven by playwright, never a downloaded browser; the
 * page (bench/browser/page.ts) is bundled from src/ by esbuild and served on 127.0.0.1 (a secure
 * context, as crypto.subtle needs). Run alone: `npx tsx bench/browser.ts`. KMSBOX_BENCH_BEFORE=DIR
 * (a tree with src/ and bench/browser/page.ts of an earlier commit, e.g. from `git archive`) adds
 * that build in a second page of the same browser, in the same alternating rounds: before/after.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { chromium } from 'playwright';
import { recordIssueRow, section } from './harness.js';

const MIB = Number(process.env.KMSBOX_BENCH_MIB ?? 64);
const ROUNDS = Number(process.env.KMSBOX_BENCH_ROUNDS ?? 5);

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
  const pages = [];
  for (const name of scripts.keys()) {
    const page = await browser.newPage();
    page.on('pageerror', (error) => console.error('page error:', error));
    await page.goto(`http://127.0.0.1:${port}/${name}`);
    await page.waitForFunction(() => window.bench !== undefined);
    // A "before" page of an earlier tree answers nothing here: it measured 256 KiB segments.
    const segment = (await page.evaluate((mib) => window.bench.setup(mib), MIB)) ?? 256 * 1024;
    // Warm-up (JIT, WebCrypto's threads), and the stream's output checked byte for byte once.
    await page.evaluate(() => window.bench.raw());
    await page.evaluate(() => window.bench.stream());
    if (!(await page.evaluate(() => window.bench.check()))) throw new Error(`${name}: the stream did not give back the plaintext`);
    pages.push({ name, page, segment, raw: [] as number[], stream: [] as number[] });
  }
  for (let r = 0; r < ROUNDS; r++) {
    // Alternating, each round starting with the other case.
    for (const p of pages) {
      const order = r % 2 === 0 ? (['raw', 'stream'] as const) : (['stream', 'raw'] as const);
      for (const which of order) p[which].push(await p.page.evaluate((w) => window.bench[w](), which));
    }
  }
  section(`Envelope stream in Chromium, ${MIB} MiB, encrypt piped into decrypt, beside raw crypto.subtle AES-GCM`);
  console.log(
    `Chromium ${version} (headless, /usr/bin/chromium); ${pages.map((p) => `${p.name}: ${p.segment / 1024} KiB segments`).join(', ')} (each page's default, raw and stream alike), 256 KiB chunks, in-process Kms; ${ROUNDS} alternating rounds. Ratio per round: that round's stream against that round's raw loop.\n`,
  );
  console.log('| page | case | MiB/s (median) | min – max | stream vs raw, per round: median (min – max) |');
  console.log('|---|---|---:|---:|---:|');
  let ratio = 0;
  let nowSpread = '';
  for (const p of pages) {
    const ratios = p.raw.map((ms, i) => ms / p.stream[i]!);
    const row = (name: string, ms: number[], last: string) => {
      const speeds = ms.map(mibps);
      console.log(
        `| ${p.name} | ${name} | ${median(speeds).toFixed(0)} | ${Math.min(...speeds).toFixed(0)} – ${Math.max(...speeds).toFixed(0)} | ${last} |`,
      );
    };
    row('raw crypto.subtle: encrypt then decrypt each segment', p.raw, '');
    const r = median(ratios);
    row(
      'kmsbox createEncryptStream → createDecryptStream',
      p.stream,
      `${(r * 100).toFixed(0)}% (${(Math.min(...ratios) * 100).toFixed(0)}–${(Math.max(...ratios) * 100).toFixed(0)}%)`,
    );
    if (p.name === 'now') {
      ratio = r;
      nowSpread = `${(Math.min(...ratios) * 100).toFixed(0)}–${(Math.max(...ratios) * 100).toFixed(0)}%`;
    }
  }
  recordIssueRow({
    name: 'envelope stream in Chromium, 64 MiB',
    ceiling: 'raw crypto.subtle AES-GCM over the same segments, same page',
    measured: ratio,
    spread: nowSpread,
    target: 0.85,
    basis: 'MiB/s',
  });
  console.log(
    `\ntarget: browser envelope stream vs raw crypto.subtle ≥ 85% — measured ${(ratio * 100).toFixed(0)}% (median of per-round ratios) — ${ratio >= 0.85 ? 'PASS' : 'FAIL'}`,
  );
} finally {
  await browser.close();
  server.close();
}
