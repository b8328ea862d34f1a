/** Random bytes from the runtime's CSPRNG (crypto.getRandomValues, in 64 KiB chunks as the spec limits). */
const CHUNK = 65_536;

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += CHUNK) globalThis.crypto.getRandomValues(out.subarray(at, Math.min(n, at + CHUNK)));
  return out;
}
