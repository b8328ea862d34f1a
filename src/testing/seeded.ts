/**
 * A deterministic byte stream for kmsbox/testing's seeded mode: SHA-256 in counter mode over a
 * key derived from the seed. Same seed, same bytes, run after run. Keys made from it are for
 * tests only: anyone who knows the seed knows them.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8Encode } from '../crypto/bytes.js';
import type { RandomSource } from '../crypto/random.js';

export type Seed = string | number | Uint8Array;

function seedBytes(seed: Seed): Uint8Array {
  if (seed instanceof Uint8Array) return seed;
  return utf8Encode(String(seed));
}

export function seededSource(seed: Seed): RandomSource {
  const key = sha256(concatBytes(utf8Encode('kmsbox test seed\0'), seedBytes(seed)));
  let counter = 0;
  let block = new Uint8Array(0);
  let used = 0;
  return (out) => {
    for (let at = 0; at < out.length; ) {
      if (used === block.length) {
        const n = new Uint8Array(8);
        new DataView(n.buffer).setBigUint64(0, BigInt(counter++));
        block = sha256(concatBytes(key, n));
        used = 0;
      }
      const take = Math.min(out.length - at, block.length - used);
      out.set(block.subarray(used, used + take), at);
      used += take;
      at += take;
    }
  };
}

/** A small deterministic generator in [0, 1) for fault rates (not for keys). */
export function seededFraction(source: RandomSource): () => number {
  return () => {
    const b = new Uint8Array(4);
    source(b);
    return new DataView(b.buffer).getUint32(0) / 2 ** 32;
  };
}
