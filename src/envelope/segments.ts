/**
 * Segment encryption: AES-256-GCM under the message key, nonce = 7 zero bytes ‖ uint32be(index)
 * ‖ final flag, AAD = the header MAC, on the runtime's crypto backend (crypto/backend/: node:crypto,
 * else WebCrypto with the key imported once per message, else @noble/ciphers). `open` releases
 * nothing unless the tag verifies.
 */
import { backend, type CryptoBackend } from '../crypto/backend/index.js';
import { MAJOR, headSize, writeHead } from './cbor.js';
import { TAG_BYTES, segmentNonce } from './format.js';

export interface SegmentCipher {
  /** ciphertext ‖ tag */
  seal(index: number, final: boolean, plaintext: Uint8Array): Promise<Uint8Array>;
  /** ciphertext ‖ tag as the pieces the backend made (no copy to join them): streams enqueue these. */
  sealParts(index: number, final: boolean, plaintext: Uint8Array): Promise<Uint8Array[]>;
  /** The plaintext, or undefined when the tag does not verify. */
  open(index: number, final: boolean, sealed: Uint8Array): Promise<Uint8Array | undefined>;
  /** Seals a plaintext given in pieces (views into the caller's chunks: no copy to join them). */
  sealPieces(index: number, final: boolean, pieces: readonly Uint8Array[]): Uint8Array[] | Promise<Uint8Array[]>;
  /** Opens a ciphertext given in pieces; the plaintext pieces are returned only after the tag verified. */
  openPieces(
    index: number,
    final: boolean,
    pieces: readonly Uint8Array[],
    tag: Uint8Array,
  ): Uint8Array[] | undefined | Promise<Uint8Array[] | undefined>;
}

/** `using`: another backend than the runtime's (tests and bench/envelope.ts compare them). */
export function segmentCipher(encKey: Uint8Array, aad: Uint8Array, using: CryptoBackend = backend): SegmentCipher {
  const key = using.aesGcm(encKey);
  return {
    seal: (i, f, p) => key.seal(segmentNonce(i, f), p, aad),
    sealParts: async (i, f, p) => key.sealPieces(segmentNonce(i, f), aad, [p]),
    open: (i, f, s) => key.open(segmentNonce(i, f), s, aad),
    sealPieces: (i, f, pieces) => key.sealPieces(segmentNonce(i, f), aad, pieces),
    openPieces: (i, f, pieces, tag) => key.openPieces(segmentNonce(i, f), aad, pieces, tag),
  };
}

/** The segment item for `sealed`: a byte-string head followed by the bytes. */
export function segmentItem(sealed: Uint8Array): Uint8Array {
  const out = new Uint8Array(headSize(sealed.length) + sealed.length);
  out.set(sealed, writeHead(out, 0, MAJOR.bytes, sealed.length));
  return out;
}

/** Bytes of a full (non-final) segment item for segment size S. */
export function fullItemBytes(segmentSize: number): number {
  return headSize(segmentSize + TAG_BYTES) + segmentSize + TAG_BYTES;
}

/** Segments for a plaintext of `length` bytes: at least one (an empty message has one empty final segment). */
export function segmentCount(length: number, segmentSize: number): number {
  return Math.max(1, Math.ceil(length / segmentSize));
}
