/**
 * The code under benchmark is the built package (dist/, what `npm install kmsbox` gives), not the
 * TypeScript sources under tsx: `npm run bench` builds first. Types come from the sources.
 * KMSBOX_BENCH_DIST=<dir> measures another build instead (a copy of an earlier dist/, for before/after).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type * as Index from '../src/index.js';
import type * as NodeEntry from '../src/node.js';

const dist = process.env.KMSBOX_BENCH_DIST ?? new URL('../dist', import.meta.url).pathname;
export const kmsbox = (await import(`${dist}/index.js`)) as typeof Index;
export const kmsboxNode = (await import(`${dist}/node.js`)) as typeof NodeEntry;

/**
 * The core row's two sides on `payload` (bench/ceilings.ts `core`, bench/crypto-backend.ts): raw
 * AES-256-GCM with the context's JSON as AAD, and `kms.encrypt` + `kms.decrypt` under `KeyId`.
 */
export function coreCases(kms: InstanceType<typeof kmsbox.Kms>, KeyId: string, payload: Uint8Array, context: Record<string, string>) {
  const aad = Buffer.from(JSON.stringify(context));
  const rawKey = randomBytes(32);
  return {
    aad,
    raw: { name: 'raw', run: () => rawGcmRoundTrip(rawKey, aad, payload) },
    kms: {
      name: 'kms',
      run: async () => {
        const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: payload, EncryptionContext: context });
        await kms.decrypt({ CiphertextBlob, EncryptionContext: context });
      },
    },
  };
}

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

/**
 * The raw ceiling of a stream: `total` bytes (`chunk` at a time from `chunkAt`) through one
 * node:crypto AES-256-GCM cipher each way, encrypt fed straight into decrypt.
 */
export async function rawStreamRoundTrip(total: number, chunk: number, chunkAt: (offset: number) => Uint8Array): Promise<void> {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const e = createCipheriv('aes-256-gcm', key, iv);
  const d = createDecipheriv('aes-256-gcm', key, iv);
  let n = 0;
  for (let o = 0; o < total; o += chunk) n += d.update(e.update(chunkAt(o))).length;
  e.final();
  d.setAuthTag(e.getAuthTag());
  d.final();
  if (n !== total) throw new Error('raw: lost bytes');
}

/** `total` bytes (`chunk` at a time from `chunkAt`) through kmsbox's encrypt stream piped into its decrypt stream. */
export async function streamRoundTrip(o: {
  kms: InstanceType<typeof kmsbox.Kms>;
  keyId: string;
  context: Record<string, string>;
  total: number;
  chunk: number;
  chunkAt: (offset: number) => Uint8Array;
  /** The encrypt stream's segmentSize option (absent: kmsbox's default). */
  segmentSize?: number;
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
    .pipeThrough(
      kmsbox.createEncryptStream({
        kms: o.kms,
        keyId: o.keyId,
        encryptionContext: o.context,
        ...(o.segmentSize === undefined ? {} : { segmentSize: o.segmentSize }),
      }),
    )
    .pipeThrough(kmsbox.createDecryptStream({ kms: o.kms, keyIds: [o.keyId] }))
    .pipeTo(new WritableStream({ write: (c) => void (n += c.length) }));
  if (n !== o.total) throw new Error('kmsbox: lost bytes');
}

/**
 * The same through kmsbox/node's node:stream Transforms (createEncryptNodeStream piped into
 * createDecryptNodeStream by `stream.pipeline`), from a Readable that makes each chunk when asked.
 */
export async function nodeStreamRoundTrip(o: Parameters<typeof streamRoundTrip>[0]): Promise<void> {
  let n = 0;
  await pipeline(
    chunkReadable(o.total, o.chunk, o.chunkAt),
    kmsboxNode.createEncryptNodeStream({
      kms: o.kms,
      keyId: o.keyId,
      encryptionContext: o.context,
      ...(o.segmentSize === undefined ? {} : { segmentSize: o.segmentSize }),
    }),
    kmsboxNode.createDecryptNodeStream({ kms: o.kms, keyIds: [o.keyId] }),
    new Writable({
      write(c: Uint8Array, _e, done) {
        n += c.length;
        done();
      },
    }),
  );
  if (n !== o.total) throw new Error('kmsbox node stream: lost bytes');
}

/** Plaintext chunks `chunk` bytes at a time from `chunkAt`, `total` bytes in all, as a WHATWG stream. */
function chunkStream(total: number, chunk: number, chunkAt: (offset: number) => Uint8Array): ReadableStream<Uint8Array> {
  let produced = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (produced >= total) return c.close();
      c.enqueue(chunkAt(produced));
      produced += chunk;
    },
  });
}

/** What both stream floors start from: a key, a 32-byte AAD, chunks per segment, segment i's nonce. */
function floorCipherSetup(kind: 'one cipher' | 'per segment', o: { chunk: number; segment: number }) {
  const nonce = (i: number) => {
    const iv = Buffer.alloc(12);
    iv.writeUInt32BE(i, 7);
    return iv;
  };
  return {
    key: randomBytes(32),
    aad: randomBytes(32),
    perSegment: kind === 'per segment' ? o.segment / o.chunk : Number.POSITIVE_INFINITY,
    nonce,
  };
}

