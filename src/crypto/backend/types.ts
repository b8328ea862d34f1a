/**
 * The one interface between kmsbox and a runtime's cryptography (issue #12 §3). Two modules
 * implement it: `node.ts` (node:crypto, i.e. OpenSSL, plus @noble/curves where OpenSSL has no
 * "sign this digest" call) and `portable.ts` (WebCrypto plus @noble, for browsers and workers);
 * `index.ts` picks one, once. Everything else in kmsbox calls `backend` and never asks which.
 */
import type { KeySpec, SigningAlgorithmSpec } from '../../api/enums.js';
import type { MessageType } from '../signatures.js';

export type HmacHash = 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512';
export type OaepAlgorithm = 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256';

/** An incremental hash (SHA-256 of the envelope signature transcript). */
export interface Hasher {
  update(data: Uint8Array): Hasher;
  digest(): Uint8Array;
}

/**
 * AES-GCM (16-byte tag) under one key. Opening never releases unauthenticated plaintext: it
 * returns `undefined` on a bad tag. The piece-wise calls take and return views (no copy to join
 * them), synchronously where the runtime can (node:crypto), so a stream pays no promise per segment.
 */
export interface AesGcmKey {
  /** ciphertext ‖ tag */
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  open(nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Promise<Uint8Array | undefined>;
  /** The ciphertext and tag, as the pieces the runtime made (the last piece is the tag). */
  sealPieces(nonce: Uint8Array, aad: Uint8Array, pieces: readonly Uint8Array[]): Uint8Array[] | Promise<Uint8Array[]>;
  /** The plaintext pieces, returned only after the tag verified. */
  openPieces(
    nonce: Uint8Array,
    aad: Uint8Array,
    pieces: readonly Uint8Array[],
    tag: Uint8Array,
  ): Uint8Array[] | undefined | Promise<Uint8Array[] | undefined>;
}

/**
 * Asymmetric keys held as bytes: PKCS#8 DER private keys, SPKI DER public keys (MemoryProvider,
 * FileProvider, GenerateDataKeyPair). Both implementations give the same results for the same keys
 * (test/crypto/portable-asymmetric.test.ts checks the portable one against OpenSSL).
 */
export interface AsymmetricBackend {
  canGenerate(spec: KeySpec): boolean;
  /** A new private key as PKCS#8 DER, encoded as OpenSSL encodes it. */
  generatePrivateKey(spec: KeySpec): Promise<Uint8Array>;
  /** The SPKI DER public key of a PKCS#8 private key (the same buffer each time for one key: copy before handing it out). */
  publicKeyOf(pkcs8: Uint8Array): Uint8Array;
  sign(pkcs8: Uint8Array, algorithm: SigningAlgorithmSpec, message: Uint8Array, type: MessageType): Promise<Uint8Array>;
  /** Whether `signature` is valid; never throws for a malformed signature or key. */
  verify(
    spki: Uint8Array,
    algorithm: SigningAlgorithmSpec,
    message: Uint8Array,
    type: MessageType,
    signature: Uint8Array,
  ): Promise<boolean>;
  /**
   * `sign` and `verify` answered at once, by a backend that signs synchronously (node:crypto): the
   * same computation, without a promise. A backend without them (WebCrypto) is called through `sign`
   * and `verify`.
   */
  signNow?(pkcs8: Uint8Array, algorithm: SigningAlgorithmSpec, message: Uint8Array, type: MessageType): Uint8Array;
  verifyNow?(spki: Uint8Array, algorithm: SigningAlgorithmSpec, message: Uint8Array, type: MessageType, signature: Uint8Array): boolean;
  /** RSAES-OAEP with MGF1 over the same hash. */
  rsaEncrypt(pkcs8: Uint8Array, algorithm: OaepAlgorithm, plaintext: Uint8Array): Promise<Uint8Array>;
  /** The plaintext, or `undefined` when the ciphertext does not decrypt under this key and algorithm. */
  rsaDecrypt(pkcs8: Uint8Array, algorithm: OaepAlgorithm, ciphertext: Uint8Array): Promise<Uint8Array | undefined>;
  /** ECDH: the raw shared X coordinate; `undefined` when the peer key is not a valid SPKI public key on the same curve. */
  deriveSharedSecret(pkcs8: Uint8Array, peerSpki: Uint8Array): Promise<Uint8Array | undefined>;
}

export interface CryptoBackend {
  readonly name: 'node' | 'portable';
  /** AES-GCM under `key` (16, 24 or 32 bytes). */
  aesGcm(key: Uint8Array): AesGcmKey;
  /** HMAC of the concatenation of `message`, synchronously. */
  hmac(hash: HmacHash, key: Uint8Array, ...message: Uint8Array[]): Uint8Array;
  sha256(): Hasher;
  /**
   * The asymmetric keys, loaded on first use: a dynamic import, so a page that uses only symmetric
   * keys does not carry the curve, RSA and Ed25519 code (src/lazy.ts).
   */
  asymmetric(): Promise<AsymmetricBackend>;
}
