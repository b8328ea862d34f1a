// The envelope reader's early refusals (src/envelope/reader.ts): what it can refuse before asking
// KMS or before reading a segment body, it refuses there — a signer outside signerKeyIds or a
// missing signature before any KMS Decrypt; a segment head claiming more than the segment size
// as soon as the head is read; bytes after the end; an empty non-first segment.
import { describe, expect, it } from 'vitest';
import { encryptEnvelope, inspectEnvelope, type Kms } from 'kmsbox';
import { EnvelopeReader } from '../../src/envelope/reader.js';
import { messageKeys } from '../../src/envelope/key-schedule.js';
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

/** The debug reason of a failure (InvalidCiphertextException carries it on `cause` with debug: true). */
const reason = (error: unknown) => (error as { cause?: { message?: string } } | undefined)?.cause?.message;

describe('the header size limit (maxHeaderBytes)', () => {
  it('a header of exactly maxHeaderBytes reads, in one chunk or byte by byte; one byte less is LimitExceededException', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]!, encryptionContext: { pad: 'x'.repeat(200) } });
    const headerEnd = inspectEnvelope(envelope).headerLength - 34; // the MAC item: 2 + 32 bytes
    const whole = await feed(new EnvelopeReader({ kms, keyIds, maxHeaderBytes: headerEnd }), [envelope]);
    expect([whole.error, whole.emitted]).toEqual([undefined, 10]);
    const bytewise = [...envelope].map((b) => Uint8Array.of(b));
    const split = await feed(new EnvelopeReader({ kms, keyIds, maxHeaderBytes: headerEnd }), bytewise);
    expect([split.error, split.emitted]).toEqual([undefined, 10]);
    const message = `The envelope header is larger than ${headerEnd - 1} bytes (maxHeaderBytes).`;
    for (const chunks of [[envelope], bytewise]) {
      const over = await feed(new EnvelopeReader({ kms, keyIds, maxHeaderBytes: headerEnd - 1 }), chunks);
      expect(over.error).toMatchObject({ name: 'LimitExceededException', message });
    }
  });

  it('a header that cannot fit is refused before the rest of it arrives', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]!, encryptionContext: { pad: 'x'.repeat(4000) } });
    const k = counting(kms);
    const reader = new EnvelopeReader({ kms: k, keyIds, maxHeaderBytes: 1024 });
    // The context's text head announces 4000 bytes: more than 1024 are needed, whatever follows.
    const failure = await feed(reader, [envelope.subarray(0, 200)], false);
    expect(failure.error).toMatchObject({
      name: 'LimitExceededException',
      message: 'The envelope header is larger than 1024 bytes (maxHeaderBytes).',
    });
    expect(k.calls.decrypt ?? 0).toBe(0);
    // A chunk that ends in the header, one that ends in the MAC, then the rest: read.
    const h = inspectEnvelope(envelope).headerLength;
    const ok = await feed(new EnvelopeReader({ kms, keyIds }), [
      envelope.subarray(0, 100),
      envelope.subarray(100, h - 5),
      envelope.subarray(h - 5),
    ]);
    expect([ok.error, ok.emitted]).toEqual([undefined, 10]);
  });
});

