// The node:stream envelope streams (kmsbox/node createEncryptNodeStream / createDecryptNodeStream):
// the same bytes as the golden vectors, the WHATWG streams and the buffer API, whatever the chunking;
// the decrypt side's release rules (whole verified segments only, then an error, never a clean end,
// on a cut, tampered or extended envelope); backpressure; destroy and abort.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, createReadStream, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  KMSServiceException,
  createDecryptNodeStream,
  createDecryptStream,
  createEncryptNodeStream,
  createEncryptStream,
  decryptEnvelope,
  encryptEnvelope,
  inspectEnvelope,
  type KmsLike,
} from 'kmsbox/node';
import { bytes, concat, expectBytes, pipe, setup, splitItems } from './helpers.js';
import { stubKms } from './stub-kms.js';
import { encryptEnvelopeWith } from '../../src/envelope/encrypt.js';
import { createEncryptNodeStreamWith } from '../../src/envelope/node-streams.js';

const S = 4096;
const dir = mkdtempSync(join(tmpdir(), 'kmsbox-node-streams-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const load = (file: string) => JSON.parse(readFileSync(new URL(`../vectors/envelope/${file}`, import.meta.url), 'utf8'));
const goldens = { 1: load('golden.json'), 2: load('golden-suite2.json') } as const;
const golden = goldens[1];
const unhex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const messageId = unhex(golden.messageId);
const plaintextOf = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);

/** `input` cut into pieces of the given sizes (cycled). */
function chunked(input: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0, k = 0; off < input.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length]!);
    out.push(input.subarray(off, off + n));
    off += n;
  }
  return out;
}

/**
 * Pipes `chunks` through `stream` with stream.pipeline; returns what came out before the end or the
 * error, and the error (undefined when the pipeline resolved).
 */
async function through(stream: Transform, chunks: readonly Uint8Array[]): Promise<{ out: Uint8Array; error: unknown }> {
  const out: Uint8Array[] = [];
  let error: unknown;
  try {
    await pipeline(
      Readable.from(chunks),
      stream,
      new Writable({
        write(c: Uint8Array, _e, done) {
          out.push(c);
          done();
        },
      }),
    );
  } catch (e) {
    error = e;
  }
  return { out: concat(...out), error };
}

async function ok(stream: Transform, chunks: readonly Uint8Array[]): Promise<Uint8Array> {
  const { out, error } = await through(stream, chunks);
  if (error !== undefined) throw error;
  return out;
}

/** The vector's KMS and options (a fixed data key and message id: the envelope is the same bytes every time). */
function vectorSetup(suite: 1 | 2, name: string) {
  const golden = goldens[suite];
  const v = golden.vectors.find((x: { name: string }) => x.name === name);
  const kms: KmsLike = stubKms(
    unhex(golden.dek),
    v.recipients.map((r: { arn: string; blob: string }) => ({ arn: r.arn, blob: unhex(r.blob) })),
    v.signer && { arn: v.signer.arn, pkcs8: unhex(v.signer.pkcs8) },
  );
  const encrypt = {
    kms,
    keyId: v.recipients.map((r: { arn: string }) => r.arn) as string[],
    segmentSize: v.segmentSize as number,
    encryptionContext: v.encryptionContext as Record<string, string>,
    storeContext: v.storeContext as boolean,
    ...(v.signer ? { signingKeyId: v.signer.arn as string } : {}),
    suite,
  };
  const decrypt = {
    kms,
    discovery: true,
    ...(v.storeContext ? {} : { encryptionContext: v.encryptionContext as Record<string, string> }),
    ...(v.signer ? { signerKeyIds: [v.signer.arn as string] } : {}),
  };
  return { v, kms, encrypt, decrypt, plaintext: plaintextOf(v.plaintextLength), envelope: unhex(v.envelope) };
}

const writable = ([1, 2] as const).flatMap((suite) =>
  (goldens[suite].vectors as Array<{ name: string; writtenBy?: string }>).filter((v) => !v.writtenBy).map((v) => [suite, v.name] as const),
);

