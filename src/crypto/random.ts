/**
 * Random bytes from the runtime's CSPRNG (crypto.getRandomValues). Small requests (salts,
 * nonces: every Encrypt takes 28 bytes) are served from a pool refilled 4 KiB at a time,
 * since each getRandomValues call costs ~2 µs on Node; bytes are handed out once, never reused.
 */
const CHUNK = 65_536;
const POOL_SIZE = 4096;
const POOLED_MAX = 64;

let pool: Uint8Array<ArrayBuffer> = new Uint8Array(0);
let offset = 0;

function fill(out: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  for (let at = 0; at < out.length; at += CHUNK) {
    globalThis.crypto.getRandomValues(out.subarray(at, Math.min(out.length, at + CHUNK)));
  }
  return out;
}

export function randomBytes(n: number): Uint8Array {
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
