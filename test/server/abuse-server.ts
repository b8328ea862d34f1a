// The server side of test/server/abuse.test.ts, in its own process so that its memory is measured
// apart from the test runner's. startServer's options arrive as JSON in argv[2]. It reports
// `{ url }` once listening, and answers `'stats'` (after a garbage collection when run with
// --expose-gc) with its memory and open connections. The peak RSS is sampled every 20 ms from the
// `'baseline'` message on, besides the OS's own peak (resourceUsage().maxRSS, which also counts startup).
import { Kms } from '../../src/index.js';
import { startServer, type ServeOptions } from '../../src/node.js';

const options = JSON.parse(process.argv[2] ?? '{}') as ServeOptions;
const server = await startServer(new Kms(), options);
let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 20);

async function stats(): Promise<Record<string, number>> {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    arrayBuffers: m.arrayBuffers,
    peakRss,
    maxRss: process.resourceUsage().maxRSS * 1024,
    connections: await server.connections(),
  };
}

process.on('message', (message: unknown) => {
  if (message === 'baseline') peakRss = 0;
  if (message === 'stats' || message === 'baseline') void stats().then((s) => process.send!({ stats: s }));
  if (message === 'stop') {
    clearInterval(sampler);
    void server.close().then(() => process.exit(0));
  }
});
process.send!({ url: server.url });
