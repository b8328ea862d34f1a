// The encryption context in the header (and in the MAC when withheld) is a deterministic CBOR map:
// keys by their encoded bytes (shorter UTF-8 first, then bytewise). header.ts sorts the keys by
// hand (issue #16: no work array per envelope); the oracle is the generic encoder in cbor.ts, which
// sorts the encoded keys themselves.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CborMap, encode } from '../../src/envelope/cbor.js';
import { encodeContext } from '../../src/envelope/header.js';

const RUNS = Number(process.env.KMSBOX_FUZZ_RUNS ?? 300);
// Keys that tie on UTF-8 length but not on UTF-16 order (U+FF61 vs U+10000) are the case a sort by code units gets wrong.
const unit = fc.constantFrom('a', 'b', 'é', '\u0800', '\uff61', '\u{10000}', '\u{1f600}', 'z', '\u007f', '\u0080');
const key = fc.array(unit, { minLength: 1, maxLength: 4 }).map((u) => u.join(''));

describe('encodeContext', () => {
  it('writes the keys in deterministic CBOR order, for any context', () => {
    fc.assert(
      fc.property(fc.dictionary(key, fc.string({ maxLength: 3 }), { minKeys: 0, maxKeys: 64 }), (context) => {
        const oracle = encode(new CborMap(Object.entries(context)));
        expect(encodeContext(context)).toEqual(oracle);
      }),
      { numRuns: RUNS },
    );
  });
});
