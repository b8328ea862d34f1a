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
/**
 * A 12-byte nonce as node:crypto gets it: copied into one off-heap scratch array. V8 keeps a new
 * array this small on its heap and must move it off the heap when node:crypto reads it, ~0.35 µs
 * a cipher (issue #16; an envelope's segment nonces are new arrays). createCipheriv copies the IV
 * before it returns, and nothing awaits in between, so no two calls share the scratch.
 */
const IV = new Uint8Array(new ArrayBuffer(12));
const ivOf = (nonce: Uint8Array): Uint8Array => {
  if (nonce.length !== 12) return nonce;
  IV.set(nonce);
  return IV;
};

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
    const cipher = this.#c.createCipheriv(this.#algorithm, this.#key, ivOf(nonce), { authTagLength: TAG });
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
      const decipher = this.#c.createDecipheriv(this.#algorithm, this.#key, ivOf(nonce), { authTagLength: TAG });
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

export function nodeBackend(c: NodeCrypto): CryptoBackend {
  return {
    name: 'node',
    aesGcm: (key) => new NodeAesGcm(c, key),
    // createHmac, not HMAC as two one-shot `crypto.hash` calls (issue #16 tried that): on Node
    // 20.20 the two hashes cost ~2.9 µs against createHmac's ~2.1 µs for the short messages of the
    // hot paths (BENCHMARKS.md, "HMAC: createHmac again").
    hmac(hash: HmacHash, key: Uint8Array, ...message: Uint8Array[]): Uint8Array {
      const h = c.createHmac(HASH_NAMES[hash], key);
      for (const m of message) h.update(m);
      return h.digest();
    },
    sha256: () => c.createHash('sha256'),
    asymmetric: lazily(async () => (await import('./node-asymmetric.js')).nodeAsymmetric(c)),
  };
}
