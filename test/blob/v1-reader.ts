// The blob parser of kmsbox before format v2, verbatim from git commit 7ee7fc7 (src/blob/ciphertext-blob.ts,
// imports adjusted): what a reader of v1 only does with the blobs kmsbox writes now.
/**
 * The KMS ciphertext blob, format v1 (64 bytes of overhead; 96 bytes for a 32-byte data key):
 *
 *   offset  size  field
 *   0       1     format version (0x01)
 *   1       17    key id: form byte (0 = UUID, 1 = mrk-) + 16 bytes
 *   18      2     material version: index into the key's material versions (u16, big-endian)
 *   20      16    salt: the provider derives this call's AES-256 key from the material and it
 *   36      12    GCM nonce
 *   48      n     ciphertext
 *   48+n    16    GCM tag
 *
 * The AAD is the 48 header bytes followed by the canonical encryption context, so every
 * header bit and the context are authenticated. Decoding never trusts a length: the only
 * variable part is the ciphertext, whose length is what is left.
 */
import { InvalidCiphertextException } from '../../src/errors.js';
import { KEY_ID_BYTES, decodeKeyId, encodeKeyId } from '../../src/keys/arn.js';

export const BLOB_VERSION = 1;
export const SALT_BYTES = 16;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const HEADER_BYTES = 1 + KEY_ID_BYTES + 2 + SALT_BYTES + NONCE_BYTES;
export const MAX_MATERIAL_VERSIONS = 0xffff + 1;

export interface BlobHeader {
  readonly keyId: string;
  readonly version: number;
  readonly salt: Uint8Array;
  readonly nonce: Uint8Array;
}

export interface DecodedBlob extends BlobHeader {
  /** The header bytes as they stand in the blob: the first part of the AAD. */
  readonly header: Uint8Array;
  /** ciphertext || tag */
  readonly sealed: Uint8Array;
}

/** Header bytes for a new blob (they go into the AAD before sealing). */
export function encodeHeader(h: BlobHeader): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES);
  out[0] = BLOB_VERSION;
  encodeKeyId(h.keyId, out, 1);
  out[18] = h.version >>> 8;
  out[19] = h.version & 0xff;
  out.set(h.salt, 20);
  out.set(h.nonce, 36);
  return out;
}

export function encodeBlob(header: Uint8Array, sealed: Uint8Array): Uint8Array {
  const out = new Uint8Array(header.length + sealed.length);
  out.set(header, 0);
  out.set(sealed, header.length);
  return out;
}

/** Parses a blob; anything malformed is InvalidCiphertextException with AWS's empty message. */
export function decodeBlob(blob: Uint8Array): DecodedBlob {
  if (blob.length < HEADER_BYTES + TAG_BYTES || blob[0] !== BLOB_VERSION) throw new InvalidCiphertextException();
  const keyId = decodeKeyId(blob, 1);
  if (keyId === undefined) throw new InvalidCiphertextException();
  return {
    keyId,
    version: (blob[18]! << 8) | blob[19]!,
    salt: blob.subarray(20, 36),
    nonce: blob.subarray(36, 48),
    header: blob.subarray(0, HEADER_BYTES),
    sealed: blob.subarray(HEADER_BYTES),
  };
}
