// Attacks on envelopes: every bit flip, truncation, reordering, splicing, recipient games and
// wrong contexts give typed errors and release no plaintext.
import { describe, expect, it } from 'vitest';
import { DataKeyCache, createDecryptStream, decryptEnvelope, encryptEnvelope, inspectEnvelope, type DecryptOptions } from 'kmsbox';
import { bytes, concat, counting, expectBytes, expectError, flip, pipe, setup, splitItems, typedError } from './helpers.js';
import { build } from './build.js';

const S = 4096;

/** Decrypts through both the buffer API and the stream API; both must fail with the same error name. */
async function bothFail(envelope: Uint8Array, opts: DecryptOptions, names: string[] = ['InvalidCiphertextException']): Promise<void> {
  const a = await typedError(() => decryptEnvelope(envelope, opts));
  expect(names, `buffer: ${a.name}: ${a.message}`).toContain(a.name);
  const b = await typedError(() => pipe(createDecryptStream(opts), envelope, [777]));
  expect(names, `stream: ${b.name}: ${b.message}`).toContain(b.name);
}

describe('tampering', () => {
  it('every single-bit flip of a small message fails (InvalidCiphertext; a flip in a key reference may surface as the KMS error for the key it now names)', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(40), { kms, keyId: keyIds[0]!, encryptionContext: { tenant: 't1' } });
    const info = inspectEnvelope(envelope);
    const counts: Record<string, number> = {};
    for (let bit = 0; bit < envelope.length * 8; bit++) {
      const e = await typedError(() => decryptEnvelope(flip(envelope, bit), { kms, discovery: true }));
      counts[e.name] = (counts[e.name] ?? 0) + 1;
      expect(
        ['InvalidCiphertextException', 'NotFoundException', 'UnsupportedOperationException', 'LimitExceededException'],
        `bit ${bit}: ${e.name}`,
      ).toContain(e.name);
    }
    // Only the 17 key-id bytes inside the wrapped blob can redirect KMS to another (unknown) key.
    expect(counts.NotFoundException ?? 0).toBeLessThanOrEqual(17 * 8);
    expect(counts.InvalidCiphertextException).toBeGreaterThan(envelope.length * 8 - 17 * 8 - 40);
    expect(info.recipients).toHaveLength(1);
  });

  it('sampled bit flips in every field of a 3-segment message fail, in buffer and stream', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(2 * S + 100), { kms, keyId: keyIds[0]!, segmentSize: S });
    const { headerLength } = inspectEnvelope(envelope);
    const positions = new Set<number>();
    for (let i = 0; i < headerLength; i++) positions.add(i * 8 + (i % 8));
    for (let i = headerLength; i < envelope.length; i += 97) positions.add(i * 8 + (i % 8));
    for (const bit of positions)
      await bothFail(flip(envelope, bit), { kms, discovery: true }, [
        'InvalidCiphertextException',
        'NotFoundException',
        'UnsupportedOperationException',
        'LimitExceededException',
      ]);
  });

  it('truncation anywhere: at and around every segment boundary, inside header, MAC and segments', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(3 * S), { kms, keyId: keyIds[0]!, segmentSize: S });
    const { headerLength } = inspectEnvelope(envelope);
    const { segments } = splitItems(envelope, headerLength);
    const cuts = new Set([0, 1, 10, headerLength - 34, headerLength - 1, headerLength, headerLength + 1]);
    let boundary = headerLength;
    for (const s of segments) {
      boundary += s.length;
      for (const d of [-17, -1, 0, 1]) cuts.add(boundary + d);
      cuts.add(boundary - Math.floor(s.length / 2));
    }
    cuts.delete(envelope.length);
    for (const cut of cuts) if (cut >= 0 && cut < envelope.length) await bothFail(envelope.subarray(0, cut), { kms, discovery: true });
  });

  it('reordered, duplicated and dropped segments fail, including the halves of an exact multiple and a duplicated final segment', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(3 * S), { kms, keyId: keyIds[0]!, segmentSize: S });
    const { prefix, segments } = splitItems(envelope, inspectEnvelope(envelope).headerLength);
    const [a, b, c] = segments as [Uint8Array, Uint8Array, Uint8Array];
    for (const order of [[b, a, c], [a, c, b], [a, a, c], [a, b, c, c], [a, b], [a, c], [b, c], [c]]) {
      await bothFail(concat(prefix, ...order), { kms, discovery: true });
    }
  });

  it('segments and headers spliced between two messages that share a cached data key fail; each message alone decrypts', async () => {
    const { kms, keyIds } = await setup();
    const cache = new DataKeyCache({ maxAgeMs: 60_000 });
    const one = await encryptEnvelope(bytes(2 * S, 1), { kms, keyId: keyIds[0]!, segmentSize: S, cache });
    const two = await encryptEnvelope(bytes(2 * S, 2), { kms, keyId: keyIds[0]!, segmentSize: S, cache });
    const x = splitItems(one, inspectEnvelope(one).headerLength);
    const y = splitItems(two, inspectEnvelope(two).headerLength);
    // Same header but for the message id: the cache handed both the same wrapped data key.
    expectBytes(x.prefix.subarray(40, x.prefix.length - 34), y.prefix.subarray(40, y.prefix.length - 34));
    await bothFail(concat(x.prefix, y.segments[0]!, x.segments[1]!), { kms, discovery: true });
    await bothFail(concat(y.prefix, ...x.segments), { kms, discovery: true });
    expectBytes((await decryptEnvelope(one, { kms, discovery: true })).plaintext, bytes(2 * S, 1));
    expectBytes((await decryptEnvelope(two, { kms, discovery: true })).plaintext, bytes(2 * S, 2));
  });

  it('trailing bytes, an extra segment, a signature item on an unsigned message, and an empty final segment after a full one fail', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(S), { kms, keyId: keyIds[0]!, segmentSize: S });
    await bothFail(concat(envelope, Uint8Array.of(0)), { kms, discovery: true });
    await bothFail(concat(envelope, Uint8Array.of(0x40)), { kms, discovery: true });
    await bothFail(concat(envelope, Uint8Array.of(0x81, 0x40)), { kms, discovery: true });
    await bothFail(concat(envelope, envelope), { kms, discovery: true });
    // An empty final segment after a full one is never written: the full one is final.
    const dek = bytes(32, 5);
    const messageId = bytes(32, 6);
    const { CiphertextBlob } = await kms.encrypt({ KeyId: keyIds[0]!, Plaintext: dek });
    const recipients = [{ type: 1, keyRef: null, wrapped: CiphertextBlob! }];
    const good = await build({ dek, messageId, recipients, segments: [bytes(S), bytes(1)] });
    expect((await decryptEnvelope(good, { kms, discovery: true })).plaintext.length).toBe(S + 1);
    await bothFail(await build({ dek, messageId, recipients, segments: [bytes(S), new Uint8Array(0)] }), { kms, discovery: true });
    // A non-final flag on the last segment, or a final flag before the end.
    await bothFail(await build({ dek, messageId, recipients, segments: [bytes(S), bytes(5)], finalFlags: [false, false] }), {
      kms,
      discovery: true,
    });
    await bothFail(await build({ dek, messageId, recipients, segments: [bytes(S), bytes(5)], finalFlags: [true, true] }), {
      kms,
      discovery: true,
    });
  });

  it('wrong or missing context fails before any KMS call when the context is stored', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]!, encryptionContext: { tenant: 't1', app: 'x' } });
    const counted = counting(kms);
    await bothFail(envelope, { kms: counted, discovery: true, encryptionContext: { tenant: 't2' } });
    await bothFail(envelope, { kms: counted, discovery: true, encryptionContext: { other: 'x' } });
    // NFC vs NFD look-alikes are different strings.
    const nfc = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]!, encryptionContext: { name: 'caf\u00e9' } });
    await bothFail(nfc, { kms: counted, discovery: true, encryptionContext: { name: 'cafe\u0301' } });
    expect(counted.calls.decrypt ?? 0).toBe(0);
    const ok = await decryptEnvelope(envelope, { kms, discovery: true, encryptionContext: { app: 'x' } });
    expect(ok.encryptionContext).toEqual({ tenant: 't1', app: 'x' });
  });

  it('a withheld context must be supplied in full; key order does not matter', async () => {
    const { kms, keyIds } = await setup();
    const context = { tenant: 't1', app: 'x' };
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]!, encryptionContext: context, storeContext: false });
    const info = inspectEnvelope(envelope);
    expect([info.contextStored, info.encryptionContext]).toEqual([false, {}]);
    await bothFail(envelope, { kms, discovery: true });
    await bothFail(envelope, { kms, discovery: true, encryptionContext: { tenant: 't1' } });
    await bothFail(envelope, { kms, discovery: true, encryptionContext: { ...context, extra: '1' } });
    const out = await decryptEnvelope(envelope, { kms, discovery: true, encryptionContext: { app: 'x', tenant: 't1' } });
    expect(out.encryptionContext).toEqual(context);
  });

  it('changed segment size, message id, suite and version', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]!, segmentSize: S });
    // Header starts a5 01 01 02 02 03 58 20 <32 bytes> 04 0c … (suite 2, the default)
    expect(Array.from(envelope.subarray(0, 8))).toEqual([0xa5, 0x01, 0x01, 0x02, 0x02, 0x03, 0x58, 0x20]);
    const at = 8 + 32 + 1;
    expect(envelope[at]).toBe(12);
    for (const log2 of [13, 18, 24]) {
      const changed = envelope.slice();
      changed[at] = log2;
      await bothFail(changed, { kms, discovery: true });
    }
    const id = envelope.slice();
    id[10]! ^= 0x80;
    await bothFail(id, { kms, discovery: true });
    // Another known suite: its key schedule gives another MAC (no downgrade to suite 1 by relabelling).
    const downgraded = envelope.slice();
    downgraded[4] = 1;
    await bothFail(downgraded, { kms, discovery: true });
    // A suite this reader does not know (what a reader older than suite 2 does with suite 2 envelopes).
    for (const id of [0, 3, 23]) {
      const suite = envelope.slice();
      suite[4] = id;
      await bothFail(suite, { kms, discovery: true }, ['UnsupportedOperationException']);
    }
    const version = envelope.slice();
    version[2] = 2;
    await bothFail(version, { kms, discovery: true }, ['UnsupportedOperationException']);
  });
});

