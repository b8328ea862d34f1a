/**
 * The code under benchmark is the built package (dist/, what `npm install kmsbox` gives), not the
 * TypeScript sources under tsx: `npm run bench` builds first. Types come from the sources.
 * KMSBOX_BENCH_DIST=<dir> measures another build instead (a copy of an earlier dist/, for before/after).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type * as Index from '../src/index.js';
import type * as NodeEntry from '../src/node.js';

const dist = process.env.KMSBOX_BENCH_DIST ?? new URL('../dist', import.meta.url).pathname;
export const kmsbox = (await import(`${dist}/index.js`)) as typeof Index;
export const kmsboxNode = (await import(`${dist}/node.js`)) as typeof NodeEntry;

/** The raw ceiling of a 4 KiB Encrypt + Decrypt: one node:crypto AES-256-GCM encryption and decryption, fresh IV. */
export function rawGcmRoundTrip(key: Uint8Array, aad: Uint8Array, payload: Uint8Array): void {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(payload), c.final()]);
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAAD(aad);
  d.setAuthTag(c.getAuthTag());
  Buffer.concat([d.update(ct), d.final()]);
}

/** `total` bytes (`chunk` at a time from `chunkAt`) through kmsbox's encrypt stream piped into its decrypt stream. */
export async function streamRoundTrip(o: {
  kms: InstanceType<typeof kmsbox.Kms>;
  keyId: string;
  context: Record<string, string>;
  total: number;
  chunk: number;
  chunkAt: (offset: number) => Uint8Array;
}): Promise<void> {
  let produced = 0;
  let n = 0;
  await new ReadableStream<Uint8Array>({
    pull(c) {
      if (produced >= o.total) return c.close();
      c.enqueue(o.chunkAt(produced));
      produced += o.chunk;
    },
  })
    .pipeThrough(kmsbox.createEncryptStream({ kms: o.kms, keyId: o.keyId, encryptionContext: o.context }))
    .pipeThrough(kmsbox.createDecryptStream({ kms: o.kms, keyIds: [o.keyId] }))
    .pipeTo(new WritableStream({ write: (c) => void (n += c.length) }));
  if (n !== o.total) throw new Error('kmsbox: lost bytes');
}
