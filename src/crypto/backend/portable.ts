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

/** Piece-wise calls for runtimes that take one buffer: join, then seal or open. */
function oneBuffer(seal: AesGcmKey['seal'], open: AesGcmKey['open']): AesGcmKey {
  const join = (pieces: readonly Uint8Array[]) => (pieces.length === 1 ? pieces[0]! : concatBytes(...pieces));
  return {
    seal,
    open,
    sealPieces: async (nonce, aad, pieces) => [await seal(nonce, join(pieces), aad)],
    openPieces: async (nonce, aad, pieces, tag) => {
      const p = await open(nonce, concatBytes(...pieces, tag), aad);
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