describe('node:stream envelope streams: the same bytes', () => {
  it.each(writable)('suite %i, %s: the encrypt stream writes the golden vector, the decrypt stream reads it', async (suite, name) => {
    const { encrypt, decrypt, plaintext, envelope } = vectorSetup(suite, name);
    const written = await ok(createEncryptNodeStreamWith(encrypt, { messageId }), chunked(plaintext, [1000, 4096, 7]));
    expect(Buffer.from(written).toString('hex')).toBe(Buffer.from(envelope).toString('hex'));
    expectBytes(await ok(createDecryptNodeStream(decrypt), chunked(envelope, [333, 5000])), plaintext);
  });

  it('the WHATWG streams and the buffer API read what the node streams write, and the other way round', async () => {
    const { kms, keyIds } = await setup();
    const keyId = keyIds[0]!;
    const plaintext = bytes(5 * S + 17, 3);
    const opts = { kms, keyId, segmentSize: S, encryptionContext: { tenant: 't1' } };
    const fromNode = await ok(createEncryptNodeStream(opts), chunked(plaintext, [S + 1]));
    expectBytes(await pipe(createDecryptStream({ kms, keyIds: [keyId] }), fromNode, [999]), plaintext);
    expectBytes((await decryptEnvelope(fromNode, { kms, keyIds: [keyId] })).plaintext, plaintext);
    const fromWeb = await pipe(createEncryptStream(opts), plaintext, [S - 1]);
    const fromBuffer = await encryptEnvelope(plaintext, opts);
    for (const envelope of [fromWeb, fromBuffer])
      expectBytes(await ok(createDecryptNodeStream({ kms, keyIds: [keyId] }), chunked(envelope, [4000])), plaintext);
  });

  it('round trip through stream.pipeline with files, the default segment size, strings written too', async () => {
    const { kms, keyIds } = await setup();
    const plaintext = bytes(2 ** 20 * 2 + 12345, 5); // two full 1 MiB segments and part of a third
    const [a, b, c] = ['plain.bin', 'sealed.kmsbox', 'opened.bin'].map((f) => join(dir, f)) as [string, string, string];
    writeFileSync(a, plaintext);
    await pipeline(createReadStream(a), createEncryptNodeStream({ kms, keyId: keyIds[0]! }), createWriteStream(b));
    expect(inspectEnvelope(readFileSync(b)).segmentSize).toBe(2 ** 20);
    await pipeline(createReadStream(b), createDecryptNodeStream({ kms, keyIds: [keyIds[0]!] }), createWriteStream(c));
    expectBytes(readFileSync(c), plaintext);
    const text = await ok(createEncryptNodeStream({ kms, keyId: keyIds[0]! }), ['héllo ', 'wörld'] as unknown as Uint8Array[]);
    expect(Buffer.from((await decryptEnvelope(text, { kms, keyIds: [keyIds[0]!] })).plaintext).toString('utf8')).toBe('héllo wörld');
  });

  it('random chunkings of the plaintext and of the envelope give the same envelope and the same plaintext', async () => {
    const { encrypt, decrypt } = vectorSetup(2, 'signed with Ed25519');
    const sizes = fc.array(fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 2 * S + 40 })), {
      minLength: 1,
      maxLength: 8,
    });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 * S + 2 }), sizes, sizes, async (n, plainSizes, cipherSizes) => {
        const plaintext = bytes(n, n + 1);
        const expected = await encryptEnvelopeWith(plaintext, encrypt, { messageId });
        const written = await ok(createEncryptNodeStreamWith(encrypt, { messageId }), chunked(plaintext, plainSizes));
        expectBytes(written, expected);
        expectBytes(await ok(createDecryptNodeStream(decrypt), chunked(expected, cipherSizes)), plaintext);
      }),
      { numRuns: 40 },
    );
  });
});

