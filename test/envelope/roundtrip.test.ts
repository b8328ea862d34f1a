// Round trips: every size around the segment boundaries, every segment size at its bounds, the
// buffer and stream writers agreeing byte for byte, any chunking of stream input, and range reads.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDecryptStream, createEncryptStream, decryptEnvelope, decryptRange, encryptEnvelope, inspectEnvelope } from 'kmsbox';
import { createEncryptStreamWith as encryptStreamWith, encryptEnvelopeWith as encryptWith } from '../../src/envelope/encrypt.js';
import { bytes, expectBytes, expectError, pipe, setup } from './helpers.js';

const S = 4096;

describe('envelope round trips', () => {
  it('sizes 0 … several segments, at and around every boundary', async () => {
    const { kms, keyIds } = await setup();
    for (const n of [0, 1, S - 1, S, S + 1, 2 * S, 3 * S - 1, 3 * S + 17]) {
      const plaintext = bytes(n, n + 1);
      const envelope = await encryptEnvelope(plaintext, { kms, keyId: keyIds[0]!, segmentSize: S, encryptionContext: { n: String(n) } });
      const out = await decryptEnvelope(envelope, { kms, discovery: true, encryptionContext: { n: String(n) } });
      expectBytes(out.plaintext, plaintext);
      expect(out.encryptionContext).toEqual({ n: String(n) });
      const streamed = await pipe(createDecryptStream({ kms, discovery: true }), envelope, [1000]);
      expectBytes(streamed, plaintext);
    }
  });

  it('segment sizes at both bounds (4 KiB and 16 MiB) and a random one between', async () => {
    const { kms, keyIds } = await setup();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 12, max: 24 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: -1, max: 1 }),
        async (log2, segments, delta) => {
          const size = 2 ** log2;
          const n = Math.max(0, Math.min(segments * size + delta, 40_000));
          const plaintext = bytes(n, log2);
          const envelope = await encryptEnvelope(plaintext, { kms, keyId: keyIds[0]!, segmentSize: size });
          expect(inspectEnvelope(envelope).segmentSize).toBe(size);
          expectBytes((await decryptEnvelope(envelope, { kms, discovery: true })).plaintext, plaintext);
        },
      ),
      { numRuns: 30 },
    );
    const big = bytes(2 ** 24 + 5);
    const envelope = await encryptEnvelope(big, { kms, keyId: keyIds[0]!, segmentSize: 2 ** 24 });
    expectBytes((await decryptEnvelope(envelope, { kms, discovery: true })).plaintext, big);
  });

  it('the stream writer produces exactly the buffer writer bytes, whatever the chunking', async () => {
    const { kms, keyIds } = await setup();
    const messageId = bytes(32, 99);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5 * S }),
        fc.array(fc.integer({ min: 1, max: 3 * S }), { minLength: 1, maxLength: 6 }),
        async (n, chunks) => {
          const plaintext = bytes(n, n);
          const opts = { kms, keyId: keyIds[0]!, segmentSize: S, encryptionContext: { k: 'v' } };
          // With a fixed message id and the same wrapped key (cache), the bytes must match exactly.
          const { DataKeyCache } = await import('kmsbox');
          const cache = new DataKeyCache({ maxAgeMs: 60_000 });
          const a = await encryptWith(plaintext, { ...opts, cache }, { messageId });
          const b = await pipe(encryptStreamWith({ ...opts, cache }, { messageId }), plaintext, chunks);
          expectBytes(b, a);
          expectBytes(await pipe(createDecryptStream({ kms, discovery: true }), b, chunks), plaintext);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('decryptRange returns exactly the slice, with or without the total size', async () => {
    const { kms, keyIds } = await setup();
    const plaintext = bytes(5 * S + 123, 7);
    const envelope = await encryptEnvelope(plaintext, { kms, keyId: keyIds[0]!, segmentSize: S });
    const read = async (o: number, l: number) => envelope.subarray(o, o + l);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: plaintext.length - 1 }),
        fc.integer({ min: 1, max: 3 * S }),
        fc.boolean(),
        async (start, length, withSize) => {
          const end = start + length;
          const { plaintext: out } = await decryptRange(
            read,
            { kms, keyIds },
            { start, end, ...(withSize ? { size: envelope.length } : {}) },
          );
          expectBytes(out, plaintext.subarray(start, Math.min(end, plaintext.length)));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('decryptRange past the end: ValidationException after the final segment verified, with or without the size; a truncated envelope fails', async () => {
    const { kms, keyIds } = await setup();
    const plaintext = bytes(3 * S, 5); // three full segments: the envelope ends on a segment boundary
    const envelope = await encryptEnvelope(plaintext, { kms, keyId: keyIds[0]!, segmentSize: S });
    const reads = (bytes: Uint8Array) => async (o: number, l: number) => bytes.subarray(o, o + l);
    const P = plaintext.length;
    for (const start of [P, P + 1, 5 * P, 2 ** 40]) {
      for (const size of [undefined, envelope.length]) {
        await expectError(
          () => decryptRange(reads(envelope), { kms, discovery: true }, { start, end: start + 10, ...(size ? { size } : {}) }),
          'ValidationException',
        );
      }
    }
    // Truncated after the second segment: whatever is asked past it, the envelope does not just look shorter.
    const headerLength = inspectEnvelope(envelope).headerLength;
    const truncated = envelope.subarray(0, headerLength + (2 * (envelope.length - headerLength)) / 3);
    for (const [start, end] of [
      [2 * S, 3 * S],
      [0, P],
      [P, P + 1],
      [4 * P, 4 * P + 1],
    ]) {
      for (const size of [undefined, truncated.length]) {
        await expectError(
          () => decryptRange(reads(truncated), { kms, discovery: true }, { start: start!, end: end!, ...(size ? { size } : {}) }),
          'InvalidCiphertextException',
        );
      }
    }
  });

  it('a 1-byte range near the end of a large message reads at most two segments', async () => {
    const { kms, keyIds } = await setup();
    const plaintext = bytes(64 * S + 10, 3);
    const envelope = await encryptEnvelope(plaintext, { kms, keyId: keyIds[0]!, segmentSize: S });
    const headerLength = inspectEnvelope(envelope).headerLength;
    for (const [start, size] of [
      [plaintext.length - 1, envelope.length],
      [plaintext.length - 20, undefined],
      [plaintext.length - 20, envelope.length],
    ] as const) {
      const reads: number[] = [];
      const read = async (o: number, l: number) => {
        if (o >= headerLength) reads.push(o);
        return envelope.subarray(o, o + l);
      };
      const { plaintext: out } = await decryptRange(read, { kms, keyIds }, { start, end: start + 1, ...(size ? { size } : {}) });
      expectBytes(out, plaintext.subarray(start, start + 1));
      expect(reads.length).toBeLessThanOrEqual(2);
    }
  });

  it('large streams: many segments through Blob streams', async () => {
    const { kms, keyIds } = await setup();
    const plaintext = bytes(3 * 262144 + 77, 5);
    const encrypted = new Blob([plaintext as BlobPart])
      .stream()
      .pipeThrough(createEncryptStream({ kms, keyId: keyIds[0]!, segmentSize: 262144 }));
    const envelope = new Uint8Array(await new Response(encrypted).arrayBuffer());
    expectBytes((await decryptEnvelope(envelope, { kms, discovery: true })).plaintext, plaintext);
    const decrypted = new Blob([envelope as BlobPart]).stream().pipeThrough(createDecryptStream({ kms, discovery: true }));
    expectBytes(new Uint8Array(await new Response(decrypted).arrayBuffer()), plaintext);
  });

  it('a context key named "__proto__" is data: stored, reported, and required on decrypt', async () => {
    const { kms, keyIds } = await setup();
    const context = JSON.parse('{"__proto__":"x","a":"b"}') as Record<string, string>;
    for (const storeContext of [true, false]) {
      const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]!, encryptionContext: context, storeContext });
      if (storeContext) expect(Object.keys(inspectEnvelope(envelope).encryptionContext).sort()).toEqual(['__proto__', 'a']);
      const out = await decryptEnvelope(envelope, { kms, discovery: true, encryptionContext: context });
      expect(Object.keys(out.encryptionContext).sort()).toEqual(['__proto__', 'a']);
      await expect(
        decryptEnvelope(envelope, { kms, discovery: true, encryptionContext: JSON.parse('{"__proto__":"y","a":"b"}') }),
      ).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
      // A subset is enough when the context is stored; a withheld context must be given whole.
      const subset = decryptEnvelope(envelope, { kms, discovery: true, encryptionContext: { a: 'b' } });
      if (storeContext) await expect(subset).resolves.toBeDefined();
      else await expect(subset).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    }
    // Encrypting without the pair gives a different envelope context: the pair was not dropped.
    const without = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]!, encryptionContext: { a: 'b' } });
    await expect(decryptEnvelope(without, { kms, discovery: true, encryptionContext: context })).rejects.toMatchObject({
      name: 'InvalidCiphertextException',
    });
  });
});

