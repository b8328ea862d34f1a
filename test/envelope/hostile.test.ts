// Hostile input: CBOR bombs, huge declared lengths, non-canonical forms, wrong types, and a fuzz
// run over arbitrary and mutated bytes. Only typed errors may come out, in bounded time and memory.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KMSServiceException, createDecryptStream, decryptEnvelope, encryptEnvelope, inspectEnvelope } from 'kmsbox';
import { CborMap } from '../../src/envelope/cbor.js';
import { build, rawHeader } from './build.js';
import { bytes, concat, expectBytes, expectError, pipe, setup } from './helpers.js';

const FUZZ_RUNS = Number(process.env.KMSBOX_FUZZ_RUNS ?? 300);

async function fails(
  envelope: Uint8Array,
  kms: Parameters<typeof decryptEnvelope>[1]['kms'],
  name = 'InvalidCiphertextException',
): Promise<void> {
  await expectError(() => decryptEnvelope(envelope, { kms, discovery: true }), name);
  await expectError(() => pipe(createDecryptStream({ kms, discovery: true }), envelope, [3]), name);
}

describe('hostile CBOR', () => {
  it('deep nesting, indefinite lengths, tags, floats, negative integers, non-shortest forms: InvalidCiphertext, no RangeError', async () => {
    const { kms } = await setup();
    const deepArrays = new Uint8Array(100_000).fill(0x81);
    const deepMaps = concat(...Array.from({ length: 50_000 }, () => Uint8Array.of(0xa1, 0x01)));
    const inputs = [
      deepArrays,
      deepMaps,
      Uint8Array.of(0xbf, 0x01, 0x01, 0xff), // indefinite map
      Uint8Array.of(0xd9, 0xd9, 0xf7, 0xa5, 0x01, 0x01), // tag 55799 then a header
      Uint8Array.of(0xc6, 0xa5), // tag 6
      Uint8Array.of(0xa5, 0x01, 0xf9, 0x3c, 0x00), // version as a half float 1.0
      Uint8Array.of(0xa5, 0x01, 0x20), // version -1
      Uint8Array.of(0xa5, 0x18, 0x01, 0x01), // non-shortest key 1
      Uint8Array.of(0xa5, 0x01, 0x18, 0x01), // non-shortest version
      Uint8Array.of(0xb9, 0x00, 0x05, 0x01, 0x01), // non-shortest map length
      Uint8Array.of(0xa5, 0x01, 0x01, 0x02, 0x01, 0x03, 0x7f), // indefinite text as message id
      Uint8Array.of(0xa5, 0x01, 0x01, 0x02, 0x01, 0x03, 0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), // 2^64-1 bytes
      Uint8Array.of(0xa5, 0x01, 0x01, 0x02, 0x01, 0x03, 0x5a, 0xff, 0xff, 0xff, 0xff), // 2^32-1 bytes
      Uint8Array.of(0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), // array of 2^64-1
      Uint8Array.of(0xa5, 0x01, 0x01, 0x1c), // reserved additional information
      Uint8Array.of(0xff),
      new Uint8Array(0),
    ];
    const before = process.memoryUsage().heapUsed;
    for (const input of inputs) await fails(input, kms);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('header maps: duplicate, unsorted and unknown keys; keys 6 and 7 together; wrong types and sizes', async () => {
    const { kms, keyIds } = await setup();
    const dek = bytes(32);
    const { CiphertextBlob } = await kms.encrypt({ KeyId: keyIds[0]!, Plaintext: dek });
    const recipients = [[1, null, CiphertextBlob!]];
    const id = bytes(32);
    const base: Array<[number, any]> = [
      [1, 1],
      [2, 1],
      [3, id],
      [4, 12],
      [5, recipients],
    ];
    const variants: Array<Array<[number, any]>> = [
      [...base, [9, 1]], // unknown key
      [...base, [6, new CborMap([['a', 'b']])], [7, true]],
      [
        [1, 1],
        [2, 1],
        [3, bytes(31)],
        [4, 12],
        [5, recipients],
      ],
      [
        [1, 1],
        [2, 1],
        [3, id],
        [4, 11],
        [5, recipients],
      ],
      [
        [1, 1],
        [2, 1],
        [3, id],
        [4, 25],
        [5, recipients],
      ],
      [
        [1, 1],
        [2, 1],
        [3, id],
        [4, 12],
        [5, []],
      ],
      [
        [1, 1],
        [2, 1],
        [3, id],
        [4, 12],
        [5, [[1, null]]],
      ],
      [
        [1, 1],
        [2, 1],
        [3, id],
        [4, 12],
        [5, [[1, 5, CiphertextBlob!]]],
      ],
      [
        [1, 1],
        [2, 1],
        [3, id],
        [4, 12],
        [5, [[1, '', CiphertextBlob!]]],
      ],
      [
        [1, 1],
        [2, 1],
        [3, id],
        [4, 12],
        [5, [[1, 'x'.repeat(2049), CiphertextBlob!]]],
      ],
      [
        [1, 1],
        [2, 1],
        [3, id],
        [4, 12],
        [5, [[1, null, new Uint8Array(0)]]],
      ],
      [
        [1, 1],
        [2, 1],
        [3, id],
        [4, 12],
      ],
      [...base, [6, new CborMap(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']))]],
      [...base, [6, new CborMap([['big', 'x'.repeat(8200)]])]],
      [...base, [7, 1]],
      [...base, [8, [9, 'arn']]],
    ];
    for (const entries of variants) {
      const envelope = await build({ dek, messageId: id, suite: 1, recipients: [], segments: [bytes(3)], rawHeader: rawHeader(entries) });
      await fails(envelope, kms);
    }
    // Hand-made byte-level cases the writer refuses to produce.
    const good = await build({
      dek,
      messageId: id,
      recipients: [{ type: 1, keyRef: null, wrapped: CiphertextBlob! }],
      segments: [bytes(3)],
      context: { b: '1', a: '2' },
    });
    const hex = Buffer.from(good).toString('hex');
    // The context map is a2 61 61 61 32 61 62 61 31 ({a:'2', b:'1'}): make it unsorted, duplicated and invalid UTF-8.
    const ctx = 'a2616161326162' + '6131';
    expect(hex).toContain(ctx);
    for (const bad of ['a2616261316161' + '6132', 'a2616161326161' + '6131', 'a26161613261ff' + '6131']) {
      await fails(new Uint8Array(Buffer.from(hex.replace(ctx, bad), 'hex')), kms);
    }
    // Keys out of order: swap keys 3 and 4 entries.
    const swapped = rawHeader([
      [1, 1],
      [2, 1],
      [4, 12],
      [3, id],
      [5, recipients],
    ]);
    expect(swapped[5]).toBe(0x03); // the encoder sorts; rebuild by hand
    const manual = concat(Uint8Array.of(0xa5, 0x01, 0x01, 0x02, 0x01, 0x04, 0x0c, 0x03, 0x58, 0x20), id, swapped.subarray(41 + 2));
    await fails(concat(manual, new Uint8Array(60)), kms);
  });

  it('strings are read byte for byte (a leading BOM is data), false is not a value of the format, and the version comes before the key count', async () => {
    const { kms, keyIds } = await setup();
    const dek = bytes(32);
    const id = bytes(32);
    const context = { '\uFEFFtenant': 't1' };
    const { CiphertextBlob } = await kms.encrypt({ KeyId: keyIds[0]!, Plaintext: dek, EncryptionContext: context });
    const recipient = { type: 1, keyRef: null, wrapped: CiphertextBlob! };
    const withBom = await build({ dek, messageId: id, recipients: [recipient], segments: [bytes(3)], context });
    expect(Object.keys(inspectEnvelope(withBom).encryptionContext)).toEqual(['\uFEFFtenant']);
    expect((await decryptEnvelope(withBom, { kms, discovery: true })).encryptionContext).toEqual(context);
    await expectError(
      () => decryptEnvelope(withBom, { kms, discovery: true, encryptionContext: { tenant: 't1' } }),
      'InvalidCiphertextException',
    );
    // "a" and "\uFEFFa" are two keys, both kept.
    const two = { a: 'x', '\uFEFFa': 'y' };
    const { CiphertextBlob: blob2 } = await kms.encrypt({ KeyId: keyIds[0]!, Plaintext: dek, EncryptionContext: two });
    const both = await build({ dek, messageId: id, recipients: [{ ...recipient, wrapped: blob2! }], segments: [bytes(3)], context: two });
    expect((await decryptEnvelope(both, { kms, discovery: true })).encryptionContext).toEqual(two);

    // A recipient of unknown type may hold true or null, not false (0xf4).
    const { CiphertextBlob: plainBlob } = await kms.encrypt({ KeyId: keyIds[0]!, Plaintext: dek });
    const withTrue = rawHeader([
      [1, 1],
      [2, 1],
      [3, id],
      [4, 12],
      [
        5,
        [
          [9, true],
          [1, null, plainBlob!],
        ],
      ],
    ]);
    const ok = await build({ dek, messageId: id, suite: 1, recipients: [], segments: [bytes(3)], rawHeader: withTrue });
    expectBytes((await decryptEnvelope(ok, { kms, discovery: true })).plaintext, bytes(3));
    const withFalse = withTrue.slice();
    withFalse[withFalse.indexOf(0xf5)] = 0xf4;
    await fails(await build({ dek, messageId: id, suite: 1, recipients: [], segments: [bytes(3)], rawHeader: withFalse }), kms);

    // Another version is UnsupportedOperation whatever its key count (a map of 4 or 9 keys).
    for (const head of [0xa4, 0xa9]) {
      const future = concat(Uint8Array.of(head, 0x01, 0x02), new Uint8Array(80));
      await expectError(async () => inspectEnvelope(future), 'UnsupportedOperationException');
      await fails(future, kms, 'UnsupportedOperationException');
    }
    // Version 1 with a wrong key count is still malformed.
    await expectError(
      async () => inspectEnvelope(concat(Uint8Array.of(0xa9, 0x01, 0x01), new Uint8Array(80))),
      'InvalidCiphertextException',
    );
  });

  it('a header over the limit is LimitExceeded before it is all read; a segment head over the segment size fails at once', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]!, encryptionContext: { pad: 'x'.repeat(4000) } });
    await expectError(() => decryptEnvelope(envelope, { kms, discovery: true, maxHeaderBytes: 1024 }), 'LimitExceededException');
    await expectError(
      () => pipe(createDecryptStream({ kms, discovery: true, maxHeaderBytes: 1024 }), envelope, [100]),
      'LimitExceededException',
    );
    const small = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]!, segmentSize: 4096 });
    const h = inspectEnvelope(small).headerLength;
    const oversize = concat(small.subarray(0, h), Uint8Array.of(0x59, 0x10, 0x11)); // 4113 = S + 17 declared, no body
    await fails(oversize, kms);
  });

  it('fuzz: arbitrary bytes and mutated valid envelopes give only typed errors', async () => {
    const { kms, keyIds } = await setup();
    const valid = await encryptEnvelope(bytes(5000), { kms, keyId: keyIds[0]!, segmentSize: 4096, encryptionContext: { a: 'b' } });
    const check = async (input: Uint8Array) => {
      for (const run of [
        () => decryptEnvelope(input, { kms, discovery: true }),
        () => pipe(createDecryptStream({ kms, discovery: true }), input, [251]),
      ]) {
        try {
          await run();
        } catch (e) {
          expect(e, String(e)).toBeInstanceOf(KMSServiceException);
        }
      }
      try {
        inspectEnvelope(input);
      } catch (e) {
        expect(e, String(e)).toBeInstanceOf(KMSServiceException);
      }
    };
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), check), { numRuns: FUZZ_RUNS });
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(valid.length - 1), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(valid.length - 1) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(valid.length - 1), value: fc.integer({ min: 0, max: 255 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (mutations) => {
        let m: Uint8Array = valid.slice();
        for (const x of mutations) {
          const at = Math.min(x.at, m.length - 1);
          if (x.kind === 'set') m[at] = x.value;
          else if (x.kind === 'cut') m = m.slice(0, at);
          else m = concat(m.subarray(0, at), Uint8Array.of(x.value), m.subarray(at));
          if (m.length === 0) break;
        }
        await check(m);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