describe('recipients', () => {
  it('any one of several keys decrypts; an allow-list picks which', async () => {
    const { kms, keyIds, arns } = await setup(3);
    const envelope = await encryptEnvelope(bytes(100), { kms, keyId: keyIds, encryptionContext: { a: 'b' } });
    expect(inspectEnvelope(envelope).recipients.map((r) => r.keyId)).toEqual(keyIds);
    await kms.disableKey({ KeyId: keyIds[0]! });
    const out = await decryptEnvelope(envelope, { kms, discovery: true });
    expect(out.keyId).toBe(arns[1]);
    const only3 = await decryptEnvelope(envelope, { kms, keyIds: [arns[2]!] });
    expect(only3.keyId).toBe(arns[2]);
    // The first KMS error that is not about the ciphertext is what a total failure reports.
    await kms.disableKey({ KeyId: keyIds[1]! });
    await kms.disableKey({ KeyId: keyIds[2]! });
    await expectError(() => decryptEnvelope(envelope, { kms, discovery: true }), 'DisabledException');
  });

  it('no allowed recipient: IncorrectKeyException with zero KMS calls, even for 255 recipients', async () => {
    const { kms, keyIds } = await setup(2);
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]! });
    const counted = counting(kms);
    await expectError(() => decryptEnvelope(envelope, { kms: counted, keyIds: [keyIds[1]!] }), 'IncorrectKeyException');
    const dek = bytes(32);
    const { CiphertextBlob } = await kms.encrypt({ KeyId: keyIds[0]!, Plaintext: dek });
    const many = await build({
      dek,
      messageId: bytes(32, 2),
      recipients: Array.from({ length: 255 }, () => ({ type: 1, keyRef: null, wrapped: CiphertextBlob! })),
      segments: [bytes(3)],
    });
    await expectError(() => decryptEnvelope(many, { kms: counted, keyIds: [keyIds[1]!], maxRecipients: 255 }), 'IncorrectKeyException');
    expect(counted.calls.decrypt ?? 0).toBe(0);
    expectBytes((await decryptEnvelope(many, { kms, discovery: true, maxRecipients: 255 })).plaintext, bytes(3));
  });

  it('17 recipients exceed the default policy; 256 are malformed; a type nobody knows is skipped', async () => {
    const { kms, keyIds } = await setup();
    const dek = bytes(32);
    const { CiphertextBlob } = await kms.encrypt({ KeyId: keyIds[0]!, Plaintext: dek });
    const r = { type: 1, keyRef: null, wrapped: CiphertextBlob! };
    const seventeen = await build({ dek, messageId: bytes(32), recipients: Array(17).fill(r), segments: [bytes(3)] });
    await bothFail(seventeen, { kms, discovery: true }, ['LimitExceededException']);
    const over = await build({ dek, messageId: bytes(32), recipients: Array(256).fill(r), segments: [bytes(3)] });
    await bothFail(over, { kms, discovery: true, maxRecipients: 255 });
    const unknownFirst = await build({
      dek,
      messageId: bytes(32),
      recipients: [{ type: 9, keyRef: null, wrapped: new Uint8Array(0) }, r],
      segments: [bytes(3)],
    });
    // (the builder writes the unknown entry as [9, null, h''], three scalars)
    expectBytes((await decryptEnvelope(unknownFirst, { kms, discovery: true })).plaintext, bytes(3));
    const onlyUnknown = await build({
      dek,
      messageId: bytes(32),
      recipients: [{ type: 9, keyRef: null, wrapped: new Uint8Array(0) }],
      segments: [bytes(3)],
    });
    await bothFail(onlyUnknown, { kms, discovery: true }, ['UnsupportedOperationException']);
  });

  it('swapped recipients fail the MAC', async () => {
    const { kms, keyIds } = await setup(2);
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds });
    const blobs = inspectEnvelope(envelope).recipients;
    expect(blobs).toHaveLength(2);
    // Swap the two 96-byte blobs in place (same sizes, so the structure stays valid).
    const text = Buffer.from(envelope);
    const first = text.indexOf(Buffer.from([0x83, 0x01, 0xf6, 0x58, 0x60]));
    const second = text.indexOf(Buffer.from([0x83, 0x01, 0xf6, 0x58, 0x60]), first + 1);
    const swapped = envelope.slice();
    swapped.set(envelope.subarray(second, second + 101), first);
    swapped.set(envelope.subarray(first, first + 101), second);
    await bothFail(swapped, { kms, discovery: true });
  });

  it('a malicious sender who wraps a different data key for the second recipient gets nothing past the MAC', async () => {
    const { kms, keyIds } = await setup(2);
    const dek1 = bytes(32, 1);
    const dek2 = bytes(32, 2);
    const b1 = (await kms.encrypt({ KeyId: keyIds[0]!, Plaintext: dek1 })).CiphertextBlob!;
    const b2 = (await kms.encrypt({ KeyId: keyIds[1]!, Plaintext: dek2 })).CiphertextBlob!;
    const envelope = await build({
      dek: dek1,
      messageId: bytes(32, 3),
      recipients: [
        { type: 1, keyRef: null, wrapped: b1 },
        { type: 1, keyRef: null, wrapped: b2 },
      ],
      segments: [bytes(50)],
    });
    expectBytes((await decryptEnvelope(envelope, { kms, keyIds: [keyIds[0]!] })).plaintext, bytes(50));
    await bothFail(envelope, { kms, keyIds: [keyIds[1]!] });
  });

  it('an unwrapped key of 16 or 33 bytes is rejected; a key reference that is not the blob key is IncorrectKey', async () => {
    const { kms, keyIds, arns } = await setup(2);
    for (const n of [16, 33]) {
      const { CiphertextBlob } = await kms.encrypt({ KeyId: keyIds[0]!, Plaintext: bytes(n) });
      const envelope = await build({
        dek: bytes(32),
        messageId: bytes(32),
        recipients: [{ type: 1, keyRef: null, wrapped: CiphertextBlob! }],
        segments: [bytes(3)],
      });
      await bothFail(envelope, { kms, discovery: true });
    }
    const dek = bytes(32);
    const { CiphertextBlob } = await kms.encrypt({ KeyId: keyIds[0]!, Plaintext: dek });
    const lying = await build({
      dek,
      messageId: bytes(32),
      recipients: [{ type: 1, keyRef: arns[1]!, wrapped: CiphertextBlob! }],
      segments: [bytes(3)],
    });
    await bothFail(lying, { kms, discovery: true }, ['IncorrectKeyException']);
  });
});
