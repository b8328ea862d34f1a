// The encryption-context AAD (src/blob/encryption-context.ts) at its edges: the ordering agrees
// with UTF-8 byte order at every boundary of UTF-16 (U+D7FF, surrogates, U+E000, U+FFFF, astral),
// and the blob header given as prefix stands first in the AAD, byte for byte.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { canonicalContext, compareUtf8 } from '../../src/blob/encryption-context.js';

const EDGES = [
  '\u0000',
  'a',
  '\u007f',
  '\u0080',
  '\u07ff',
  '\u0800',
  '\ud7ff',
  '\ue000',
  '\ue001',
  '\ue7ff',
  '\ue800',
  '\uf8ff',
  '\uffff',
  '\u{10000}',
  '\u{103ff}',
  '\u{10400}',
  '\u{1f600}',
  '\u{10ffff}',
];
const utf8Order = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

describe('compareUtf8', () => {
  test('every pair of boundary characters orders as their UTF-8 bytes', () => {
    for (const a of EDGES) for (const b of EDGES) expect([a, b, Math.sign(compareUtf8(a, b))]).toEqual([a, b, utf8Order(a, b)]);
  });

  test('strings over the boundary characters order as their UTF-8 bytes (property)', () => {
    const str = fc.array(fc.constantFrom(...EDGES), { maxLength: 4 }).map((cs) => cs.join(''));
    fc.assert(fc.property(str, str, (a, b) => Math.sign(compareUtf8(a, b)) === utf8Order(a, b)));
  });
});

describe('canonicalContext', () => {
  test('the prefix (the 48 header bytes of a blob) comes first, then the context, nothing lost', () => {
    const prefix = Uint8Array.from({ length: 48 }, (_, i) => i + 1);
    const alone = canonicalContext({ k: 'v', '\u{1f600}': '\ue000' });
    const withPrefix = canonicalContext({ k: 'v', '\u{1f600}': '\ue000' }, prefix);
    expect(withPrefix.length).toBe(48 + alone.length);
    expect([...withPrefix.subarray(0, 48)]).toEqual([...prefix]);
    expect([...withPrefix.subarray(48)]).toEqual([...alone]);
    expect([...canonicalContext(undefined, prefix)]).toEqual([...prefix, 0, 0, 0, 0]);
  });

  test('lengths and the count are u32 big-endian, for lengths above 255 and 65535', () => {
    const value = 'x'.repeat(70_000);
    const out = canonicalContext({ k: value });
    expect([...out.subarray(0, 13)]).toEqual([0, 0, 0, 1, 0, 0, 0, 1, 0x6b, 0, 1, 0x11, 0x70]);
    expect(out.length).toBe(4 + 4 + 1 + 4 + 70_000);
  });
});
