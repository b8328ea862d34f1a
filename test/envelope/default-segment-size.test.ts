// The writers' default segment size (docs/envelope-format.md §6): 1 MiB on node:crypto (256 KiB
// before), 256 KiB on the portable backend (test/browser/envelope.test.ts checks it in Chromium).
// What the header says and how the segments fall, for the buffer and the stream writer alike, and
// envelopes written with the old default still read by every reader (buffer, stream, range).
import { describe, expect, it } from 'vitest';
import { createDecryptStream, createEncryptStream, decryptEnvelope, decryptRange, encryptEnvelope, inspectEnvelope } from 'kmsbox';
import { nodeCryptoBackend, webBackend } from '../../src/crypto/backend/index.js';
import { defaultSegmentSizeLog2 } from '../../src/envelope/options.js';
import { bytes, expectBytes, setup, splitItems } from './helpers.js';

const MiB = 2 ** 20;
const OLD_DEFAULT = 256 * 1024;

const streamed = async (input: Uint8Array, stream: TransformStream<Uint8Array, Uint8Array>): Promise<Uint8Array> =>
  new Uint8Array(await new Response(new Blob([input as BlobPart]).stream().pipeThrough(stream)).arrayBuffer());

describe('default segment size', () => {
  it('is 1 MiB on node:crypto and 256 KiB on the portable backend (WebCrypto)', () => {
    expect(defaultSegmentSizeLog2(nodeCryptoBackend!)).toBe(20);
    expect(defaultSegmentSizeLog2(webBackend)).toBe(18);
    expect(defaultSegmentSizeLog2()).toBe(20); // this runtime's backend: node:crypto
  });

  it('both writers write 1 MiB segments unless told otherwise', async () => {
    const { kms, keyIds } = await setup();
    const plaintext = bytes(MiB + 1, 21); // one full segment and one byte
    for (const envelope of [
      await encryptEnvelope(plaintext, { kms, keyId: keyIds[0]! }),
      await streamed(plaintext, createEncryptStream({ kms, keyId: keyIds[0]! })),
    ]) {
      const info = inspectEnvelope(envelope);
      expect(info.segmentSize).toBe(MiB);
      const { segments, tail } = splitItems(envelope, info.headerLength);
      expect(segments.map((s) => s.length)).toEqual([5 + MiB + 16, 1 + 1 + 16]);
      expect(tail.length).toBe(0);
      expectBytes((await decryptEnvelope(envelope, { kms, keyIds })).plaintext, plaintext);
    }
  });

  it('an explicit segmentSize still wins, the old default included', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]!, segmentSize: OLD_DEFAULT });
    expect(inspectEnvelope(envelope).segmentSize).toBe(OLD_DEFAULT);
  });

  it('envelopes written with the old default (256 KiB) read whole, streamed and by range', async () => {
    const { kms, keyIds } = await setup();
    const plaintext = bytes(2 * OLD_DEFAULT + 1000, 22); // three segments
    const envelope = await encryptEnvelope(plaintext, { kms, keyId: keyIds[0]!, segmentSize: OLD_DEFAULT });
    expect(splitItems(envelope, inspectEnvelope(envelope).headerLength).segments).toHaveLength(3);
    expectBytes((await decryptEnvelope(envelope, { kms, keyIds })).plaintext, plaintext);
    expectBytes(await streamed(envelope, createDecryptStream({ kms, keyIds })), plaintext);
    // Across the boundary of segments 1 and 2.
    const [start, end] = [2 * OLD_DEFAULT - 10, 2 * OLD_DEFAULT + 10];
    const read = async (o: number, l: number) => envelope.subarray(o, o + l);
    const { plaintext: range } = await decryptRange(read, { kms, keyIds }, { start, end });
    expectBytes(range, plaintext.subarray(start, end));
  });
});
