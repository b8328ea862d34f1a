/// <reference types="node" />
/**
 * The Node backend: node:crypto (OpenSSL) for AES-GCM, HMAC, SHA-256 and the asymmetric keys
 * (node-asymmetric.ts, loaded on first use). It receives node:crypto from index.ts, which finds it at run time: an
 * `import 'node:crypto'` here would put a Node built-in into every browser bundle.
 */
import { lazily } from '../../lazy.js';
import type { AesGcmKey, CryptoBackend, HmacHash } from './types.js';

export type NodeCrypto = typeof import('node:crypto');

const TAG = 16;
const HASH_NAMES = { 'SHA-224': 'sha224', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' } as const;

/** Joins pieces into one buffer; a single piece is returned as is. */
function join(pieces: readonly Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0]!;
  let size = 0;
  for (const p of pieces) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const AES_GCM = { 16: 'aes-128-gcm', 24: 'aes-192-gcm', 32: 'aes-256-gcm' } as const;

/**
 * AES-GCM under one key. A class, so that a call (one per blob: a fresh key each time) allocates
 * one small object, where a literal of four closures and the cipher name built from the key's
 * length allocated six (issue #16).
 */
class NodeAesGcm implements AesGcmKey {
  readonly #c: NodeCrypto;
  readonly #key: Uint8Array;
  readonly #algorithm: 'aes-256-gcm';

  constructor(c: NodeCrypto, key: Uint8Array) {
    this.#c = c;
    this.#key = key;
    this.#algorithm = (AES_GCM[key.length as keyof typeof AES_GCM] ?? `aes-${key.length * 8}-gcm`) as 'aes-256-gcm';
  }

  sealPieces(nonce: Uint8Array, aad: Uint8Array, pieces: readonly Uint8Array[]): Uint8Array[] {
    const cipher = this.#c.createCipheriv(this.#algorithm, this.#key, nonce, { authTagLength: TAG });
    cipher.setAAD(aad);
    const out: Uint8Array[] = [];
    for (const p of pieces) out.push(cipher.update(p));
    const tail = cipher.final();
    if (tail.length > 0) out.push(tail);
    out.push(cipher.getAuthTag());
    return out;
  }

  openPieces(nonce: Uint8Array, aad: Uint8Array, pieces: readonly Uint8Array[], tag: Uint8Array): Uint8Array[] | undefined {
    const out: Uint8Array[] = [];
    try {
      const decipher = this.#c.createDecipheriv(this.#algorithm, this.#key, nonce, { authTagLength: TAG });
      decipher.setAAD(aad);
      decipher.setAuthTag(tag);
      for (const p of pieces) out.push(decipher.update(p));
      const tail = decipher.final();
      if (tail.length > 0) out.push(tail);
      return out;
    } catch {
      for (const p of out) p.fill(0); // unauthenticated: never released
      return undefined;
    }
  }

  async seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    return join(this.sealPieces(nonce, aad, [plaintext]));
  }

  async open(nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Promise<Uint8Array | undefined> {
    if (sealed.length < TAG) return undefined;
    const out = this.openPieces(nonce, aad, [sealed.subarray(0, sealed.length - TAG)], sealed.subarray(sealed.length - TAG));
    return out && (out.length === 1 ? new Uint8Array(out[0]!.buffer, out[0]!.byteOffset, out[0]!.length) : join(out));
  }
}

/** Block and digest sizes in bytes (FIPS 180-4), for HMAC's pads. */
const BLOCK = { 'SHA-224': 64, 'SHA-256': 64, 'SHA-384': 128, 'SHA-512': 128 } as const;
const DIGEST = { 'SHA-224': 28, 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 } as const;
/** Messages up to this size go through the one-shot path; longer ones stream through createHmac. */
const ONE_SHOT_MAX = 1024;

/**
 * HMAC (RFC 2104) as two one-shot `crypto.hash` calls: H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)). The same
 * bytes as createHmac (test/crypto/hmac.test.ts checks both against Wycheproof and each other), for
 * about 70% of its time on the short messages of the hot paths (per-call blob keys, the envelope key
 * schedule and header MAC; bench/ceilings.ts): createHmac builds an object and crosses into C++
 * four times, `crypto.hash` (Node ≥ 20.12) once per call. The pads live in one scratch buffer,
 * wiped before returning: nothing here awaits, so no two calls share it.
 */
/** K ⊕ pad over one block (K zero-extended), into `out`; no read past K's end (a slow path in V8). */
function pad(out: Uint8Array, k: Uint8Array, block: number, byte: number): void {
  for (let i = 0; i < k.length; i++) out[i] = k[i]! ^ byte;
  out.fill(byte, k.length, block);
}

type OneShotHmac = (hash: HmacHash, key: Uint8Array, message: readonly Uint8Array[], size: number) => Uint8Array;

function oneShotHmac(c: NodeCrypto): OneShotHmac | undefined {
  const hashOnce = (c as { hash?: (algorithm: string, data: Uint8Array, encoding: 'buffer') => Uint8Array }).hash;
  if (typeof hashOnce !== 'function') return undefined;
  const scratch = new Uint8Array(128 + ONE_SHOT_MAX);
  // The views `crypto.hash` reads, by length: the same few lengths recur (a view is a costly object
  // on Node, two per HMAC and eight HMACs per envelope round trip). At most one per length.
  const views: Uint8Array[] = [];
  const view = (length: number): Uint8Array => (views[length] ??= scratch.subarray(0, length));
  // `size` is the message's length, at most ONE_SHOT_MAX (the caller streams longer ones).
  return (hash, key, message, size) => {
    const name = HASH_NAMES[hash];
    const block = BLOCK[hash];
    const k = key.length > block ? hashOnce(name, key, 'buffer') : key;
    try {
      pad(scratch, k, block, 0x36);
      let at = block;
      for (const m of message) {
        scratch.set(m, at);
        at += m.length;
      }
      const inner = hashOnce(name, view(at), 'buffer');
      pad(scratch, k, block, 0x5c);
      scratch.set(inner, block);
      inner.fill(0);
      return hashOnce(name, view(block + DIGEST[hash]), 'buffer');
    } finally {
      scratch.fill(0, 0, block + Math.max(size, DIGEST[hash]));
      if (k !== key) k.fill(0);
    }
  };
}

export function nodeBackend(c: NodeCrypto): CryptoBackend {
  const fast = oneShotHmac(c);
  return {
    name: 'node',
    aesGcm: (key) => new NodeAesGcm(c, key),
    hmac(hash: HmacHash, key: Uint8Array, ...message: Uint8Array[]): Uint8Array {
      let size = 0;
      for (const m of message) size += m.length;
      if (fast !== undefined && size <= ONE_SHOT_MAX) return fast(hash, key, message, size);
      const h = c.createHmac(HASH_NAMES[hash], key);
      for (const m of message) h.update(m);
      return h.digest();
    },
    sha256: () => c.createHash('sha256'),
    asymmetric: lazily(async () => (await import('./node-asymmetric.js')).nodeAsymmetric(c)),
  };
}