describe('node:stream decrypt: what it releases', () => {
  async function envelopeOf(n: number) {
    const { kms, keyIds } = await setup();
    const plaintext = bytes(n, 9);
    const envelope = await encryptEnvelope(plaintext, { kms, keyId: keyIds[0]!, segmentSize: S, encryptionContext: { a: 'b' } });
    return { kms, keyIds, plaintext, envelope, headerLength: inspectEnvelope(envelope).headerLength };
  }

  /** Whole verified segments only: a prefix of the plaintext, at most `segments` of them. */
  function expectReleased(out: Uint8Array, plaintext: Uint8Array, segments: number): void {
    expect(out.length % S).toBe(0);
    expect(out.length).toBeLessThanOrEqual(segments * S);
    expectBytes(out, plaintext.subarray(0, out.length));
  }

  it('a tampered segment: InvalidCiphertextException, nothing of that segment or after it', async () => {
    const { kms, keyIds, plaintext, envelope, headerLength } = await envelopeOf(4 * S);
    const bad = envelope.slice();
    bad[headerLength + 2 * (S + 19) + 100]! ^= 1; // inside segment 2
    const { out, error } = await through(createDecryptNodeStream({ kms, keyIds }), chunked(bad, [700]));
    expect(error).toBeInstanceOf(KMSServiceException);
    expect((error as Error).name).toBe('InvalidCiphertextException');
    expectReleased(out, plaintext, 2);
  });

  it('a truncated envelope (at a segment boundary or inside one) errors instead of ending', async () => {
    const { kms, keyIds, plaintext, envelope, headerLength } = await envelopeOf(3 * S + 100);
    const { prefix, segments } = splitItems(envelope, headerLength);
    // Each cut with the number of whole segments before it (a non-final one verifies once the next head is read).
    const cuts: Array<[Uint8Array, number]> = [
      [concat(prefix, segments[0]!, segments[1]!), 2],
      [envelope.subarray(0, envelope.length - 1), 3],
      [envelope.subarray(0, headerLength + S), 0],
      [envelope.subarray(0, headerLength + 10), 0],
    ];
    for (const [cut, whole] of cuts) {
      const { out, error } = await through(createDecryptNodeStream({ kms, keyIds }), chunked(cut, [S]));
      expect((error as Error).name).toBe('InvalidCiphertextException');
      expectReleased(out, plaintext, whole);
    }
  });

  it('bytes after the end of the envelope: InvalidCiphertextException', async () => {
    const { kms, keyIds, plaintext, envelope } = await envelopeOf(2 * S + 5);
    const { out, error } = await through(createDecryptNodeStream({ kms, keyIds }), [envelope, new Uint8Array([0x40])]);
    expect((error as Error).name).toBe('InvalidCiphertextException');
    expectBytes(out, plaintext.subarray(0, out.length));
  });

  it('a wrong encryption context: InvalidCiphertextException before any plaintext', async () => {
    const { kms, keyIds, envelope } = await envelopeOf(2 * S);
    const { out, error } = await through(createDecryptNodeStream({ kms, keyIds, encryptionContext: { a: 'c' } }), [envelope]);
    expect((error as Error).name).toBe('InvalidCiphertextException');
    expect(out.length).toBe(0);
  });

  it('bad options and bad chunks are typed errors, never a TypeError', async () => {
    const { kms, keyIds, envelope } = await envelopeOf(10);
    expect(() => createDecryptNodeStream({ kms } as never)).toThrow(KMSServiceException);
    const noKms = await through(createEncryptNodeStream({ keyId: keyIds[0]! } as never), [new Uint8Array(1)]);
    expect((noKms.error as Error).name).toBe('ValidationException');
    const notBytes = await through(createEncryptNodeStream({ kms, keyId: keyIds[0]! }), [42 as unknown as Uint8Array]);
    expect((notBytes.error as Error).name).toBe('ValidationException');
    const cipherNotBytes = await through(createDecryptNodeStream({ kms, keyIds }), [envelope.subarray(0, 5), {} as Uint8Array]);
    expect(cipherNotBytes.error).toBeInstanceOf(KMSServiceException);
    const unknownKey = await through(createEncryptNodeStream({ kms, keyId: 'alias/nope' }), [new Uint8Array(1)]);
    expect((unknownKey.error as Error).name).toBe('NotFoundException');
  });
});

