/**
 * One-call keys for ciphertext blobs. Every Encrypt draws a fresh 16-byte salt and the
 * provider derives that call's AES-256 key from the material and it, as AWS KMS does, so the
 * 2^32-message bound of random GCM nonces never applies to a KMS key however many data keys
 * it wraps.
 *
 *   callKey = HKDF-Expand-SHA256(PRK = material, info = CALL_KEY_LABEL || salt, L = 32)
 *           = HMAC-SHA256(material, CALL_KEY_LABEL || salt || 0x01)
 *
 * The material is already a uniformly random 32-byte key, so HKDF's extract step adds nothing
 * (RFC 5869 §3.3) and skipping it halves the cost on the hot path (one HMAC per call).
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8Encode } from './bytes.js';
import { nodeCrypto, subtle } from './runtime.js';

export const CALL_KEY_LABEL: Uint8Array = utf8Encode('kmsbox/v1 ciphertext blob key');
const BLOCK_ONE = new Uint8Array([1]);

export interface CallKeyBackend {
  readonly name: 'node' | 'webcrypto' | 'noble';
  deriveCallKey(material: Uint8Array, salt: Uint8Array): Promise<Uint8Array>;
}

export const nobleCallKey: CallKeyBackend = {
  name: 'noble',
  async deriveCallKey(material, salt) {
    return hmac(sha256, material, concatBytes(CALL_KEY_LABEL, salt, BLOCK_ONE));
  },
};

export const nodeCallKey: CallKeyBackend | undefined = nodeCrypto && {
  name: 'node',
  async deriveCallKey(material, salt) {
    return nodeCrypto!.createHmac('sha256', material).update(CALL_KEY_LABEL).update(salt).update(BLOCK_ONE).digest();
  },
};

export const webCryptoCallKey: CallKeyBackend | undefined = subtle && {
  name: 'webcrypto',
  async deriveCallKey(material, salt) {
    const key = await subtle!.importKey('raw', material as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return new Uint8Array(await subtle!.sign('HMAC', key, concatBytes(CALL_KEY_LABEL, salt, BLOCK_ONE) as BufferSource));
  },
};

const fastest: CallKeyBackend = nodeCallKey ?? webCryptoCallKey ?? nobleCallKey;

export function deriveCallKey(material: Uint8Array, salt: Uint8Array): Promise<Uint8Array> {
  return fastest.deriveCallKey(material, salt);
}
