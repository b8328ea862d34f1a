// The wire protocol's base64 (src/protocol/base64.ts): standard alphabet, padded, canonical. The AWS
// SDKs and the AWS CLI send exactly that (RFC 4648 §4 with padding), so nothing else is accepted:
// every byte string has one text, and every accepted text is the encoding of what it decodes to.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Buffer } from 'node:buffer';
import * as wire from '../../src/protocol/base64.js';
import { type Base64Codec, nativeBase64, portableBase64 } from '../../src/protocol/base64.js';
import { REFUSED_BASE64 } from './base64-cases.js';

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

// Both implementations (node:buffer's made strict, @scure/base's), and the one this runtime uses.
const codecs: Array<[string, Base64Codec]> = [
  ['node:buffer, strict by re-encoding', nativeBase64(Buffer)!],
  ['@scure/base', portableBase64],
  ['the one chosen for this runtime', { toBase64: wire.toBase64, fromBase64: wire.fromBase64 }],
];

describe.each(codecs)('base64 (wire blobs): %s', (_name, { fromBase64, toBase64 }) => {
  it('encodes RFC 4648 §10 test vectors and decodes them back', () => {
    const vectors: Array<[string, string]> = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, encoded] of vectors) {
      expect(toBase64(new TextEncoder().encode(plain))).toBe(encoded);
      expect(fromBase64(encoded)).toEqual(new TextEncoder().encode(plain));
    }
    expect(toBase64(bytes(0xfb, 0xff))).toBe('+/8=');
    expect(fromBase64('+/8=')).toEqual(bytes(0xfb, 0xff));
  });

  it('refuses non-canonical and foreign forms', () => {
    const refused = REFUSED_BASE64;
    for (const text of refused) expect(fromBase64(text), JSON.stringify(text)).toBeUndefined();
    expect(fromBase64('QQ==')).toEqual(bytes(0x41));
    expect(fromBase64('QUI=')).toEqual(bytes(0x41, 0x42));
  });

  it('decode(encode(x)) = x', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (x) => {
        expect(fromBase64(toBase64(x))).toEqual(x);
      }),
      { numRuns: 500 },
    );
  });

  it('every text that decodes re-encodes to itself (canonical), whatever the text', () => {
    // Texts near valid ones: encodings with one character changed, removed or added, and short
    // strings over the alphabet, padding and the characters lenient decoders skip or translate.
    const nearValid = fc
      .tuple(
        fc.uint8Array({ maxLength: 12 }),
        fc.nat(),
        fc.constantFrom(...ALPHABET, '=', ' ', '\n', '-', '_', ''),
        fc.constantFrom('replace', 'insert', 'delete'),
      )
      .map(([x, at, ch, how]) => {
        const text = toBase64(x);
        const i = text.length === 0 ? 0 : at % text.length;
        if (how === 'replace') return text.slice(0, i) + ch + text.slice(i + 1);
        if (how === 'insert') return text.slice(0, i) + ch + text.slice(i);
        return text.slice(0, i) + text.slice(i + 1);
      });
    const short = fc.string({ unit: fc.constantFrom('A', 'Q', 'R', 'g', 'h', '8', '/', '+', '=', '-', '_', ' '), maxLength: 8 });
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(nearValid, short), (text) => {
        const decoded = fromBase64(text);
        if (decoded !== undefined) {
          accepted++;
          expect(toBase64(decoded)).toBe(text);
        }
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(100); // the property was exercised, not vacuous
  });
});

describe('base64 implementations', () => {
  it('Node gets the native codec, which answers exactly as @scure/base on any text', () => {
    expect(wire.toBase64(new Uint8Array([1, 2, 3]))).toBe('AQID');
    const native = nativeBase64(Buffer)!;
    const anyText = fc.string({ unit: fc.constantFrom(...ALPHABET, '=', ' ', '-', '_', 'é'), maxLength: 12 });
    fc.assert(
      fc.property(anyText, (text) => {
        expect(native.fromBase64(text)).toEqual(portableBase64.fromBase64(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('a decoded blob is an array of its own, not a view into a shared pool', () => {
    const decoded = wire.fromBase64('AQID')!;
    expect(decoded.constructor).toBe(Uint8Array);
    expect(decoded.byteOffset).toBe(0);
    expect(decoded.buffer.byteLength).toBe(3);
  });

  it('outside Node (no node:buffer) there is no native codec', () => {
    expect(nativeBase64(undefined)).toBeUndefined();
  });
});
