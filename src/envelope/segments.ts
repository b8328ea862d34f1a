/**
 * Segment encryption: AES-256-GCM under the message key, nonce = 7 zero bytes ‖ uint32be(index)
 * ‖ final flag, AAD = the header MAC. node:crypto where present, else WebCrypto (the key imported
 * once per message), else @noble/ciphers. `open` releases nothing unless the tag verifies.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { nodeAesGcm } from '../crypto/aes-gcm.js';
import { concatBytes } from '../crypto/bytes.js';
import { nodeCrypto, subtle } from '../crypto/runtime.js';
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

function join(pieces: readonly Uint8Array[], extra?: Uint8Array): Uint8Array {
  if (pieces.length === 1 && extra === undefined) return pieces[0]!;
  return concatBytes(...pieces, ...(extra ? [extra] : []));
}

/** Piece-wise operations for backends that take one buffer: join, then seal or open. */
function joined(seal: SegmentCipher['seal'], open: SegmentCipher['open']): Pick<SegmentCipher, 'sealPieces' | 'openPieces'> {
  return {
    sealPieces: async (i, f, pieces) => [await seal(i, f, join(pieces))],
    openPieces: async (i, f, pieces, tag) => {
      const p = await open(i, f, join(pieces, tag));
      return p && [p];
    },
  };
}

export type SegmentBackend = 'node' | 'webcrypto' | 'noble';

export function segmentCipher(encKey: Uint8Array, aad: Uint8Array, backend: SegmentBackend = defaultBackend()): SegmentCipher {
  if (backend === 'node' && nodeAesGcm && nodeCrypto) {
    const n = nodeAesGcm;
    const c = nodeCrypto;
    return {
      seal: (i, f, p) => n.seal(encKey, segmentNonce(i, f), p, aad),
      async sealParts(i, f, p) {
        const cipher = c.createCipheriv('aes-256-gcm', encKey, segmentNonce(i, f), { authTagLength: TAG_BYTES });
        cipher.setAAD(aad);
        const body = cipher.update(p);
        const tail = cipher.final();
        return tail.length === 0 ? [body, cipher.getAuthTag()] : [body, tail, cipher.getAuthTag()];
      },
      open: (i, f, s) => n.open(encKey, segmentNonce(i, f), s, aad),
      // Synchronous on node:crypto: a stream then pays no promise hop per segment.
      sealPieces(i, f, pieces) {
        const cipher = c.createCipheriv('aes-256-gcm', encKey, segmentNonce(i, f), { authTagLength: TAG_BYTES });
        cipher.setAAD(aad);
        const out = pieces.map((p) => cipher.update(p));
        const tail = cipher.final();
        if (tail.length > 0) out.push(tail);
        out.push(cipher.getAuthTag());
        return out;
      },
      openPieces(i, f, pieces, tag) {
        const out: Uint8Array[] = [];
        try {
          const decipher = c.createDecipheriv('aes-256-gcm', encKey, segmentNonce(i, f), { authTagLength: TAG_BYTES });
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
      },
    };
  }
  if (backend === 'webcrypto' && subtle) {
    const s = subtle;
    let key: Promise<CryptoKey> | undefined;
    const k = () => (key ??= s.importKey('raw', encKey as BufferSource, 'AES-GCM', false, ['encrypt', 'decrypt']));
    const params = (i: number, f: boolean): AesGcmParams => ({
      name: 'AES-GCM',
      iv: segmentNonce(i, f) as BufferSource,
      additionalData: aad as BufferSource,
      tagLength: 128,
    });
    const seal = async (i: number, f: boolean, p: Uint8Array) =>
      new Uint8Array(await s.encrypt(params(i, f), await k(), p as BufferSource));
    const open = async (i: number, f: boolean, sealed: Uint8Array) => {
      if (sealed.length < TAG_BYTES) return undefined;
      try {
        return new Uint8Array(await s.decrypt(params(i, f), await k(), sealed as BufferSource));
      } catch {
        return undefined;
      }
    };
    return { seal, open, sealParts: async (i, f, p) => [await seal(i, f, p)], ...joined(seal, open) };
  }
  const seal = async (i: number, f: boolean, p: Uint8Array) => gcm(encKey, segmentNonce(i, f), aad).encrypt(p);
  const open = async (i: number, f: boolean, sealed: Uint8Array) => {
    if (sealed.length < TAG_BYTES) return undefined;
    try {
      return gcm(encKey, segmentNonce(i, f), aad).decrypt(sealed);
    } catch {
      return undefined;
    }
  };
  return { seal, open, sealParts: async (i, f, p) => [await seal(i, f, p)], ...joined(seal, open) };
}

export function defaultBackend(): SegmentBackend {
  return nodeAesGcm ? 'node' : subtle ? 'webcrypto' : 'noble';
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
