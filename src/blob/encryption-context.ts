/**
 * Canonical bytes of an encryption context, bound into every ciphertext as AAD. Entries are
 * sorted by the UTF-8 bytes of their keys (so every runtime agrees) and length-delimited
 * (so `{ab:'c'}` and `{a:'bc'}` differ): u32 count, then per entry u32 len, key, u32 len, value.
 * All big-endian. Encoded in one pass into one buffer: this runs twice per Encrypt/Decrypt.
 */

import { utf8EncodeInto } from '../crypto/bytes.js';

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

/**
 * The canonical context bytes, written after `prefix` (the blob header, so the AAD is built
 * without a second copy). A fresh buffer every call: callers may wipe what they get.
 */
export function canonicalContext(context: Readonly<Record<string, string>> | undefined, prefix?: Uint8Array): Uint8Array {
  const keys = context === undefined ? [] : Object.keys(context);
  // Stryker disable next-line ConditionalExpression,EqualityOperator: sorting 0 or 1 keys is a no-op; the guard only skips the call
  if (keys.length > 1) keys.sort(compareUtf8);
  const start = prefix?.length ?? 0;
  let max = start + 4;
  for (const k of keys) max += 8 + 3 * (k.length + context![k]!.length); // UTF-8 is at most 3 bytes per UTF-16 unit
  const out = new Uint8Array(max);
  if (prefix !== undefined) out.set(prefix, 0);
  let at = writeU32(out, start, keys.length);
  for (const k of keys) {
    at = writeString(out, at, k);
    at = writeString(out, at, context![k]!);
  }
  // Stryker disable next-line ConditionalExpression: slicing the whole buffer gives the same bytes; the branch only saves a copy
  return at === max ? out : out.slice(0, at);
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
