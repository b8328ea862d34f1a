/**
 * Canonical bytes of an encryption context, bound into every ciphertext as AAD. Entries are
 * sorted by the UTF-8 bytes of their keys (so every runtime agrees) and length-delimited
 * (so `{ab:'c'}` and `{a:'bc'}` differ): u32 count, then per entry u32 len, key, u32 len, value.
 * All big-endian. Encoded in one pass into one buffer: this runs twice per Encrypt/Decrypt.
 */

import { publicBytes, utf8EncodeInto } from '../crypto/bytes.js';

/**
 * Orders strings as their UTF-8 bytes order (= code point order) without encoding them. UTF-16
 * code units order the same way except that surrogates (D800–DFFF, astral code points) must
 * sort after E000–FFFF: lift them above it at the first difference.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return lift(x) - lift(y);
  }
  return a.length - b.length;
}

function lift(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  // Stryker disable next-line ConditionalExpression: lowering every non-surrogate by 0x800 (not only E000–FFFF) keeps the same order
  return unit >= 0xe000 ? unit - 0x800 : unit;
}

const NO_KEYS: readonly string[] = [];

/**
 * The context's keys in UTF-8 byte order. Insertion sort: a context has at most 64 keys, usually a
 * handful, and `Array.prototype.sort` allocates a work array per call (the largest allocation of an
 * Encrypt or Decrypt with a context; this runs on every one). Keys are unique, so the order is total.
 */
function sortedKeys(context: Readonly<Record<string, string>>): string[] {
  const keys = Object.keys(context);
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    while (j >= 0 && compareUtf8(k, keys[j]!) < 0) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

/**
 * The canonical context bytes, written after `prefix` (the blob header, so the AAD is built
 * without a second copy). Fresh bytes every call (a region of the public slab when short): callers may wipe what they get.
 */
export function canonicalContext(context: Readonly<Record<string, string>> | undefined, prefix?: Uint8Array): Uint8Array {
  const keys = context === undefined ? NO_KEYS : sortedKeys(context);
  const start = prefix?.length ?? 0;
  // The exact size, so the buffer is allocated once and never trimmed (a copy of the whole AAD);
  // from the public slab (crypto/bytes.ts): the AAD is the public header and context.
  let size = start + 4;
  for (const k of keys) size += 8 + utf8Length(k) + utf8Length(context![k]!);
  const out = publicBytes(size);
  if (prefix !== undefined) out.set(prefix, 0);
  let at = writeU32(out, start, keys.length);
  for (const k of keys) {
    at = writeString(out, at, k);
    at = writeString(out, at, context![k]!);
  }
  return out;
}

/**
 * The length of TextEncoder's UTF-8 of `s`: a lone surrogate becomes U+FFFD (3 bytes), a pair 4
 * bytes, which is what `utf8EncodeInto` writes.
 */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) n += 1;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        n += 2; // a pair: two units, four bytes
        i++;
      } else n += 2;
    } else n += 2;
  }
  return n;
}

/** u32 length ‖ UTF-8 of `s` at `at`; returns the end. */
function writeString(out: Uint8Array, at: number, s: string): number {
  const written = utf8EncodeInto(s, out, at + 4);
  writeU32(out, at, written);
  return at + 4 + written;
}

function writeU32(out: Uint8Array, at: number, n: number): number {
  out[at] = n >>> 24;
  out[at + 1] = (n >>> 16) & 0xff;
  out[at + 2] = (n >>> 8) & 0xff;
  out[at + 3] = n & 0xff;
  return at + 4;
}
