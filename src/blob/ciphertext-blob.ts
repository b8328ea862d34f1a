/**
 * The KMS ciphertext blob, format v2 (64 bytes of overhead; 96 bytes for a 32-byte data key):
 *
 *   offset  size  field
 *   0       1     format version (0x02; 0x01 is still read)
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
 *
 * v1 and v2 have the same layout and differ only in how the provider derives the per-call key from
 * the material and the salt (crypto/call-key.ts: v2 separates it from GenerateMac, issue 18). New
 * blobs are v2; v1 blobs still decrypt. A reader of v1 only (kmsbox before v2) refuses a v2 blob as
 * it refuses any unknown version, with InvalidCiphertextException — and since the version byte is
 * in the AAD, rewriting it to 0x01 only makes authentication fail.
 */
import { InvalidCiphertextException } from '../errors.js';
import { KEY_ID_BYTES, decodeKeyId, encodeKeyId } from '../keys/arn.js';

/** The format new blobs are written in. */
export const BLOB_VERSION = 2;
export type BlobVersion = 1 | 2;
export const SALT_BYTES = 16;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const HEADER_BYTES = 1 + KEY_ID_BYTES + 2 + SALT_BYTES + NONCE_BYTES;
/** The material-version field is a u16: a key's versions 0..65535 fit, a 65,537th cannot be named. */
export const MAX_MATERIAL_VERSIONS = 0xffff + 1;

/** Whether `version` can be written in a blob header; `limit` is lowered only by tests (test/blob), to reach the edge. */
export function materialVersionFits(version: number, limit = MAX_MATERIAL_VERSIONS): boolean {
  return Number.isInteger(version) && version >= 0 && version < limit;
}

export interface BlobHeader {
  /** The format; default BLOB_VERSION (kmsbox writes nothing else: v1 is for tests of old blobs). */
  readonly blobVersion?: BlobVersion;
  readonly keyId: string;
  readonly version: number;
  readonly salt: Uint8Array;
  readonly nonce: Uint8Array;
}

export interface DecodedBlob extends BlobHeader {
  readonly blobVersion: BlobVersion;
  /** The header bytes as they stand in the blob: the first part of the AAD. */
  readonly header: Uint8Array;
  /** ciphertext || tag */
  readonly sealed: Uint8Array;
}

/** Header bytes for a new blob (they go into the AAD before sealing). */
export function encodeHeader(h: BlobHeader): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES);
  out[0] = h.blobVersion ?? BLOB_VERSION;
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
  const blobVersion = blob[0];
  if (blob.length < HEADER_BYTES + TAG_BYTES || (blobVersion !== 1 && blobVersion !== 2)) throw new InvalidCiphertextException();
  const keyId = decodeKeyId(blob, 1);
  if (keyId === undefined) throw new InvalidCiphertextException();
  return {
    blobVersion,
    keyId,
    version: (blob[18]! << 8) | blob[19]!,
    salt: blob.subarray(20, 36),
    nonce: blob.subarray(36, 48),
    header: blob.subarray(0, HEADER_BYTES),
    sealed: blob.subarray(HEADER_BYTES),
  };
}