describe('the encryption context', () => {
  it('a stored context must hold every required pair with its value', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]!, encryptionContext: { a: '1', b: '2' } });
    const read = (encryptionContext: Record<string, string>) =>
      feed(new EnvelopeReader({ kms, keyIds, encryptionContext, debug: true }), [envelope]);
    expect((await read({ a: '1' })).error).toBeUndefined();
    expect((await read({ a: '1', b: '2' })).error).toBeUndefined();
    for (const required of [{ a: '2' }, { c: '1' }, { a: '1', b: '3' }, { toString: 'x' }]) {
      const { error, emitted } = await read(required);
      expect([reason(error), emitted], JSON.stringify(required)).toEqual(['a required encryption context pair is missing or different', 0]);
    }
  });

  it('a context not stored must be supplied whole: none is refused before KMS, a different one fails the header MAC', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]!, encryptionContext: { a: '1' }, storeContext: false });
    const k = counting(kms);
    const none = await feed(new EnvelopeReader({ kms: k, keyIds, debug: true }), [envelope]);
    expect(reason(none.error)).toBe('the context was not stored; supply all of it as encryptionContext');
    expect(k.calls.decrypt ?? 0).toBe(0);
    const ok = await feed(new EnvelopeReader({ kms, keyIds, encryptionContext: { a: '1' } }), [envelope]);
    expect([ok.error, ok.emitted]).toEqual([undefined, 10]);
    const reader = new EnvelopeReader({ kms, keyIds, encryptionContext: { a: '1' } });
    await reader.push(envelope, () => {});
    expect(reader.session?.encryptionContext).toEqual({ a: '1' });
    // The data key is bound to the context by KMS; a context that KMS accepts but differs is still refused.
    const wrong = await feed(new EnvelopeReader({ kms, keyIds, encryptionContext: { a: '2' }, debug: true }), [envelope]);
    expect(wrong.error).toMatchObject({ name: 'InvalidCiphertextException' });
    expect(wrong.emitted).toBe(0);
  });
});

describe('the session an authenticated header yields', () => {
  it('its lengths, context and key id', async () => {
    const { kms, keyIds, arns } = await setup();
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]!, encryptionContext: { a: '1' }, segmentSize: 8192 });
    const reader = new EnvelopeReader({ kms, keyIds });
    expect(reader.session).toBeUndefined();
    await reader.push(envelope, () => {});
    const s = reader.session!;
    expect(s.headerLength).toBe(inspectEnvelope(envelope).headerLength);
    expect(s.segmentSize).toBe(8192);
    expect(s.encryptionContext).toEqual({ a: '1' });
    expect(s.keyId).toBe(arns[0]);
    expect(s.transcript).toBeUndefined();
    expect(reader.signerKeyId).toBeUndefined();
  });
});

describe('segments', () => {
  it('segment heads of every CBOR size: u8, u16, u32, u64 lengths and the reserved and indefinite ones', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]!, segmentSize: 4096 });
    const prefix = envelope.subarray(0, inspectEnvelope(envelope).headerLength);
    const cases: [Uint8Array, string][] = [
      [Uint8Array.of(0x5a, 0, 1, 0, 0), 'segment longer than the segment size'], // u32: 65536
      [Uint8Array.of(0x5b, 0, 0, 0, 1, 0, 0, 0, 0), 'segment longer than the segment size'], // u64: 2^32
      [Uint8Array.of(0x5c), 'indefinite or reserved segment length'],
      [Uint8Array.of(0x5f), 'indefinite or reserved segment length'],
      [Uint8Array.of(0x58, 15), 'non-shortest encoding'],
      [Uint8Array.of(0x4f), 'segment too short'],
      [Uint8Array.of(0x60), 'expected a segment'],
      [Uint8Array.of(0x81), 'expected a segment'],
    ];
    for (const [head, message] of cases) {
      for (const chunks of [[concat(prefix, head)], [prefix, ...[...head].map((b) => Uint8Array.of(b))]]) {
        const { error } = await feed(new EnvelopeReader({ kms, keyIds, debug: true }), chunks, false);
        expect(reason(error), `${[...head]} in ${chunks.length} chunks`).toBe(message);
      }
    }
    // A u16 head of exactly a full segment, given byte by byte, waits for its body.
    const exact = await feed(
      new EnvelopeReader({ kms, keyIds }),
      [prefix, Uint8Array.of(0x59), Uint8Array.of(0x10), Uint8Array.of(0x10)],
      false,
    );
    expect(exact.error).toBeUndefined();
  });

  it('no empty plaintext chunk is handed out; a truncated envelope ends in an error', async () => {
    const { kms, keyIds } = await setup();
    const empty = await encryptEnvelope(new Uint8Array(0), { kms, keyId: keyIds[0]! });
    const sizes: number[] = [];
    const reader = new EnvelopeReader({ kms, keyIds });
    await reader.push(empty, (p) => sizes.push(p.length));
    await reader.end((p) => sizes.push(p.length));
    expect(sizes).toEqual([]);
    // One full segment: final, known only at the end.
    const full = await encryptEnvelope(bytes(4096), { kms, keyId: keyIds[0]!, segmentSize: 4096 });
    expect(splitItems(full, inspectEnvelope(full).headerLength).segments.length).toBe(1);
    const whole = await feed(new EnvelopeReader({ kms, keyIds }), [full]);
    expect([whole.error, whole.emitted]).toEqual([undefined, 4096]);
    const midway = await feed(new EnvelopeReader({ kms, keyIds, debug: true }), [full.subarray(0, full.length - 3)]);
    expect(reason(midway.error)).toBe('the envelope ends early');
  });

  it('a full segment as the last one is final: it reads only if it was written as final', async () => {
    const { kms, keyIds } = await setup();
    const two = await encryptEnvelope(bytes(4096 + 10), { kms, keyId: keyIds[0]!, segmentSize: 4096 });
    const items = splitItems(two, inspectEnvelope(two).headerLength);
    // Dropping the final segment leaves a full non-final one last: its tag fails as final.
    const dropped = await feed(new EnvelopeReader({ kms, keyIds, debug: true }), [concat(items.prefix, items.segments[0]!)]);
    expect(reason(dropped.error)).toBe('segment 0: authentication failed');
    expect(dropped.emitted).toBe(0);
    // Pieces of every size (the tag split across chunks) read the same.
    for (const size of [1, 7, 15, 16, 17, 100, 4111, 4112, 4113]) {
      const chunks: Uint8Array[] = [];
      for (let o = 0; o < two.length; o += size) chunks.push(two.subarray(o, o + size));
      const r = await feed(new EnvelopeReader({ kms, keyIds }), chunks);
      expect([r.error, r.emitted], `chunks of ${size}`).toEqual([undefined, 4106]);
    }
  });
});

