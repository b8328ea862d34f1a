/**
 * The asymmetric half of this runtime's crypto backend (backend/index.ts), under the names the
 * software providers and GenerateDataKeyPair call. On Node it is node:crypto; elsewhere @noble/curves,
 * WebCrypto and bigint RSA for DIGEST verification only (RSA DIGEST signing is refused there:
 * UnsupportedOperationException, bigint RSA is not constant-time).
 */
import { backend } from './backend/index.js';

/** Which backend this runtime uses. */
export const asymmetricBackend: 'node' | 'portable' = backend.name;

export const { canGenerate, generatePrivateKey, publicKeyOf, sign, verify, rsaEncrypt, rsaDecrypt, deriveSharedSecret } =
  backend.asymmetric;
