/**
 * Canonical bytes of an encryption context, bound into every ciphertext as AAD. Entries are
 * sorted by the UTF-8 bytes of their keys (so every runtime agrees) and length-delimited
 * (so `{ab:'c'}` and `{a:'bc'}` differ): u32 count, then per entry u32 len, key, u32 len, value.
 */
import { utf8Encode } from '../crypto/bytes.js';

/** A fresh zero count each call: a shared buffer would let one caller's wipe corrupt every later AAD. */
const empty = (): Uint8Array => new Uint8Array(4);

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function canonicalContext(context: Readonly<Record<string, string>> | undefined): Uint8Array {
  if (context === undefined) return empty();
  const entries = Object.entries(context).map(([k, v]) => [utf8Encode(k), utf8Encode(v)] as const);
  if (entries.length === 0) return empty();
  entries.sort((x, y) => compareBytes(x[0], y[0]));
  let size = 4;
  for (const [k, v] of entries) size += 8 + k.length + v.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, entries.length);
  let at = 4;
  for (const [k, v] of entries) {
    view.setUint32(at, k.length);
    out.set(k, at + 4);
    at += 4 + k.length;
    view.setUint32(at, v.length);
    out.set(v, at + 4);
    at += 4 + v.length;
  }
  return out;
}
