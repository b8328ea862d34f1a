/**
 * The envelope format's constants: one table per fact. docs/envelope-format.md is the prose
 * version of this file.
 */

export const ENVELOPE_VERSION = 1;

/** Algorithm suites (a registry: a later suite is a new row, never a changed one). */
export const SUITES = {
  1: { name: 'AES_256_GCM_HKDF_SHA512_HMAC_SHA256', aead: 'AES-256-GCM', kdf: 'HKDF-SHA-512', mac: 'HMAC-SHA-256' },
  2: {
    name: 'AES_256_GCM_SP800_108_HMAC_SHA512',
    aead: 'AES-256-GCM',
    kdf: 'SP 800-108 counter mode, HMAC-SHA-512, over the header',
    mac: 'the KDF output',
  },
} as const;
export type SuiteId = keyof typeof SUITES;
/** Suite 2 since issue #16: one HMAC per message where suite 1 takes three (key-schedule.ts). */
export const DEFAULT_SUITE: SuiteId = 2;

/** Header map keys. */
export const HEADER_KEY = {
  version: 1,
  suite: 2,
  messageId: 3,
  segmentSizeLog2: 4,
  recipients: 5,
  context: 6,
  contextNotStored: 7,
  signer: 8,
} as const;

/** Recipient types. Readers skip types they do not know. */
export const RECIPIENT_TYPE = { kms: 1 } as const;

/** Signature algorithms for the optional signer: id → KMS SigningAlgorithm, raw signature size, curve order for low-S. */
export const SIGNERS = {
  1: { algorithm: 'ECDSA_SHA_256', signatureBytes: 64, keySpec: 'ECC_NIST_P256' },
  2: { algorithm: 'ECDSA_SHA_384', signatureBytes: 96, keySpec: 'ECC_NIST_P384' },
  3: { algorithm: 'ED25519_SHA_512', signatureBytes: 64, keySpec: 'ECC_NIST_EDWARDS25519' },
} as const;
export type SignerAlgId = keyof typeof SIGNERS;

export const MESSAGE_ID_BYTES = 32;
export const DEK_BYTES = 32;
export const MAC_BYTES = 32;
export const TAG_BYTES = 16;
export const NONCE_BYTES = 12;
/** The MAC item: a 32-byte byte string (head 0x58 0x20). */
export const MAC_ITEM_BYTES = 2 + MAC_BYTES;
/** The signature item starts with array(1). */
export const SIGNATURE_ITEM_HEAD = 0x81;

/** Every bound the reader and writer enforce. */
export const LIMITS = {
  /**
   * What writers default to (readers read any size in range, so neither needs a new version):
   * 1 MiB on node:crypto (was 256 KiB: a stream pays a cipher each way and two extra chunks per
   * segment, and a quarter as many gained the Node stream 4–11 points against one raw cipher), 256 KiB on
   * the portable backend (Chromium's WebCrypto runs at half speed on buffers of 1 MiB and more).
   * BENCHMARKS.md, "Session 8: envelope stream".
   */
  segmentSizeLog2: { min: 12, max: 24, default: 20, portableDefault: 18 },
  /** Recipients a header may hold at all (more is malformed). */
  recipientsHardCap: 255,
  /** Recipients a reader accepts by default (more is LimitExceededException); configurable up to the hard cap. */
  recipientsDefault: 16,
  keyRefBytes: 2048,
  /** AWS's CiphertextBlob bounds. */
  wrappedBytes: { min: 1, max: 6144 },
  contextPairs: 64,
  contextEncodedBytes: 8192,
  /** Header item bytes a reader accepts by default. */
  headerBytesDefault: 64 * 1024,
  headerBytesHardCap: 1024 * 1024,
  /** Segments a message may have (the index is a uint32 in the nonce). */
  maxSegments: 2 ** 32,
  /** Unknown recipient types: at most this many scalar fields, each at most this long. */
  unknownRecipientFields: 16,
  unknownRecipientFieldBytes: 6144,
  /** Cache entries may not be used for more messages than this. */
  cacheMaxMessages: 2 ** 32,
} as const;

/** The prefix of the HKDF info; the suite id byte follows a zero byte. */
export const KDF_LABEL = 'kmsbox-envelope-v1';
/** The prefix of the signed message; a zero byte and the 32-byte transcript digest follow. */
export const SIGNATURE_LABEL = 'kmsbox-envelope-v1 sig';
/** Encryption context keys with this prefix are reserved. */
export const RESERVED_CONTEXT_PREFIX = 'kmsbox:';

/** The one message every authentication failure carries (the reason is kept on `cause` for debugging only). */
export const INVALID_ENVELOPE_MESSAGE = 'The envelope is malformed, was modified, or does not match the encryption context.';

/** Segment i's nonce: 7 zero bytes ‖ uint32be(i) ‖ final flag. */
export function segmentNonce(index: number, final: boolean): Uint8Array {
  const nonce = new Uint8Array(NONCE_BYTES);
  nonce[7] = index >>> 24;
  nonce[8] = (index >>> 16) & 0xff;
  nonce[9] = (index >>> 8) & 0xff;
  nonce[10] = index & 0xff;
  nonce[11] = final ? 1 : 0;
  return nonce;
}