/**
 * Floors of the envelope stream (issue #16), the same chunks through two TransformStreams into a
 * counting sink, as `streamRoundTrip` pipes them, with no kmsbox code:
 * - 'one cipher': one AES-256-GCM cipher each way for the whole stream (raw AES-GCM plus the
 *   WHATWG stream machinery: what the streams alone cost);
 * - 'per segment': what the envelope format needs on node:crypto, a fresh cipher each way per
 *   `segment` bytes (nonce per segment, the 32-byte MAC as AAD, the tag checked), with each
 *   segment's 3-byte head and 16-byte tag passed on as chunks of their own, as kmsbox's encrypt
 *   stream does (no copy to join them).
 * `segment` must be a multiple of `chunk`.
 */
export async function streamFloor(
  kind: 'one cipher' | 'per segment',
  o: { total: number; chunk: number; segment: number; chunkAt: (offset: number) => Uint8Array },
): Promise<void> {
  const { key, aad, perSegment, nonce } = floorCipherSetup(kind, o);
  let e = createCipheriv('aes-256-gcm', key, nonce(0));
  let d = createDecipheriv('aes-256-gcm', key, nonce(0));
  const tags: Buffer[] = [];
  let sealed = 0;
  let opened = 0;
  let n = 0;
  await chunkStream(o.total, o.chunk, o.chunkAt)
    .pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(c, k) {
          if (sealed % perSegment === 0) {
            if (sealed > 0) e = createCipheriv('aes-256-gcm', key, nonce(sealed / perSegment));
            e.setAAD(aad);
            k.enqueue(new Uint8Array(3));
          }
          const out = e.update(c);
          sealed += 1;
          let tag: Buffer | undefined;
          if (sealed % perSegment === 0) {
            e.final();
            tag = e.getAuthTag();
            tags.push(tag);
          }
          k.enqueue(out);
          if (tag) k.enqueue(tag);
        },
        flush() {
          if (sealed % perSegment !== 0) {
            e.final();
            tags.push(e.getAuthTag());
          }
        },
      }),
    )
    .pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(c, k) {
          if (c.length <= 16) return; // a head or a tag: the tag was kept by the encrypting side
          if (opened % perSegment === 0) {
            if (opened > 0) d = createDecipheriv('aes-256-gcm', key, nonce(opened / perSegment));
            d.setAAD(aad);
          }
          k.enqueue(d.update(c));
          opened += 1;
          if (opened % perSegment === 0) {
            d.setAuthTag(tags[opened / perSegment - 1]!);
            d.final();
          }
        },
        flush() {
          if (opened % perSegment !== 0) {
            d.setAuthTag(tags[tags.length - 1]!);
            d.final();
          }
        },
      }),
    )
    .pipeTo(new WritableStream({ write: (c) => void (n += c.length) }));
  if (n !== o.total) throw new Error('stream floor: lost bytes');
}

/** Plaintext chunks `chunk` bytes at a time from `chunkAt`, `total` bytes in all, as a node:stream Readable. */
function chunkReadable(total: number, chunk: number, chunkAt: (offset: number) => Uint8Array): Readable {
  let produced = 0;
  return new Readable({
    read() {
      if (produced >= total) return void this.push(null);
      this.push(chunkAt(produced));
      produced += chunk;
    },
  });
}

/**
 * `streamFloor` through two node:stream Transforms (as kmsbox/node's, one chunk queued on the
 * writable side) instead of WHATWG TransformStreams: what the Node streams cost ('one cipher'), and
 * what the format's ciphers per segment add to them ('per segment', each chunk enciphered as it
 * arrives). Heads and tags are not passed on here.
 */
export async function nodeStreamFloor(
  kind: 'one cipher' | 'per segment',
  o: { total: number; chunk: number; segment: number; chunkAt: (offset: number) => Uint8Array },
): Promise<void> {
  const { key, aad, perSegment, nonce } = floorCipherSetup(kind, o);
  let e = createCipheriv('aes-256-gcm', key, nonce(0));
  e.setAAD(aad);
  let d = createDecipheriv('aes-256-gcm', key, nonce(0));
  d.setAAD(aad);
  const tags: Buffer[] = [];
  let sealed = 0;
  let opened = 0;
  let n = 0;
  const options = { writableObjectMode: true, writableHighWaterMark: 1 } as const;
  await pipeline(
    chunkReadable(o.total, o.chunk, o.chunkAt),
    new Transform({
      ...options,
      transform(c: Uint8Array, _e, done) {
        const out = e.update(c);
        sealed += 1;
        if (sealed % perSegment === 0) {
          e.final();
          tags.push(e.getAuthTag());
          e = createCipheriv('aes-256-gcm', key, nonce(sealed / perSegment));
          e.setAAD(aad);
        }
        done(null, out);
      },
    }),
    new Transform({
      ...options,
      transform(c: Uint8Array, _e, done) {
        const out = d.update(c);
        opened += 1;
        if (opened % perSegment === 0) {
          d.setAuthTag(tags[opened / perSegment - 1]!);
          d.final();
          d = createDecipheriv('aes-256-gcm', key, nonce(opened / perSegment));
          d.setAAD(aad);
        }
        done(null, out);
      },
    }),
    new Writable({
      write(c: Uint8Array, _e, done) {
        n += c.length;
        done();
      },
    }),
  );
  if (n !== o.total) throw new Error('node stream floor: lost bytes');
}
