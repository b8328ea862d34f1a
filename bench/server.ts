/**
 * `kmsbox serve` under load beside its ceiling, a bare node:http server (bench/bare-http-server.mjs)
 * that parses the same JSON and answers a body of the same size. Both run as child processes, as
 * users run them (`node dist/cli.js serve`); the load generator is autocannon in this process,
 * on the same machine, 127.0.0.1 only, each round bounded in time. The request is the one the AWS
 * SDK for JavaScript sends for Encrypt of 1 KiB (captured from a real KMSClient, SigV4-signed), so
 * kmsbox does all a real call costs: the Authorization parse (and with --credentials the signature
 * check), the JSON, the operation, the answer.
 *
 * Run alone: `npx tsx bench/server.ts` (after `npm run build`). KMSBOX_BENCH_BEFORE=DIR adds a
 * `kmsbox serve` and a `kmsbox serve --credentials` from another build (a copy of an earlier dist/,
 * with node_modules reachable from it) to the same alternating rounds, for before/after in one run.
 * Each run states its own ceiling: the floor against bare by server CPU per request and by rate,
 * and each kmsbox serve against the floor. KMSBOX_BENCH_PROF=DIR also writes a
 * V8 CPU profile of each kmsbox serve process into DIR (`--cpu-prof`), for chrome://inspect or
 * `npx tsx bench/top-functions.ts DIR/*.cpuprofile`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { EncryptCommandInput } from '@aws-sdk/client-kms';
import autocannon from 'autocannon';
import { recordIssueRow, section } from './harness.js';

const CONNECTIONS = 20;
const ROUNDS = Number(process.env.KMSBOX_BENCH_ROUNDS ?? 5);
const ROUND_SECONDS = Number(process.env.KMSBOX_BENCH_ROUND_SECONDS ?? 3);
const dist = process.env.KMSBOX_BENCH_DIST ?? new URL('../dist', import.meta.url).pathname;
const profileDir = process.env.KMSBOX_BENCH_PROF;

const credentials = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' };
const work = mkdtempSync(join(tmpdir(), 'kmsbox-bench-serve-'));
const credentialsFile = join(work, 'credentials.json');
writeFileSync(credentialsFile, JSON.stringify({ [credentials.accessKeyId]: { secretAccessKey: credentials.secretAccessKey } }));

/** A child process that prints a line naming its port once it listens; resolves to the base URL. */
async function startChild(args: string[], portOf: RegExp): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const port = portOf.exec(line)?.[1];
    if (port !== undefined) return { child, url: `http://127.0.0.1:${port}` };
  }
  throw new Error(`${args.join(' ')} exited before it listened`);
}

const children = new Set<ChildProcess>();
// However this process ends (a failed round throws), no server is left behind.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM'); // kmsbox serve shuts down cleanly on SIGTERM (and writes its --cpu-prof then)
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