describe('the API of the reader', () => {
  it('a chunk that is not a Uint8Array, and any push or end after a failure, are InvalidCiphertextException', async () => {
    const { kms, keyIds } = await setup();
    const reader = new EnvelopeReader({ kms, keyIds, debug: true });
    const first = await feed(reader, ['abc' as never], false);
    expect(reason(first.error)).toBe('input chunks must be Uint8Array');
    const again = await feed(reader, [new Uint8Array(1)], false);
    expect(reason(again.error)).toBe('the reader already failed');
    const ended = await feed(reader, [], true);
    expect(reason(ended.error)).toBe('the reader already failed');
  });

  it('end() before anything is an error; a reader is done only once, and data after its end is refused', async () => {
    const { kms, keyIds } = await setup();
    const nothing = await feed(new EnvelopeReader({ kms, keyIds, debug: true }), []);
    expect(reason(nothing.error)).toBe('the envelope ends early');
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]! });
    const reader = new EnvelopeReader({ kms, keyIds, debug: true });
    expect((await feed(reader, [envelope])).error).toBeUndefined();
    const after = await feed(reader, [Uint8Array.of(0x40)], false);
    expect(reason(after.error)).toBe('data after the end of the envelope');
  });
});

describe('abandon (a cancelled, aborted or destroyed stream)', () => {
  const zero = (b: Uint8Array) => b.every((x) => x === 0);

  it('abandoned while KMS answers for the header: nothing is emitted, the push fails, the new K_enc is wiped', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(5000), { kms, keyId: keyIds[0]!, segmentSize: 4096 });
    const reader = new EnvelopeReader({ kms, keyIds, debug: true });
    let emitted = 0;
    const pushing = reader.push(envelope, (p) => {
      emitted += p.length;
    });
    reader.abandon(); // the header is parsed; openSession is waiting for Decrypt
    const error = await Promise.resolve(pushing).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect({ name: (error as Error | undefined)?.name, reason: reason(error), emitted }).toEqual({
      name: 'InvalidCiphertextException',
      reason: 'the reader was abandoned',
      emitted: 0,
    });
    expect(zero(reader.session!.encKey)).toBe(true);
  });

  it('abandoned between segments: K_enc is wiped at once and every later push or end fails', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(3 * 4096), { kms, keyId: keyIds[0]!, segmentSize: 4096 });
    const reader = new EnvelopeReader({ kms, keyIds });
    await reader.push(envelope.subarray(0, 5000), () => {});
    const encKey = reader.session!.encKey;
    expect(zero(encKey)).toBe(false);
    reader.abandon();
    expect(zero(encKey)).toBe(true);
    const later = await feed(reader, [envelope.subarray(5000)]);
    expect((later.error as Error).name).toBe('InvalidCiphertextException');
    expect(later.emitted).toBe(0);
  });

  it('a reader that failed after its last segment (bytes after the end) does not end successfully', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]! });
    const reader = new EnvelopeReader({ kms, keyIds });
    const pushed = await feed(reader, [concat(envelope, Uint8Array.of(0x40))], false);
    expect((pushed.error as Error).name).toBe('InvalidCiphertextException');
    const ending = await Promise.resolve()
      .then(() => reader.end(() => {}))
      .then(
        () => 'ended',
        (e: unknown) => (e as Error).name,
      );
    expect(ending).toBe('InvalidCiphertextException');
  });
});

