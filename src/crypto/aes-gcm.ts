/**
 * AES-GCM (16-byte tag) on three backends behind one interface: node:crypto (the fast path on
 * Node), WebCrypto (browsers), @noble/ciphers (anywhere). `open` returns undefined on a bad
 * tag and never releases unauthenticated plaintext.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { nodeCrypto, subtle } from './runtime.js';

export interface AesGcmBackend {
  readonly name: 'node' | 'webcrypto' | 'noble';
  /** Returns ciphertext || tag. */
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  /** Returns the plaintext, or undefined when authentication fails. */
  open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Promise<Uint8Array | undefined>;
}

const TAG = 16;

function nodeBackend(): AesGcmBackend | undefined {
  const c = nodeCrypto;
  if (c === undefined) return undefined;
  const algorithm = (key: Uint8Array): string => `aes-${key.length * 8}-gcm`;
  return {
    name: 'node',
    async seal(key, nonce, plaintext, aad) {
      const cipher = c.createCipheriv(algorithm(key), key, nonce, { authTagLength: TAG });
      cipher.setAAD(aad);
      const head = cipher.update(plaintext);
      const tail = cipher.final();
      const tag = cipher.getAuthTag();
      const out = new Uint8Array(head.length + tail.length + TAG);
      out.set(head, 0);
      out.set(tail, head.length);
      out.set(tag, head.length + tail.length);
      return out;
    },
    async open(key, nonce, sealed, aad) {
      if (sealed.length < TAG) return undefined;
      let head: Uint8Array | undefined;
      try {
        const decipher = c.createDecipheriv(algorithm(key), key, nonce, { authTagLength: TAG });
        decipher.setAAD(aad);
        decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
        head = decipher.update(sealed.subarray(0, sealed.length - TAG));
        const tail = decipher.final();
        if (tail.length === 0) return new Uint8Array(head.buffer, head.byteOffset, head.length);
        const out = new Uint8Array(head.length + tail.length);
        out.set(head, 0);
        out.set(tail, head.length);
        return out;
      } catch {
        head?.fill(0); // unauthenticated: never released
        return undefined;
      }
    },
  };
}

function webCryptoBackend(): AesGcmBackend | undefined {
  const s = subtle;
  if (s === undefined) return undefined;
  const importKey = (key: Uint8Array, usage: KeyUsage) => s.importKey('raw', key as BufferSource, 'AES-GCM', false, [usage]);
  return {
    name: 'webcrypto',
    async seal(key, nonce, plaintext, aad) {
      const k = await importKey(key, 'encrypt');
      const params: AesGcmParams = { name: 'AES-GCM', iv: nonce as BufferSource, additionalData: aad as BufferSource, tagLength: 128 };
      return new Uint8Array(await s.encrypt(params, k, plaintext as BufferSource));
    },
    async open(key, nonce, sealed, aad) {
      if (sealed.length < TAG) return undefined;
      try {
        const k = await importKey(key, 'decrypt');
        const params: AesGcmParams = { name: 'AES-GCM', iv: nonce as BufferSource, additionalData: aad as BufferSource, tagLength: 128 };
        return new Uint8Array(await s.decrypt(params, k, sealed as BufferSource));
      } catch {
        return undefined;
      }
    },
  };
}

export const nobleAesGcm: AesGcmBackend = {
  name: 'noble',
  async seal(key, nonce, plaintext, aad) {
    return gcm(key, nonce, aad).encrypt(plaintext);
  },
  async open(key, nonce, sealed, aad) {
    if (sealed.length < TAG) return undefined;
    try {
      return gcm(key, nonce, aad).decrypt(sealed);
    } catch {
      return undefined;
    }
  },
};

export const nodeAesGcm: AesGcmBackend | undefined = nodeBackend();
export const webCryptoAesGcm: AesGcmBackend | undefined = webCryptoBackend();
/** The fast path this runtime has. */
export const aesGcm: AesGcmBackend = nodeAesGcm ?? webCryptoAesGcm ?? nobleAesGcm;
