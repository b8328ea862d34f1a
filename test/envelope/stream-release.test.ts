// What a decrypt stream releases: whole verified segments, in order, and then an error — never a
// clean end — when the envelope is cut short, tampered or extended.
import { describe, expect, it } from 'vitest';
import { createDecryptStream, encryptEnvelope, inspectEnvelope } from 'kmsbox';
import { bytes, expectBytes, setup, splitItems, concat } from './helpers.js';

const S = 4096;

/** Writes `input` in `chunk`-byte pieces; returns what was read before the stream ended or errored. */
async function drive(input: Uint8Array, opts: Parameters<typeof createDecryptStream>[0], chunk = 1000) {
  const stream = createDecryptStream(opts);
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const released: Uint8Array[] = [];
  const reading = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return 'closed' as const;
      released.push(value);
    }
  })();
  const writing = (async () => {
    for (let o = 0; o < input.length; o += chunk) await writer.write(input.subarray(o, o + chunk));
    await writer.close();
  })();
  const [w, r] = await Promise.allSettled([writing, reading]);
  return {
    released: concat(...released),
    outcome: r.status === 'fulfilled' ? r.value : (r.reason as Error).name,
    writeError: w.status === 'rejected',
  };
}

describe('decrypt stream release', () => {
  it('a truncated envelope releases only whole verified segments, then errors', async () => {
    const { kms, keyIds } = await setup();
    const plaintext = bytes(3 * S + 100, 4);
    const envelope = await encryptEnvelope(plaintext, { kms, keyId: keyIds[0]!, segmentSize: S });
    const { prefix, segments } = splitItems(envelope, inspectEnvelope(envelope).headerLength);
    // Cut after two whole segments: both are released (verified, non-final), then the stream errors.
    const cut = concat(prefix, segments[0]!, segments[1]!);
    const r = await drive(cut, { kms, discovery: true });
    expect(r.outcome).toBe('InvalidCiphertextException');
    expect(r.released.length % S).toBe(0);
    expect(r.released.length).toBeLessThanOrEqual(2 * S);
    expectBytes(r.released, plaintext.subarray(0, r.released.length));
    // Cut inside the third segment: nothing of it is released.
    const mid = await drive(envelope.subarray(0, prefix.length + segments[0]!.length + segments[1]!.length + 500), {
      kms,
      discovery: true,
    });
    expect(mid.outcome).toBe('InvalidCiphertextException');
    expect(mid.released.length).toBeLessThanOrEqual(2 * S);
    // The intact envelope closes cleanly with everything.
    const ok = await drive(envelope, { kms, discovery: true });
    expect(ok.outcome).toBe('closed');
    expectBytes(ok.released, plaintext);
  });

  it('a tampered segment stops the stream at that segment: nothing of it or after it is released', async () => {
    const { kms, keyIds } = await setup();
    const plaintext = bytes(4 * S, 8);
    const envelope = await encryptEnvelope(plaintext, { kms, keyId: keyIds[0]!, segmentSize: S });
    const h = inspectEnvelope(envelope).headerLength;
    const bad = envelope.slice();
    bad[h + 2 * (S + 19) + 100]! ^= 1; // inside segment 2
    const r = await drive(bad, { kms, discovery: true }, 333);
    expect(r.outcome).toBe('InvalidCiphertextException');
    expect(r.released.length).toBeLessThanOrEqual(2 * S);
    expectBytes(r.released, plaintext.subarray(0, r.released.length));
  });
});