describe('key hygiene and error detail', () => {
  const zero = (b: Uint8Array) => b.every((x) => x === 0);

  it('K_enc is kept while segments remain and wiped when the reader ends or fails', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(5000), { kms, keyId: keyIds[0]!, segmentSize: 4096 });
    const h = inspectEnvelope(envelope).headerLength;
    const reader = new EnvelopeReader({ kms, keyIds });
    await reader.push(envelope.subarray(0, h + 10), () => {});
    const encKey = reader.session!.encKey;
    expect(zero(encKey)).toBe(false);
    await reader.push(envelope.subarray(h + 10), () => {});
    expect(zero(encKey)).toBe(false);
    await reader.end(() => {});
    expect(zero(encKey)).toBe(true);

    const failing = new EnvelopeReader({ kms, keyIds });
    const tampered = envelope.slice();
    tampered[h + 100]! ^= 1;
    await expect(failing.push(tampered, () => {})).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    expect(zero(failing.session!.encKey)).toBe(true);
  });

  it('suite 1: the MAC key is wiped as soon as the MAC is made (K_mac is the second half of its OKM)', () => {
    const keys = messageKeys(1, bytes(32, 1), bytes(32, 2), bytes(100, 3), undefined);
    const okm = new Uint8Array(keys.encKey.buffer, keys.encKey.byteOffset, 64);
    expect([zero(okm.subarray(0, 32)), zero(okm.subarray(32))]).toEqual([false, true]);
    expect(zero(keys.mac)).toBe(false);
  });

  it('without debug, a failure carries no reason', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]! });
    const h = inspectEnvelope(envelope).headerLength;
    const damaged = envelope.slice();
    damaged[h - 1]! ^= 1; // the header MAC: refused in openSession
    const mac = await feed(new EnvelopeReader({ kms, keyIds }), [damaged]);
    expect(mac.error).toMatchObject({ name: 'InvalidCiphertextException' });
    expect((mac.error as Error).cause).toBeUndefined();
    const { error } = await feed(new EnvelopeReader({ kms, keyIds }), [concat(envelope, Uint8Array.of(0x40))]);
    expect(error).toMatchObject({ name: 'InvalidCiphertextException' });
    expect((error as Error).cause).toBeUndefined();
  });
});

