/**
 * Byte helpers shared by the formats and the crypto layer. Where @noble (already a dependency)
 * does the same job, its helper is used: `concatBytes` and `bytesToHex` (@noble/hashes/utils;
 * `toHex` here). Kept here, because noble's differ: `equalBytes` is @noble/ciphers/utils' loop
 * without that module (a page that imports it statically carries every helper @noble/ciphers' AES
 * needs, which is loaded on first use: crypto/noble-aes.ts); `utf8Decode` / `utf8DecodeExact` refuse invalid UTF-8 (noble's `bytesToUtf8` replaces it
 * with U+FFFD, and a format must not read two byte strings as one string); `utf8Encode` reuses one
 * TextEncoder (noble's `utf8ToBytes` makes one and a copy per call, on hot paths here); and noble
 * has nothing like `utf8EncodeInto` (UTF-8 written in place), `joinAndWipe` (one copy of a secret),
 * `hex16` (an id's text as one flat string).
 */
import { bytesToHex, concatBytes } from '@noble/hashes/utils.js';

export { bytesToHex as toHex, concatBytes };

/** The two lowercase hex digits of every byte value, as character codes: 2·v and 2·v + 1. */
const HEX_CODES = Uint8Array.from({ length: 512 }, (_, i) =>
  (i >> 1)
    .toString(16)
    .padStart(2, '0')
    .charCodeAt(i & 1),
);
const DASHED: number[] = new Array(36).fill(0);
const PLAIN: number[] = new Array(32).fill(0);

/**
 * The 16 bytes at `offset` as 32 lowercase hex digits, in the 8-4-4-4-12 groups of a UUID when
 * `dashed`. One flat string from one `String.fromCharCode` (~56 bytes of heap), where joining
 * hex pairs makes ~20 intermediate strings (~560 bytes): key ids and request ids are made or read
 * on every call (issue #16: the collector's share of an envelope round trip). The scratch arrays
 * are filled and read synchronously.
 */
export function hex16(bytes: Uint8Array, offset: number, dashed: boolean): string {
  const out = dashed ? DASHED : PLAIN;
  let j = 0;
  for (let i = 0; i < 16; i++) {
    if (dashed && (i === 4 || i === 6 || i === 8 || i === 10)) out[j++] = 0x2d;
    const v = bytes[offset + i]! << 1;
    out[j++] = HEX_CODES[v]!;
    out[j++] = HEX_CODES[v + 1]!;
  }
  return String.fromCharCode.apply(null, out);
}

/** Whether `a` and `b` hold the same bytes, in time that depends on their length only (for tags and MACs). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const encoder = new TextEncoder();
// fatal: invalid UTF-8 is an error, never silently replaced.
const decoder = new TextDecoder('utf-8', { fatal: true });

export function utf8Encode(s: string): Uint8Array {
  return encoder.encode(s);
}

export function utf8Decode(b: Uint8Array): string {
  return decoder.decode(b);
}

/**
 * Writes the UTF-8 of `s` at `out[at]` (room must be there); returns the bytes written. ASCII,
 * which encryption contexts and ARNs nearly always are, is copied unit by unit: for strings this
 * short TextEncoder's per-call cost is most of the work.
 */
export function utf8EncodeInto(s: string, out: Uint8Array, at: number): number {
  let i = 0;
  for (; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    if (unit >= 0x80) break;
    out[at + i] = unit;
  }
  return i === s.length ? i : i + encoder.encodeInto(i === 0 ? s : s.slice(i), out.subarray(at + i)).written;
}

// ignoreBOM: a leading U+FEFF is data, kept, not stripped: a format's strings read the same in every reader.
const exactDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The string UTF-8 bytes encode, every byte of it (a leading byte-order mark included); invalid
 * UTF-8 throws. Short ASCII strings skip TextDecoder's per-call cost.
 */
export function utf8DecodeExact(b: Uint8Array): string {
  if (b.length > 64) return exactDecoder.decode(b);
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const byte = b[i]!;
    if (byte >= 0x80) return exactDecoder.decode(b);
    s += String.fromCharCode(byte);
  }
  return s;
}

/** Joins plaintext pieces into one buffer and zeroes the pieces (one copy of a secret, not two). */
export function joinAndWipe(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = concatBytes(...parts);
  for (const p of parts) p.fill(0);
  return out;
}

const SLAB_BYTES = 8192;
const SLAB_MAX = 512;
let slab = new Uint8Array(0);
let slabAt = 0;

/**
 * `n` zeroed bytes for a short public value (an AAD: blob header and encryption context), carved
 * from a shared 8 KiB slab, as Node's Buffer pool does. V8 gives every typed array over 64 bytes
 * its own off-heap backing store, whose allocation and collection cost more than the AES-GCM of a
 * small message (bench/ceilings.ts); a view into the slab costs a small object. Each region is
 * handed out once and never rewritten by kmsbox, so a holder's bytes stay as written. Never for
 * secrets: the slab's buffer is shared. Larger sizes get a buffer of their own.
 */
export function publicBytes(n: number): Uint8Array {
  if (n > SLAB_MAX) return new Uint8Array(n);
  if (slabAt + n > slab.length) {
    slab = new Uint8Array(SLAB_BYTES);
    slabAt = 0;
  }
  const out = slab.subarray(slabAt, slabAt + n);
  slabAt += n;
  return out;
}
