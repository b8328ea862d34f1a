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
import { hex16 } from './bytes.js';

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

/**
 * A version 4 UUID (key ids, request ids, audit event ids) from the pool (the test source's, when one is set): one
 * flat string read straight from the pool's bytes (crypto/bytes.ts `hex16`), where
 * crypto.randomUUID joins ~20 pieces (~590 bytes of heap against ~56; two per Kms call; issue #16).
 */
export function randomUuid(): string {
  const at = take(16);
  pool[at + 6] = (pool[at + 6]! & 0x0f) | 0x40;
  pool[at + 8] = (pool[at + 8]! & 0x3f) | 0x80;
  const id = hex16(pool, at, true);
  pool.fill(0, at, at + 16);
  return id;
}

/** Where the next `n` pooled bytes start (refilling the pool when it has fewer left); the caller wipes them once read. */
function take(n: number): number {
  if (offset + n > pool.length) {
    pool = fill(new Uint8Array(POOL_SIZE));
    offset = 0;
  }
  offset += n;
  return offset - n;
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
  const at = take(n);
  // A copy, so callers own (and may wipe) their bytes without touching the pool.
  const out = pool.slice(at, at + n);
  pool.fill(0, at, at + n);
  return out;
}
