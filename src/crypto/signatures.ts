/**
 * The signing algorithms of asymmetric KMS keys, as a table: per algorithm its hash, digest length
 * and scheme. Runtime-neutral (no cryptography here): the backends (backend/), the operations and
 * the WebCrypto provider read it.
 */
import type { SigningAlgorithmSpec } from '../api/enums.js';
import type { HashName } from './emsa.js';

export type MessageType = 'RAW' | 'DIGEST';
/** Per signing algorithm: its hash, digest length, and how it signs. One table. */
export const SIGNING: Partial<
  Record<SigningAlgorithmSpec, { hash: HashName; digestBytes: number; scheme: 'pss' | 'pkcs1' | 'ecdsa' | 'ed25519' | 'ed25519ph' }>
> = {
  RSASSA_PSS_SHA_256: { hash: 'sha256', digestBytes: 32, scheme: 'pss' },
  RSASSA_PSS_SHA_384: { hash: 'sha384', digestBytes: 48, scheme: 'pss' },
  RSASSA_PSS_SHA_512: { hash: 'sha512', digestBytes: 64, scheme: 'pss' },
  RSASSA_PKCS1_V1_5_SHA_256: { hash: 'sha256', digestBytes: 32, scheme: 'pkcs1' },
  RSASSA_PKCS1_V1_5_SHA_384: { hash: 'sha384', digestBytes: 48, scheme: 'pkcs1' },
  RSASSA_PKCS1_V1_5_SHA_512: { hash: 'sha512', digestBytes: 64, scheme: 'pkcs1' },
  ECDSA_SHA_256: { hash: 'sha256', digestBytes: 32, scheme: 'ecdsa' },
  ECDSA_SHA_384: { hash: 'sha384', digestBytes: 48, scheme: 'ecdsa' },
  ECDSA_SHA_512: { hash: 'sha512', digestBytes: 64, scheme: 'ecdsa' },
  ED25519_SHA_512: { hash: 'sha512', digestBytes: 64, scheme: 'ed25519' },
  ED25519_PH_SHA_512: { hash: 'sha512', digestBytes: 64, scheme: 'ed25519ph' },
};
