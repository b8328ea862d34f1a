// The reader's segment-count limit (2^32, src/envelope/format.ts LIMITS.maxSegments), lowered through
// EnvelopeReader's internal `limits` parameter so a test can reach it with a few 4 KiB segments.
import { describe, expect, it } from 'vitest';
import { encryptEnvelope } from 'kmsbox';
import { LIMITS } from '../../src/envelope/format.js';
import { EnvelopeReader } from '../../src/envelope/reader.js';
import { bytes, expectBytes, setup } from './helpers.js';

async function read(
  envelope: Uint8Array,
  opts: ConstructorParameters<typeof EnvelopeReader>[0],
  maxSegments?: number,
): Promise<Uint8Array> {
  const reader = new EnvelopeReader(opts, maxSegments === undefined ? {} : { maxSegments });
  const parts: Uint8Array[] = [];
  await reader.push(envelope, (p) => parts.push(p.slice()));
  await reader.end((p) => parts.push(p.slice()));
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

describe('the envelope segment-count limit', () => {
  it('is 2^32 segments by default', () => {
    expect(LIMITS.maxSegments).toBe(2 ** 32);
  });

  it('an envelope of exactly the limit reads; one segment more is InvalidCiphertextException before its plaintext', async () => {
    const { kms, keyIds } = await setup();
    const plaintext = bytes(3 * 4096 - 1);
    const envelope = await encryptEnvelope(plaintext, { kms, keyId: keyIds[0]!, segmentSize: 4096 });
    const opts = { kms, keyIds: [keyIds[0]!] };
    expectBytes(await read(envelope, opts), plaintext);
    expectBytes(await read(envelope, opts, 3), plaintext);
    const reader = new EnvelopeReader({ ...opts, debug: true }, { maxSegments: 2 });
    const seen: Uint8Array[] = [];
    const failure = await (async () => {
      await reader.push(envelope, (p) => seen.push(p));
      await reader.end((p) => seen.push(p));
    })().catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: 'InvalidCiphertextException', cause: { message: 'too many segments' } });
    // The two segments within the limit were authenticated and handed out; the third never was.
    expect(seen.reduce((n, p) => n + p.length, 0)).toBe(2 * 4096);
  });
});
