// Child process for the memory test: streams N bytes through encrypt and decrypt streams and
// prints peak RSS growth. Run: node --import tsx test/envelope/memory-child.ts <bytes>
import { Kms, createDecryptStream, createEncryptStream } from '../../src/index.js';

const total = Number(process.argv[2] ?? 2 ** 30);
const CHUNK = 64 * 1024;
const PERIOD = 1024 * 1024;
const pattern = new Uint8Array(2 * PERIOD);
for (let i = 0; i < pattern.length; i++) pattern[i] = ((i % PERIOD) * 2654435761) >>> 24;
// Output chunks are at most one segment (1 MiB by default), so any of them fits in the doubled pattern.
const at = (offset: number, n: number) => pattern.subarray(offset % PERIOD, (offset % PERIOD) + n);

const kms = new Kms();
const { KeyMetadata } = await kms.createKey({});
/** Streams `total` bytes through encrypt → decrypt; checks every byte; returns the peak RSS seen. */
async function run(total: number, sample: (rss: number) => void): Promise<{ received: number; mismatch: number }> {
  let produced = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (produced >= total) return controller.close();
      const n = Math.min(CHUNK, total - produced);
      controller.enqueue(at(produced, n).slice());
      produced += n;
    },
  });
  let received = 0;
  let mismatch = -1;
  await source
    .pipeThrough(createEncryptStream({ kms, keyId: KeyMetadata!.KeyId! }))
    .pipeThrough(createDecryptStream({ kms, discovery: true }))
    .pipeTo(
      new WritableStream({
        write(chunk) {
          if (mismatch < 0 && !Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).equals(at(received, chunk.length)))
            mismatch = received;
          const before = received;
          received += chunk.length;
          // A collection every 4 MiB (every 4 segments at the 1 MiB default): what is measured is what the streams keep, not how far a
          // starved process (CI's loaded cores) let its garbage pile up before V8 got to it.
          if (Math.floor(received / 2 ** 22) !== Math.floor(before / 2 ** 22)) (globalThis as { gc?: () => void }).gc?.();
          sample(process.memoryUsage().rss);
        },
      }),
    );
  return { received, mismatch };
}

// Warm up (JIT, allocator arenas, stream machinery) so the measurement is growth with size, not start-up.
await run(64 * 2 ** 20, () => {});
(globalThis as { gc?: () => void }).gc?.();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
const started = performance.now();
const { received, mismatch } = await run(total, (rss) => (peak = Math.max(peak, rss)));
clearInterval(sampler);
console.log(
  JSON.stringify({
    total,
    received,
    mismatch,
    growthMiB: (peak - baseline) / 2 ** 20,
    baselineMiB: baseline / 2 ** 20,
    peakMiB: peak / 2 ** 20,
    seconds: (performance.now() - started) / 1000,
  }),
);
