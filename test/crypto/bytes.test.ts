import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, equalBytes, toHex, utf8Decode, utf8Encode } from '../../src/crypto/bytes.js';
import { randomBytes } from '../../src/crypto/random.js';

describe('byte helpers', () => {
  it('equalBytes is equality', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (a, b) => {
        expect(equalBytes(a, b)).toBe(Buffer.from(a).equals(Buffer.from(b)));
        expect(equalBytes(a, Uint8Array.from(a))).toBe(true);
      }),
    );
  });
  it('concatBytes and toHex', () => {
    expect(toHex(concatBytes(new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([255])))).toBe('0102ff');
  });
  it('utf8 round-trips and refuses invalid UTF-8', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => utf8Decode(utf8Encode(s)) === s));
    expect(() => utf8Decode(new Uint8Array([0xc3, 0x28]))).toThrow();
  });
});

describe('randomBytes', () => {
  it('gives the requested length, pooled or not, and never the same bytes twice', () => {
    const seen = new Set<string>();
    for (const n of [0, 1, 16, 28, 64, 65, 4096, 70_000]) {
      const b = randomBytes(n);
      expect(b.length).toBe(n);
      if (n >= 16) {
        expect(seen.has(toHex(b))).toBe(false);
        seen.add(toHex(b));
      }
    }
    // Drain the pool several times over: still fresh, independent buffers.
    const many = Array.from({ length: 500 }, () => randomBytes(28));
    expect(new Set(many.map(toHex)).size).toBe(500);
    many[0]!.fill(0);
    expect(toHex(many[1]!)).not.toBe('00'.repeat(28));
  });
});
