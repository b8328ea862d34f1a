// The 17-byte key id of a blob header (src/keys/arn.ts): decodeKeyId is encodeKeyId's inverse, and
// gives the key id as its text form (UUID, or mrk- and 32 hex digits) for every byte value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeKeyId, encodeKeyId } from '../../src/keys/arn.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('key id bytes', () => {
  it('decode gives the text form of any 16 bytes, and encode gives the bytes back', () => {
    fc.assert(
      fc.property(fc.constantFrom(0, 1), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat(8), (form, id, offset) => {
        const bytes = new Uint8Array(offset + 17 + 3).fill(0xee);
        bytes[offset] = form;
        bytes.set(id, offset + 1);
        const h = hex(id);
        const expected =
          form === 1 ? `mrk-${h}` : `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
        const text = decodeKeyId(bytes, offset);
        expect(text).toBe(expected);
        const again = new Uint8Array(17);
        encodeKeyId(text!, again, 0);
        expect(hex(again)).toBe(hex(bytes.subarray(offset, offset + 17)));
      }),
      { numRuns: 500 },
    );
  });

  it('an unknown form byte, or fewer than 17 bytes from the offset, is no key id', () => {
    for (const form of [2, 0x7f, 0xff]) expect(decodeKeyId(Uint8Array.of(form, ...new Uint8Array(16)), 0)).toBeUndefined();
    for (const form of [0, 1]) {
      expect(decodeKeyId(Uint8Array.of(form, ...new Uint8Array(15)), 0)).toBeUndefined();
      expect(decodeKeyId(Uint8Array.of(9, form, ...new Uint8Array(15)), 1)).toBeUndefined();
      expect(decodeKeyId(Uint8Array.of(9, form, ...new Uint8Array(16)), 1)).toBeDefined();
    }
  });
});
