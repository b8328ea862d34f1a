/**
 * One-call keys for ciphertext blobs: HKDF-SHA256(material, salt, info) with a fresh random
 * salt per Encrypt, as AWS KMS does, so the 2^32-message bound of random GCM nonces under one
 * key never applies to a KMS key however many data keys it wraps.
 */
import { hkdf } from './hkdf.js';
import { utf8Encode } from './bytes.js';

export const CALL_KEY_INFO: Uint8Array = utf8Encode('kmsbox/v1 ciphertext blob key');

export function deriveCallKey(material: Uint8Array, salt: Uint8Array): Promise<Uint8Array> {
  return hkdf.hkdfSha256(material, salt, CALL_KEY_INFO, 32);
}