describe('node:stream envelope streams: flow control', () => {
  it('a consumer that stops reading stops the producer: a bounded number of segments in between', async () => {
    const { kms, keyIds } = await setup();
    const chunk = 1024;
    const total = 1024 * S; // 4 MiB: far more than the streams may hold
    const source = bytes(S, 2);
    let produced = 0;
    let received = 0;
    let firstWrite!: () => void;
    const stalled = new Promise<void>((r) => (firstWrite = r));
    let resume: (() => void) | undefined;
    const encrypt = createEncryptNodeStream({ kms, keyId: keyIds[0]!, segmentSize: S });
    const decrypt = createDecryptNodeStream({ kms, keyIds });
    const done = pipeline(
      new Readable({
        read() {
          if (produced >= total) return void this.push(null);
          this.push(source.subarray(produced % S, (produced % S) + chunk));
          produced += chunk;
        },
      }),
      encrypt,
      decrypt,
      new Writable({
        write(c: Uint8Array, _e, next) {
          received += c.length;
          if (resume === undefined) {
            resume = next; // the consumer stalls on its first chunk
            firstWrite();
          } else next();
        },
      }),
    );
    await stalled;
    // Let everything that can run, run: each turn of the event loop is another chance to overfill.
    for (let i = 0; i < 300; i++) await new Promise((r) => setImmediate(r));
    // Each stage may hold its high-water mark (16 KiB) and a segment or so: about 4 segments of 4 KiB a stage.
    const bufferedSegments = (produced - received) / S;
    expect(bufferedSegments).toBeLessThan(32);
    expect((encrypt.readableLength + decrypt.readableLength) / S).toBeLessThan(12);
    expect(produced).toBeLessThan(total);
    resume!();
    await done;
    expect(received).toBe(total);
  });

  it('abort mid-stream: the pipeline rejects, both streams are destroyed, only verified segments came out', async () => {
    const { kms, keyIds } = await setup();
    const plaintext = bytes(64 * S, 6);
    const controller = new AbortController();
    const encrypt = createEncryptNodeStream({ kms, keyId: keyIds[0]!, segmentSize: S });
    const decrypt = createDecryptNodeStream({ kms, keyIds });
    const out: Uint8Array[] = [];
    const run = pipeline(
      Readable.from(chunked(plaintext, [1000])),
      encrypt,
      decrypt,
      new Writable({
        write(c: Uint8Array, _e, next) {
          out.push(c);
          if (out.length === 2) controller.abort();
          next();
        },
      }),
      { signal: controller.signal },
    );
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(encrypt.destroyed && decrypt.destroyed).toBe(true);
    const released = concat(...out);
    expect(released.length).toBeLessThan(plaintext.length);
    expectBytes(released, plaintext.subarray(0, released.length));
  });

  it('destroyed while the KMS call is pending: no output, no error later, the late data key unused', async () => {
    const { kms, keyIds } = await setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const slow: KmsLike = {
      generateDataKey: async (input) => {
        calls += 1;
        await gate;
        return kms.generateDataKey(input);
      },
      encrypt: (i) => kms.encrypt(i),
      decrypt: (i) => kms.decrypt(i),
    } as KmsLike;
    const encrypt = createEncryptNodeStream({ kms: slow, keyId: keyIds[0]! });
    const seen: unknown[] = [];
    encrypt.on('data', (d) => seen.push(d));
    encrypt.on('error', (e) => seen.push(e));
    encrypt.write(new Uint8Array(10));
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(1);
    const closed = new Promise((r) => encrypt.once('close', r));
    encrypt.destroy();
    release();
    await closed;
    expect(seen).toEqual([]);
    expect(encrypt.destroyed).toBe(true);
  });

  it('a decrypt stream destroyed while the KMS call is pending: no output, no error later', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(3 * S, 4), { kms, keyId: keyIds[0]!, segmentSize: S });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const slow = {
      generateDataKey: (i: never) => kms.generateDataKey(i),
      encrypt: (i: never) => kms.encrypt(i),
      decrypt: async (input: never) => {
        calls += 1;
        await gate;
        return kms.decrypt(input);
      },
    } as unknown as KmsLike;
    const decrypt = createDecryptNodeStream({ kms: slow, keyIds });
    const seen: unknown[] = [];
    decrypt.on('data', (d) => seen.push(d));
    decrypt.on('error', (e) => seen.push(e));
    decrypt.write(envelope);
    while (calls === 0) await new Promise((r) => setImmediate(r));
    const closed = new Promise((r) => decrypt.once('close', r));
    decrypt.destroy();
    await closed;
    release();
    // The late KMS answer lands after the stream is gone: let it run to the end.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([]);
  });
});