describe('suites', () => {
  it('writes suite 2 by default and suite 1 on request; both read whole, streamed and by range, and inspect names them', async () => {
    const { kms, keyIds } = await setup();
    const plaintext = bytes(10_000);
    for (const [suite, name] of [
      [undefined, 'AES_256_GCM_SP800_108_HMAC_SHA512'],
      [2, 'AES_256_GCM_SP800_108_HMAC_SHA512'],
      [1, 'AES_256_GCM_HKDF_SHA512_HMAC_SHA256'],
    ] as const) {
      const envelope = await encryptEnvelope(plaintext, {
        kms,
        keyId: keyIds[0]!,
        segmentSize: 4096,
        encryptionContext: { tenant: 't1' },
        storeContext: false,
        ...(suite === undefined ? {} : { suite }),
      });
      const info = inspectEnvelope(envelope);
      expect(info.suite).toEqual({ id: suite ?? 2, name });
      const opts = { kms, keyIds, encryptionContext: { tenant: 't1' } };
      expectBytes((await decryptEnvelope(envelope, opts)).plaintext, plaintext);
      expectBytes(await pipe(createDecryptStream(opts), envelope, [100, 5000]), plaintext);
      const read = async (offset: number, length: number) => envelope.subarray(offset, offset + length);
      expectBytes((await decryptRange(read, opts, { start: 4000, end: 8200 })).plaintext, plaintext.subarray(4000, 8200));
      // The withheld context is part of both suites' MAC input.
      await expectError(() => decryptEnvelope(envelope, { ...opts, encryptionContext: { tenant: 't2' } }), 'InvalidCiphertextException');
    }
  });
});
