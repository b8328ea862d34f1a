/**
 * Random bytes from the runtime's CSPRNG (crypto.getRandomValues), in two kinds:
 *
 * - `randomBytes`: drawn directly into a fresh buffer, never pooled. Every secret (data keys,
 *   key material, seeds, GenerateRandom output, RSA blinding, import tokens) and the default for
 *   anything else: a future key must not sit in the heap before it is issued.
 * - `publicRandomBytes`: served from a pool refilled 4 KiB at a time, for values that are public
 *   once used (salts and nonces written into ciphertexts, message and key ids, PSS salts). Measured
 *   on Node 20 for 16-32 bytes: ~3.5 µs per direct getRandomValues call, ~0.2 µs from the pool;
 *   every Encrypt draws its salt and nonce here.
 */

const CHUNK = 65_536; // getRandomValues refuses more than 64 KiB per call
const POOL_SIZE = 4096;
const POOLED_MAX = 64;

let pool: Uint8Array<ArrayBuffer> = new Uint8Array(0);
let offset = 0;

/** Fills a buffer with random bytes (the CSPRNG's shape). */
export type RandomSource = (out: Uint8Array) => void;

/** Set only by kmsbox/testing's seeded fake (src/testing/seeded.ts): tests that need the same keys every run. */
let testSource: RandomSource | undefined;

/** Tests only: draw every random byte from `source` until called again with `undefined`. Drops the pool either way. */
export function setTestRandomSource(source: RandomSource | undefined): void {
  testSource = source;
  pool.fill(0);
  pool = new Uint8Array(0);
  offset = 0;
}

/** '0'…'9', 'a'…'f' as character codes. */
const HEX_DIGITS = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
/** Where each of the 16 bytes puts its two hex digits in xxxxxxxx-xxxx-4xxx-Nxxx-xxxxxxxxxxxx. */
const UUID_DIGITS_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
/** The UUID's 36 character codes, reused: only the digits change, the dashes stay. */
const uuidCodes: number[] = Array.from('xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx', (c) => c.charCodeAt(0));

/**
 * A version 4 UUID (key ids, request ids, audit event ids) from 16 bytes of the public pool (the
 * test source's, when one is set). One flat string: crypto.randomUUID joins 36 characters by `+`,
 * which V8 keeps as a tree of ~20 cons strings (about 480 bytes, against 64 flat) for as long as
 * the id lives, and an audit sink keeps two ids per event (BENCHMARKS.md, "The audit and sign rows").
 */
export function randomUuid(): string {
  if (offset + 16 > pool.length) {
    pool = fill(new Uint8Array(POOL_SIZE));
    offset = 0;
  }
  for (let i = 0; i < 16; i++) {
    let b = pool[offset + i]!;
    if (i === 6)
      b = (b & 0x0f) | 0x40; // version 4
    else if (i === 8) b = (b & 0x3f) | 0x80; // the RFC 9562 variant
    const at = UUID_DIGITS_AT[i]!;
    uuidCodes[at] = HEX_DIGITS[b >> 4]!;
    uuidCodes[at + 1] = HEX_DIGITS[b & 15]!;
  }
  pool.fill(0, offset, offset + 16);
  offset += 16;
  return String.fromCharCode.apply(null, uuidCodes);
}

function fill(out: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  if (testSource !== undefined) {
    testSource(out);
    return out;
  }
  for (let at = 0; at < out.length; at += CHUNK) {
    globalThis.crypto.getRandomValues(out.subarray(at, Math.min(out.length, at + CHUNK)));
  }
  return out;
}

/** `n` fresh random bytes, drawn directly (never from the pool): for secrets. */
export function randomBytes(n: number): Uint8Array {
  return fill(new Uint8Array(n));
}

/** `n` random bytes for a value that is public once used (salt, nonce, id); never for a secret. */
export function publicRandomBytes(n: number): Uint8Array {
  if (n > POOLED_MAX) return fill(new Uint8Array(n));
  if (offset + n > pool.length) {
    pool = fill(new Uint8Array(POOL_SIZE));
    offset = 0;
  }
  // A copy, so callers own (and may wipe) their bytes without touching the pool.
  const out = pool.slice(offset, offset + n);
  pool.fill(0, offset, offset + n);
  offset += n;
  return out;
}
