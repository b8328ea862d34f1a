/**
 * Asymmetric keys held as PKCS#8 bytes (MemoryProvider, FileProvider, GenerateDataKeyPair): one
 * async interface over two implementations of the same thing. node:crypto (signatures.ts) where the
 * runtime has it, the fast path; otherwise signatures-portable.ts (@noble/curves, WebCrypto, and
 * bigint RSA for DIGEST verification only), so the same keys work in browsers; there RSA DIGEST
 * signing is refused (UnsupportedOperationException: bigint RSA is not constant-time).
 */
import type { KeySpec, SigningAlgorithmSpec } from '../api/enums.js';
import { nodeCrypto } from './runtime.js';
import * as native from './signatures.js';
import * as portable from './signatures-portable.js';
import type { MessageType } from './signatures.js';

type OaepAlgorithm = 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256';

/** Which implementation this runtime uses. */
export const asymmetricBackend: 'node' | 'portable' = nodeCrypto !== undefined ? 'node' : 'portable';
const useNode = asymmetricBackend === 'node';

export function canGenerate(spec: KeySpec): boolean {
  return useNode ? native.canGenerate(spec) : portable.canGenerate(spec);
}

/** A new private key as PKCS#8 DER. */
export async function generatePrivateKey(spec: KeySpec): Promise<Uint8Array> {
  return useNode ? native.generatePrivateKey(spec) : portable.generatePrivateKey(spec);
}

/** The SPKI DER public key of a PKCS#8 private key (the same buffer each time for one key: copy before handing it out). */
export function publicKeyOf(pkcs8: Uint8Array): Uint8Array {
  return useNode ? native.publicKeyOf(pkcs8) : portable.publicKeyOf(pkcs8);
}

export async function sign(
  pkcs8: Uint8Array,
  algorithm: SigningAlgorithmSpec,
  message: Uint8Array,
  type: MessageType,
): Promise<Uint8Array> {
  return useNode ? native.sign(pkcs8, algorithm, message, type) : portable.sign(pkcs8, algorithm, message, type);
}

export async function verify(
  spki: Uint8Array,
  algorithm: SigningAlgorithmSpec,
  message: Uint8Array,
  type: MessageType,
  signature: Uint8Array,
): Promise<boolean> {
  return useNode ? native.verify(spki, algorithm, message, type, signature) : portable.verify(spki, algorithm, message, type, signature);
}

export async function rsaEncrypt(pkcs8: Uint8Array, algorithm: OaepAlgorithm, plaintext: Uint8Array): Promise<Uint8Array> {
  return useNode ? native.rsaEncrypt(pkcs8, algorithm, plaintext) : portable.rsaEncrypt(pkcs8, algorithm, plaintext);
}

export async function rsaDecrypt(pkcs8: Uint8Array, algorithm: OaepAlgorithm, ciphertext: Uint8Array): Promise<Uint8Array | undefined> {
  return useNode ? native.rsaDecrypt(pkcs8, algorithm, ciphertext) : portable.rsaDecrypt(pkcs8, algorithm, ciphertext);
}

export async function deriveSharedSecret(pkcs8: Uint8Array, peerSpki: Uint8Array): Promise<Uint8Array | undefined> {
  return useNode ? native.deriveSharedSecret(pkcs8, peerSpki) : portable.deriveSharedSecret(pkcs8, peerSpki);
}