describe('the signature item', () => {
  it('read in any chunking, it names the signer; a damaged one is refused', async () => {
    const { kms, keyIds } = await setup();
    const signer = await signingKey(kms);
    const envelope = await encryptEnvelope(bytes(4096), { kms, keyId: keyIds[0]!, signingKeyId: signer, segmentSize: 4096 });
    for (const size of [1, 13, envelope.length]) {
      const chunks: Uint8Array[] = [];
      for (let o = 0; o < envelope.length; o += size) chunks.push(envelope.subarray(o, o + size));
      const reader = new EnvelopeReader({ kms, keyIds, signerKeyIds: [signer] });
      const r = await feed(reader, chunks);
      expect([r.error, r.emitted, reader.signerKeyId], `chunks of ${size}`).toEqual([undefined, 4096, signer]);
      expect(reader.session!.transcript).toBeDefined();
    }
    const items = splitItems(envelope, inspectEnvelope(envelope).headerLength);
    expect(items.tail[0]).toBe(0x81);
    const damaged = items.tail.slice();
    damaged[damaged.length - 1]! ^= 1;
    const bad = await feed(new EnvelopeReader({ kms, keyIds, debug: true }), [concat(items.prefix, ...items.segments, damaged)]);
    expect([bad.error === undefined, bad.emitted]).toEqual([false, 4096]);
    const extra = await feed(new EnvelopeReader({ kms, keyIds, debug: true }), [concat(envelope, Uint8Array.of(0))]);
    expect(reason(extra.error)).toBe('data after the end of the envelope');
    const cut = await feed(new EnvelopeReader({ kms, keyIds, debug: true }), [envelope.subarray(0, envelope.length - 1)]);
    expect(reason(cut.error)).toBe('the envelope ends early');
  });
});

describe('edges the survivors of the first run pointed at', () => {
  it('a damaged header MAC is refused after KMS, before any plaintext', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]! });
    const h = inspectEnvelope(envelope).headerLength;
    const damaged = envelope.slice();
    damaged[h - 1]! ^= 1; // the last byte of the MAC item
    const { error, emitted } = await feed(new EnvelopeReader({ kms, keyIds, debug: true }), [damaged]);
    expect([reason(error), emitted]).toEqual(['header MAC mismatch', 0]);
  });

  it('a chunk that carries the end of the header and segment data past the header limit reads', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(5000), { kms, keyId: keyIds[0]!, segmentSize: 4096 });
    const h = inspectEnvelope(envelope).headerLength;
    const maxHeaderBytes = Math.max(64, h - 34);
    for (const first of [1, 10, h - 1, h]) {
      const r = await feed(new EnvelopeReader({ kms, keyIds, maxHeaderBytes }), [envelope.subarray(0, first), envelope.subarray(first)]);
      expect([r.error, r.emitted], `split at ${first}`).toEqual([undefined, 5000]);
    }
    // Three chunks: the accumulator grows past its first size.
    const big = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]!, encryptionContext: { pad: 'x'.repeat(3000) } });
    const hb = inspectEnvelope(big).headerLength;
    const r = await feed(new EnvelopeReader({ kms, keyIds }), [big.subarray(0, 100), big.subarray(100, hb - 5), big.subarray(hb - 5)]);
    expect([r.error, r.emitted]).toEqual([undefined, 10]);
  });

  it('after a full segment of an unsigned envelope, a signature head is an unexpected item', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(4096), { kms, keyId: keyIds[0]!, segmentSize: 4096 });
    for (const chunks of [[concat(envelope, Uint8Array.of(0x81))], [envelope, Uint8Array.of(0x81)]]) {
      const { error, emitted } = await feed(new EnvelopeReader({ kms, keyIds, debug: true }), chunks);
      expect([reason(error), emitted]).toEqual(['unexpected item after a segment', 0]);
    }
  });

  it('a byte after the signature, in the chunk that ends it', async () => {
    const { kms, keyIds } = await setup();
    const signer = await signingKey(kms);
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]!, signingKeyId: signer });
    const n = envelope.length;
    const { error } = await feed(new EnvelopeReader({ kms, keyIds, debug: true }), [
      envelope.subarray(0, n - 10),
      concat(envelope.subarray(n - 10), Uint8Array.of(0)),
    ]);
    expect(reason(error)).toBe('data after the end of the envelope');
  });
});
