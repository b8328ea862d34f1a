// Attack on decryptRange: a segment index past the format's 2^32 limit. The nonce carries the index
// as a uint32, so segment 2^32 has segment 0's nonce: a reader that goes on past index 2^32 − 1
// accepts a copy of segment 0 there (a reordering the nonce exists to stop). The stream reader
// stops at 2^32 segments; a range read must too. The envelope is sparse (a hostile server answers
// range requests for a 16 TiB file it does not have), so no test writes 16 TiB.
import { describe, expect, it } from 'vitest';
import { decryptRange } from 'kmsbox';
import { encode } from '../../src/envelope/cbor.js';
import { encodeHeader } from '../../src/envelope/header.js';
import { messageKeys } from '../../src/envelope/key-schedule.js';
import { fullItemBytes, segmentCipher, segmentItem } from '../../src/envelope/segments.js';
import { bytes, concat, expectError, setup } from './helpers.js';

const S = 4096;
const LAST = 2 ** 32 - 1; // the highest index the format allows

describe('decryptRange and the 2^32 segment limit', () => {
  it('a segment at index 2^32 (segment 0 copied there: same nonce) is InvalidCiphertext, with and without size', async () => {
    const { kms, keyIds } = await setup();
    const dek = bytes(32, 7);
    const messageId = bytes(32, 8);
    const { CiphertextBlob } = await kms.encrypt({ KeyId: keyIds[0]!, Plaintext: dek });
    const header = encodeHeader({
      suite: 1,
      messageId,
      segmentSizeLog2: 12,
      recipients: [{ type: 1, keyRef: null, wrapped: CiphertextBlob! }],
      contextNotStored: false,
    });
    const { encKey, mac } = messageKeys(1, dek, messageId, header, undefined);
    const cipher = segmentCipher(encKey, mac);
    const prefix = concat(header, encode(mac));
    const H = prefix.length;
    const F = fullItemBytes(S);
    // Segment 2^32 − 1 (full, not final), then at index 2^32 segment 0 of a one-segment message (final).
    const atLast = segmentItem(await cipher.seal(LAST, false, bytes(S, 3)));
    const zero = segmentItem(await cipher.seal(0, true, new TextEncoder().encode('segment zero')));
    const parts: Array<[number, Uint8Array]> = [
      [0, prefix],
      [H + LAST * F, atLast],
      [H + (LAST + 1) * F, zero],
    ];
    const size = H + (LAST + 1) * F + zero.length;
    const read = async (offset: number, length: number): Promise<Uint8Array> => {
      const end = Math.min(offset + length, size);
      const out = new Uint8Array(Math.max(0, end - offset));
      for (const [at, part] of parts) {
        const from = Math.max(offset, at);
        const to = Math.min(end, at + part.length);
        if (from < to) out.set(part.subarray(from - at, to - at), from - offset);
      }
      return out;
    };
    const start = LAST * S;
    // The segment at the last allowed index reads fine on its own…
    const ok = await decryptRange(read, { kms, keyIds }, { start, end: start + 10, size });
    expect(ok.plaintext).toEqual(bytes(S, 3).subarray(0, 10));
    // …but nothing may come from index 2^32.
    for (const withSize of [true, false]) {
      await expectError(
        () => decryptRange(read, { kms, keyIds }, { start, end: start + S + 12, ...(withSize ? { size } : {}) }),
        'InvalidCiphertextException',
      );
    }
  });
});
