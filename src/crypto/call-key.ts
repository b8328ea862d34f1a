/**
 * One-call keys for ciphertext blobs. Every Encrypt draws a fresh 16-byte salt and the
 * provider derives that call's AES-256 key from the material and it, as AWS KMS does, so the
 * 2^32-message bound of random GCM nonces never applies to a KMS key however many data keys
 * it wraps.
 *
 * Blob format v2 (written since issue 18), HKDF-SHA256 (RFC 5869) in full:
 *
 *   PRK     = HKDF-Extract(salt = BLOB_V2_EXTRACT_SALT, IKM = material)
 *           = HMAC-SHA256(key = BLOB_V2_EXTRACT_SALT, message = material)     once per material
 *   callKey = HKDF-Expand(PRK, info = blob salt, L = 32)
 *           = HMAC-SHA256(key = PRK, message = salt || 0x01)                   once per call
 *
 * Why: GenerateMac computes HMAC(key = material, chosen message). Format v1 (below) was HMAC keyed
 * by the material too, so GenerateMac on an HMAC_256 key holding the same bytes returned v1's
 * per-call key for message `label || salt || 0x01`: a label inside the message separates nothing
 * when the attacker chooses the whole message. v2 never keys HMAC with the material: the material
 * is the *message* of the extract step (keyed by a public constant) and the per-call HMAC is keyed
 * by PRK. So no GenerateMac answer, under any HMAC key with these bytes, is a v2 per-call key or
 * PRK: that would need HMAC(material, x) = HMAC(PRK, ·) or = HMAC(salt, material) — relations a PRF
 * (HMAC keyed through either input, the "dual PRF" assumption HKDF-Extract and TLS 1.3 rest on,
 * RFC 5869 §3.3 and Krawczyk, "Cryptographic Extraction and Key Derivation", 2010) does not have.
 * The per-call cost is v1's (one HMAC); PRK is cached per material (software providers, providers/software.ts) or held as
 * its own non-extractable HMAC key (WebCryptoProvider).
 *
 * Format v1 (read only): callKey = HKDF-Expand-SHA256(PRK = material, info = CALL_KEY_LABEL || salt, 32)
 *                                = HMAC-SHA256(material, CALL_KEY_LABEL || salt || 0x01)
 */
import { backend, type CryptoBackend } from './backend/index.js';
import { utf8Encode } from './bytes.js';

/** v1's info prefix (read only: v1 blobs). */
export const CALL_KEY_LABEL: Uint8Array = utf8Encode('kmsbox/v1 ciphertext blob key');
/** v2's HKDF-Extract salt: a public domain-separation constant (RFC 5869 §3.1 allows a fixed salt). */
export const BLOB_V2_EXTRACT_SALT: Uint8Array = utf8Encode('kmsbox/v2 ciphertext blob key extract');
const BLOCK_ONE = new Uint8Array([1]);

/** v1 blobs' per-call key: HMAC-SHA256(material, CALL_KEY_LABEL || salt || 0x01). */
export function deriveCallKey(material: Uint8Array, salt: Uint8Array, using: CryptoBackend = backend): Uint8Array {
  return using.hmac('SHA-256', material, CALL_KEY_LABEL, salt, BLOCK_ONE);
}

/** v2 blobs' per-material PRK: HKDF-Extract(BLOB_V2_EXTRACT_SALT, material), for providers that cache it. */
export function extractPrk(material: Uint8Array, using: CryptoBackend = backend): Uint8Array {
  return using.hmac('SHA-256', BLOB_V2_EXTRACT_SALT, material);
}

/** v2 blobs' per-call key from the material's PRK: HKDF-Expand(PRK, info = salt, 32) = HMAC-SHA256(PRK, salt || 0x01). */
export function expandCallKey(prk: Uint8Array, salt: Uint8Array, using: CryptoBackend = backend): Uint8Array {
  return using.hmac('SHA-256', prk, salt, BLOCK_ONE);
}
