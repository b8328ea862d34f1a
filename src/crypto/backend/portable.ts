/**
 * The portable backend (browsers, workers, any runtime without node:crypto): AES-GCM in WebCrypto
 * (`crypto.subtle`, the key imported once per AesGcmKey), or in @noble/ciphers (loaded on first
 * use) where there is no `crypto.subtle` (a page served over plain http); HMAC and SHA-256 from @noble/hashes, which
 * answer synchronously as the key schedule needs; the asymmetric keys in portable-asymmetric.ts,
 * loaded on first use.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha224, sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { lazily } from '../../lazy.js';
import type { AesGcmKey, CryptoBackend, Hasher } from './types.js';

const TAG = 16;
const HASHES = { 'SHA-224': sha224, 'SHA-256': sha256, 'SHA-384': sha384, 'SHA-512': sha512 } as const;

/**
 * The pieces as one buffer: a view when they lie one after another in the same memory (a segment
 * that arrived in one chunk, its ciphertext and tag split only by the reader), else a copy.
 * WebCrypto takes one buffer and copies it in anyway; a copy of ours before that, and the fresh
 * allocation it needs, was the one thing the browser's decrypt stream did per segment beyond the
 * raw `crypto.subtle` loop (bench/browser.ts).
 */
export function joined(pieces: readonly Uint8Array[]): Uint8Array {
  const first = pieces[0];
  if (first === undefined) return new Uint8Array(0);
  let end = first.byteOffset + first.length;
  for (let i = 1; i < pieces.length; i++) {
    const p = pieces[i]!;
    if (p.buffer !== first.buffer || p.byteOffset !== end) return concatBytes(...pieces);
    end += p.length;
  }
  return pieces.length === 1 ? first : new Uint8Array(first.buffer, first.byteOffset, end - first.byteOffset);
}

/** Piece-wise calls for runtimes that take one buffer: join, then seal or open. */
function oneBuffer(seal: AesGcmKey['seal'], open: AesGcmKey['open']): AesGcmKey {
  return {
    seal,
    open,
    sealPieces: async (nonce, aad, pieces) => [await seal(nonce, joined(pieces), aad)],
    openPieces: async (nonce, aad, pieces, tag) => {
      const p = await open(nonce, joined([...pieces, tag]), aad);
      return p && [p];
    },
  };
}

export function webCryptoAesGcm(subtle: SubtleCrypto, key: Uint8Array): AesGcmKey {
  let imported: Promise<CryptoKey> | undefined;
  const k = () => (imported ??= subtle.importKey('raw', key as BufferSource, 'AES-GCM', false, ['encrypt', 'decrypt']));
  const params = (nonce: Uint8Array, aad: Uint8Array): AesGcmParams => ({
    name: 'AES-GCM',
    iv: nonce as BufferSource,
    additionalData: aad as BufferSource,
    tagLength: 128,
  });
  return oneBuffer(
    async (nonce, plaintext, aad) => new Uint8Array(await subtle.encrypt(params(nonce, aad), await k(), plaintext as BufferSource)),
    async (nonce, sealed, aad) => {
      if (sealed.length < TAG) return undefined;
      try {
        return new Uint8Array(await subtle.decrypt(params(nonce, aad), await k(), sealed as BufferSource));
      } catch {
        return undefined;
      }
    },
  );
}

export function nobleAesGcm(key: Uint8Array): AesGcmKey {
  return oneBuffer(
    async (nonce, plaintext, aad) => (await nobleAes()).gcm(key, nonce, aad).encrypt(plaintext),
    async (nonce, sealed, aad) => {
      if (sealed.length < TAG) return undefined;
      const { gcm } = await nobleAes();
      try {
        return gcm(key, nonce, aad).decrypt(sealed);
      } catch {
        return undefined;
      }
    },
  );
}

const nobleAes = lazily(() => import('../noble-aes.js'));
const loadPortableAsymmetric = lazily(async () => (await import('./portable-asymmetric.js')).portableAsymmetric);

/** The portable backend over `subtle` (the runtime's `crypto.subtle`, or `undefined` for @noble/ciphers' AES-GCM). */
export function portableBackend(subtle: SubtleCrypto | undefined): CryptoBackend {
  return {
    name: 'portable',
    aesGcm: subtle ? (key) => webCryptoAesGcm(subtle, key) : nobleAesGcm,
    hmac: (hash, key, ...message) => hmac(HASHES[hash], key, message.length === 1 ? message[0]! : concatBytes(...message)),
    sha256: () => sha256.create() as unknown as Hasher,
    asymmetric: loadPortableAsymmetric,
  };
}
