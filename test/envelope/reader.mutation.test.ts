// The envelope reader's early refusals (src/envelope/reader.ts): what it can refuse before asking
// KMS or before reading a segment body, it refuses there — a signer outside signerKeyIds or a
// missing signature before any KMS Decrypt; a segment head claiming more than the segment size
// as soon as the head is read; bytes after the end; an empty non-first segment.
import { describe, expect, it } from 'vitest';
import { encryptEnvelope, inspectEnvelope, type Kms } from 'kmsbox';
import { EnvelopeReader } from '../../src/envelope/reader.js';
import { bytes, concat, counting, expectBytes, setup, splitItems } from './helpers.js';

async function signingKey(kms: Kms): Promise<string> {
  return (await kms.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!.Arn!;
}

/** Pushes `chunks` one by one; the error (or undefined) and what was emitted. */
async function feed(reader: EnvelopeReader, chunks: Uint8Array[], end = true): Promise<{ error: unknown; emitted: number }> {
  let emitted = 0;
  const emit = (p: Uint8Array) => {
    emitted += p.length;
  };
  try {
    for (const c of chunks) await reader.push(c, emit);
    if (end) await reader.end(emit);
    return { error: undefined, emitted };
  } catch (error) {
    return { error, emitted };
  }
}

describe('signerKeyIds is enforced from the header, before KMS is asked', () => {
  it('a signer outside the list, or no signature at all: IncorrectKeyException, no Decrypt call, no plaintext', async () => {
    const { kms, keyIds } = await setup();
    const signer = await signingKey(kms);
    const other = await signingKey(kms);
    const signed = await encryptEnvelope(bytes(5000), { kms, keyId: keyIds[0]!, signingKeyId: signer, segmentSize: 4096 });
    const unsigned = await encryptEnvelope(bytes(5000), { kms, keyId: keyIds[0]! });
    for (const [envelope, message] of [
      [signed, 'The envelope is signed by a key that is not in signerKeyIds.'],
      [unsigned, 'A signature is required (signerKeyIds) but the envelope is not signed.'],
    ] as const) {
      const k = counting(kms);
      const { error, emitted } = await feed(new EnvelopeReader({ kms: k, discovery: true, signerKeyIds: [other] }), [envelope]);
      expect(error).toMatchObject({ name: 'IncorrectKeyException', message });
      expect(k.calls.decrypt ?? 0).toBe(0);
      expect(emitted).toBe(0);
    }
    const k = counting(kms);
    const ok = await feed(new EnvelopeReader({ kms: k, discovery: true, signerKeyIds: [signer] }), [signed]);
    expect(ok.error).toBeUndefined();
    expect(ok.emitted).toBe(5000);
    expect(k.calls.decrypt).toBe(1);
  });
});

describe('segment heads', () => {
  it('a head claiming one byte more than segment size + tag is refused as soon as it is read', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]!, segmentSize: 4096 });
    const { headerLength } = inspectEnvelope(envelope);
    const prefix = envelope.subarray(0, headerLength);
    const head = (n: number) => Uint8Array.of(0x59, n >> 8, n & 0xff); // byte string, u16 length
    // Exactly segment size + tag: a full segment; the reader waits for its body.
    const exact = await feed(new EnvelopeReader({ kms, keyIds }), [concat(prefix, head(4096 + 16))], false);
    expect(exact.error).toBeUndefined();
    const over = await feed(new EnvelopeReader({ kms, keyIds, debug: true }), [concat(prefix, head(4096 + 17))], false);
    expect(over.error).toMatchObject({ name: 'InvalidCiphertextException', cause: { message: 'segment longer than the segment size' } });
  });

  it('a first segment of just a tag (empty plaintext) reads; a later one is refused; shorter than a tag always', async () => {
    const { kms, keyIds } = await setup();
    const empty = await encryptEnvelope(new Uint8Array(0), { kms, keyId: keyIds[0]! });
    expect((await feed(new EnvelopeReader({ kms, keyIds }), [empty])).error).toBeUndefined();
    const prefix = empty.subarray(0, inspectEnvelope(empty).headerLength);
    const short = await feed(
      new EnvelopeReader({ kms, keyIds, debug: true }),
      [concat(prefix, Uint8Array.of(0x4f), new Uint8Array(15))],
      false,
    );
    expect(short.error).toMatchObject({ name: 'InvalidCiphertextException', cause: { message: 'segment too short' } });
    // Two full segments, then a segment of only a tag in place of the final one.
    const three = await encryptEnvelope(bytes(8193), { kms, keyId: keyIds[0]!, segmentSize: 4096 });
    const items = splitItems(three, inspectEnvelope(three).headerLength);
    expect(items.segments.length).toBe(3);
    const forged = concat(items.prefix, items.segments[0]!, items.segments[1]!, Uint8Array.of(0x50), new Uint8Array(16));
    const later = await feed(new EnvelopeReader({ kms, keyIds, debug: true }), [forged]);
    expect(later.error).toMatchObject({ name: 'InvalidCiphertextException', cause: { message: 'segment too short' } });
    expect(later.emitted).toBe(8192);
  });

  it('bytes after the final segment are refused; a split across every byte reads the same', async () => {
    const { kms, keyIds } = await setup();
    const plaintext = bytes(5000);
    const envelope = await encryptEnvelope(plaintext, { kms, keyId: keyIds[0]!, segmentSize: 4096 });
    const extra = await feed(new EnvelopeReader({ kms, keyIds, debug: true }), [concat(envelope, Uint8Array.of(0x40))]);
    expect(extra.error).toMatchObject({ name: 'InvalidCiphertextException', cause: { message: 'data after the end of the envelope' } });
    const parts: Uint8Array[] = [];
    const reader = new EnvelopeReader({ kms, keyIds });
    for (let i = 0; i < envelope.length; i++) await reader.push(envelope.subarray(i, i + 1), (p) => parts.push(p.slice()));
    await reader.end((p) => parts.push(p.slice()));
    expectBytes(concat(...parts), plaintext);
  });

  it('after one failure the reader refuses everything', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]! });
    const reader = new EnvelopeReader({ kms, keyIds });
    await expect(reader.push(Uint8Array.of(0xff), () => {})).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    await expect(reader.push(envelope, () => {})).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
  });
});