const profile = (name: string): string[] =>
  profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${name}.cpuprofile`];
const serveArgs = (name: string, extra: string[], from = dist): string[] => [
  ...profile(name),
  join(from, 'cli.js'),
  'serve',
  '--port',
  '0',
  ...extra,
];
const kmsboxPort = /listening on http:\/\/127\.0\.0\.1:(\d+)/;
const plain = await startChild(serveArgs('serve', []), kmsboxPort);
const verifying = await startChild(serveArgs('serve-credentials', ['--credentials', credentialsFile]), kmsboxPort);
const beforeDist = process.env.KMSBOX_BENCH_BEFORE;
const before = beforeDist === undefined ? undefined : await startChild(serveArgs('serve-before', [], beforeDist), kmsboxPort);
const verifyingBefore =
  beforeDist === undefined
    ? undefined
    : await startChild(serveArgs('serve-credentials-before', ['--credentials', credentialsFile], beforeDist), kmsboxPort);

/** What the AWS SDK sends for one command to `url`: captured by a request handler that does not send it. */
async function sdkRequest(
  url: string,
  command: 'CreateKey' | 'Encrypt',
  input: object,
): Promise<{ headers: Record<string, string>; body: string }> {
  const sdk = await import('@aws-sdk/client-kms');
  let captured: { headers: Record<string, string>; body: string } | undefined;
  const requestHandler = {
    handle: async (request: { headers: Record<string, string>; body: string | Uint8Array }) => {
      captured = { headers: { ...request.headers }, body: Buffer.from(request.body).toString('utf8') };
      throw new Error('captured');
    },
  };
  const client = new sdk.KMSClient({ region: 'us-east-1', credentials, endpoint: url, maxAttempts: 1, requestHandler });
  const sent = command === 'CreateKey' ? new sdk.CreateKeyCommand(input) : new sdk.EncryptCommand(input as EncryptCommandInput);
  await (client.send(sent as never) as Promise<unknown>).catch(() => undefined);
  if (captured === undefined) throw new Error(`the SDK sent no ${command} request`);
  return captured;
}

async function post(url: string, request: { headers: Record<string, string>; body: string }): Promise<{ status: number; body: string }> {
  const headers = { ...request.headers };
  delete headers.host; // fetch sets it (to the same value)
  const res = await fetch(url, { method: 'POST', headers, body: request.body });
  return { status: res.status, body: await res.text() };
}

/** One key per server, and the signed Encrypt request for it; the answer's size for the bare server. */
async function encryptRequest(url: string): Promise<{ headers: Record<string, string>; body: string; answer: string }> {
  const created = await post(url, await sdkRequest(url, 'CreateKey', {}));
  if (created.status !== 200) throw new Error(`CreateKey: ${created.status} ${created.body}`);
  const keyId = (JSON.parse(created.body) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
  const request = await sdkRequest(url, 'Encrypt', { KeyId: keyId, Plaintext: randomBytes(1024) });
  const answer = await post(url, request);
  if (answer.status !== 200) throw new Error(`Encrypt: ${answer.status} ${answer.body}`);
  return { ...request, answer: answer.body };
}

const plainRequest = await encryptRequest(plain.url);
const verifyingRequest = await encryptRequest(verifying.url);
const beforeRequest = before === undefined ? undefined : await encryptRequest(before.url);
const verifyingBeforeRequest = verifyingBefore === undefined ? undefined : await encryptRequest(verifyingBefore.url);
const ceiling = (mode: 'bare' | 'floor') =>
  startChild(
    [...profile(mode), new URL('bare-http-server.mjs', import.meta.url).pathname, mode, plainRequest.answer],
    /^listening on (\d+)$/,
  );
const bare = await ceiling('bare');
const floor = await ceiling('floor');

interface Target {
  name: string;
  url: string;
  child: ChildProcess;
  request: { headers: Record<string, string>; body: string };
}
const targets: Target[] = [
  { name: 'bare node:http (JSON.parse, same-sized answer)', ...bare, request: plainRequest },
  { name: 'the floor: bare + the node:crypto calls of one Encrypt', ...floor, request: plainRequest },
  { name: 'kmsbox serve', ...plain, request: plainRequest },
  { name: 'kmsbox serve --credentials (SigV4 verified)', ...verifying, request: verifyingRequest },
];
if (before !== undefined) targets.push({ name: `kmsbox serve, before (${beforeDist})`, ...before, request: beforeRequest! });
if (verifyingBefore !== undefined)
  targets.push({ name: `kmsbox serve --credentials, before (${beforeDist})`, ...verifyingBefore, request: verifyingBeforeRequest! });

/**
 * The CPU time a process has used, user and system, in microseconds (Linux: /proc/PID/stat, in
 * clock ticks of 10 ms; a round's thousands of requests make that fine enough). Requests per CPU
 * second tell what each server costs even when the other agents on the machine take cores away.
 */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000; // utime, stime (fields 14 and 15 of the line)
}

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  /** The server's CPU time per request, µs. */
  cpu: number;
  /** The load generator's (this process's) CPU time per request, µs. */
  loadCpu: number;
}

/** One bounded round of load on one server: requests per second, latency percentiles, the server's CPU per request. */
async function round(t: Target, seconds: number): Promise<Sample> {
  const cpuBefore = cpuMicros(t.child.pid!);
  const loadBefore = process.cpuUsage();
  const { 'content-length': _, ...headers } = t.request.headers; // autocannon writes its own
  const result = await autocannon({
    url: t.url,
    method: 'POST',
    headers,
    body: t.request.body,
    connections: CONNECTIONS,
    duration: seconds,
  });
  if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0)
    throw new Error(`${t.name}: ${result.errors} errors, ${result.non2xx} non-2xx answers, ${result.timeouts} timeouts`);
  const load = process.cpuUsage(loadBefore);
  const n = result.requests.total;
  return {
    rps: n / (result.duration || seconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpu: (cpuMicros(t.child.pid!) - cpuBefore) / n,
    loadCpu: (load.user + load.system) / n,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

section(`kmsbox serve: Encrypt 1 KiB, ${CONNECTIONS} connections (autocannon on the same machine), beside bare node:http`);
for (const t of targets) await round(t, 1); // warm-up: JIT, connection pools
const samples = targets.map(() => [] as Sample[]);
for (let r = 0; r < ROUNDS; r++) {
  // Alternating, and each round starting at another server, so drift on the machine hits all alike.
  for (let i = 0; i < targets.length; i++) {
    const k = (i + r) % targets.length;
    samples[k]!.push(await round(targets[k]!, ROUND_SECONDS));
  }
}
await Promise.all([...targets.map(({ child }) => child)].map(stopChild));
rmSync(work, { recursive: true, force: true });

const bareRps = median(samples[0]!.map((s) => s.rps));
console.log(
  `${ROUNDS} alternating rounds of ${ROUND_SECONDS} s each; request ${Buffer.byteLength(plainRequest.body)} bytes, answer ${Buffer.byteLength(plainRequest.answer)} bytes. Ratio per round: that round's server against that round's bare server. CPU per request: the server's (/proc), and autocannon's in this process.\n`,
);
console.log(
  '| server | requests/s (median) | min – max | p50 / p99 latency | server CPU / request | autocannon CPU / request | vs bare (median) | per-round ratio min – max |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
const ratios: number[][] = [];
for (const [i, t] of targets.entries()) {
  const s = samples[i]!;
  const rps = s.map((x) => x.rps);
  const perRound = s.map((x, r) => x.rps / samples[0]![r]!.rps);
  ratios.push(perRound);
  console.log(
    `| ${t.name} | ${Math.round(median(rps)).toLocaleString('en-US')} | ${Math.round(Math.min(...rps)).toLocaleString('en-US')} – ${Math.round(Math.max(...rps)).toLocaleString('en-US')} | ${median(s.map((x) => x.p50))} / ${median(s.map((x) => x.p99))} ms | ${median(s.map((x) => x.cpu)).toFixed(0)} µs | ${median(s.map((x) => x.loadCpu)).toFixed(0)} µs | ${((median(rps) / bareRps) * 100).toFixed(0)}% | ${(Math.min(...perRound) * 100).toFixed(0)}% – ${(Math.max(...perRound) * 100).toFixed(0)}% |`,
  );
}
/** A per-round ratio list as "median% (min–max)". */
const spread = (xs: number[]): string =>
  `${(median(xs) * 100).toFixed(0)}% (${(Math.min(...xs) * 100).toFixed(0)}–${(Math.max(...xs) * 100).toFixed(0)})`;
/** Per round, `ceiling`'s server CPU per request over `server`'s: the share of `ceiling`'s rate `server` reaches when CPU is the limit. */
const cpuRatios = (server: number, ceiling: number): number[] => samples[server]!.map((x, r) => samples[ceiling]![r]!.cpu / x.cpu);
const cpuOf = (i: number): string => `${median(samples[i]!.map((x) => x.cpu)).toFixed(0)} µs`;
const FLOOR = 1;
const ceilingByCpu = cpuRatios(FLOOR, 0);
const ceilingShare = median(ceilingByCpu);
console.log(
  `\nThe ceiling, in this run: the floor (bare + the node:crypto calls of one Encrypt, what any server of this format does) costs ${cpuOf(FLOOR)} of server CPU per request against bare's ${cpuOf(0)}, so a server of this format reaches at most ${spread(ceilingByCpu)} of bare's rate where the server's CPU is the limit (bare CPU ÷ floor CPU, per round: median (min–max)); by request rate the floor reached ${spread(ratios[FLOOR]!)} of bare (the rate also counts the load generator and the other processes on the machine).`,
);
for (const [i, t] of targets.entries()) {
  if (i <= FLOOR) continue;
  console.log(
    `${t.name} against the floor: by server CPU per request ${spread(cpuRatios(i, FLOOR))} (${cpuOf(i)} vs ${cpuOf(FLOOR)}); by rate ${spread(samples[i]!.map((x, r) => x.rps / samples[FLOOR]![r]!.rps))}.`,
  );
}
const ratio = median(ratios[2]!);
const ofFloor = cpuRatios(2, FLOOR);
recordIssueRow({
  name: '`kmsbox serve` Encrypt 1 KiB, 20 connections',
  ceiling: 'bare node:http (JSON.parse, same-sized answer)',
  measured: ratio,
  spread: `${(Math.min(...ratios[2]!) * 100).toFixed(0)}–${(Math.max(...ratios[2]!) * 100).toFixed(0)}%`,
  target: 0.75,
  basis: 'requests/s',
  note:
    ceilingShare < 0.75
      ? `above this run's ceiling: the floor (the node:crypto calls of one Encrypt on node:http) reaches ${spread(ceilingByCpu)} of bare by server CPU; kmsbox serve reaches ${spread(ofFloor)} of the floor by server CPU`
      : `the floor reaches ${spread(ceilingByCpu)} of bare by server CPU in this run`,
});
console.log(
  `\ntarget: kmsbox serve Encrypt 1 KiB vs bare node:http ≥ 75% — measured ${(ratio * 100).toFixed(0)}% (median of per-round ratios) — ${ratio >= 0.75 ? 'PASS' : 'FAIL'}${ceilingShare < 0.75 ? `; the target is above this run's ceiling (${(ceilingShare * 100).toFixed(0)}% by server CPU): no server of this format on node:http reaches it` : ''}`,
);
