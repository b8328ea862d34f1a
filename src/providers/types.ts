/**
 * The contract between the Kms (policy, state machine, formats) and a provider, in two halves
 * (issue #17 §1): the records (records.ts: keys, aliases, grants, import tokens, changed in
 * transactions) and the material (`MaterialStore` below: the key's HSM, which creates, keeps,
 * uses and destroys material). Material never crosses this interface; the Kms sees only
 * KeyMaterialIds and the results of operations. test/conformance/suite.ts is the contract's test.
 */
import type { KeySpec, KeyUsageType, SigningAlgorithmSpec } from '../api/enums.js';
import type { RecordStore } from './records.js';

export type { RecordStore } from './records.js';

export interface SealRequest {
  /**
   * The blob format, which says how the one-call key is derived from the material and the salt
   * (crypto/call-key.ts). The Kms seals in the current format (2) only; it is named here so the
   * header (in the AAD) and the derivation cannot disagree.
   */
  readonly blobVersion: 2;
  /** Random per-call salt: the provider derives a one-call key from the material and it. */
  readonly salt: Uint8Array;
  readonly nonce: Uint8Array;
  readonly plaintext: Uint8Array;
  readonly aad: Uint8Array;
}

export interface OpenRequest {
  /** The blob's format (1 or 2): which derivation of the one-call key (crypto/call-key.ts). */
  readonly blobVersion: 1 | 2;
  readonly salt: Uint8Array;
  readonly nonce: Uint8Array;
  /** ciphertext || 16-byte tag */
  readonly sealed: Uint8Array;
  readonly aad: Uint8Array;
}

export interface SignRequest {
  readonly algorithm: SigningAlgorithmSpec;
  readonly message: Uint8Array;
  readonly messageType: 'RAW' | 'DIGEST' | 'EXTERNAL_MU';
}

/** A store: its records and its material, under one name. */
export interface KeyMaterialProvider extends RecordStore, MaterialStore {
  /** A short name for messages and benchmarks: `memory`, `file`, `webcrypto`, `postgres`. */
  readonly name: string;
  /**
   * Optional: the Kms runs each API request inside it. A store whose reads each bring a replica up
   * to date (PostgresProvider) does so once per request instead: a request still sees every commit
   * that completed before it began.
   */
  inRequest?<T>(run: () => Promise<T>): Promise<T>;
}

/**
 * The material half: created, used, destroyed; never handed out. A KeyMaterialId names material
 * that never changes, so a store may cache what it prepares from it until `destroyMaterial`.
 */
export interface MaterialStore {
  /** Whether this provider can create material for the spec. */
  supportsKeySpec(spec: KeySpec): boolean;
  /**
   * Creates and keeps new material; returns its KeyMaterialId. `usage`, when given, is the key's
   * KeyUsage: a provider may prepare the material for that usage only (WebCryptoProvider does).
   */
  createMaterial(spec: KeySpec, usage?: KeyUsageType): Promise<string>;
  /**
   * Keeps given material (ImportKeyMaterial) under the given KeyMaterialId, replacing what that id
   * held: for SYMMETRIC_DEFAULT 32 bytes, for HMAC keys the HMAC key bytes. The caller has
   * checked the length; the provider may refuse a spec it cannot hold (UnsupportedOperationException).
   * The provider keeps its own copy: the caller wipes `bytes` afterwards.
   */
  importMaterial(spec: KeySpec, bytes: Uint8Array, materialId: string): Promise<void>;
  /** Forgets material (key deletion). Unknown ids are ignored. */
  destroyMaterial(materialIds: readonly string[]): Promise<void>;

  /** Symmetric: AES-256-GCM under a key derived from the material and `salt`; returns ciphertext || tag. */
  seal(materialId: string, request: SealRequest): Promise<Uint8Array>;
  /** Symmetric: the plaintext, or `undefined` when authentication fails (no plaintext is ever released then). */
  open(materialId: string, request: OpenRequest): Promise<Uint8Array | undefined>;

  /** HMAC keys: the MAC of `message` under the material (the hash follows from the key spec). */
  mac(materialId: string, message: Uint8Array): Promise<Uint8Array>;

  /** Asymmetric keys: the DER SubjectPublicKeyInfo. */
  publicKey(materialId: string): Promise<Uint8Array>;
  /** Asymmetric signing keys: a signature of the message (RAW) or of the given digest (DIGEST). */
  sign(materialId: string, request: SignRequest): Promise<Uint8Array>;
  /** RSA encryption keys: RSAES-OAEP encryption of a small plaintext. */
  asymmetricEncrypt(materialId: string, algorithm: 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256', plaintext: Uint8Array): Promise<Uint8Array>;
  /** RSA encryption keys: the plaintext, or `undefined` when the ciphertext does not decrypt. */
  asymmetricDecrypt(
    materialId: string,
    algorithm: 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256',
    ciphertext: Uint8Array,
  ): Promise<Uint8Array | undefined>;
  /** Key agreement keys: the ECDH shared secret with a DER SPKI peer key, or `undefined` for an unusable peer key. */
  deriveSharedSecret(materialId: string, peerPublicKey: Uint8Array): Promise<Uint8Array | undefined>;
  /** Whether `signature` is valid; never throws for a malformed signature. */
  verify(materialId: string, request: SignRequest & { readonly signature: Uint8Array }): Promise<boolean>;
}
