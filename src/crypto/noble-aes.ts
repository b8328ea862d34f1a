/**
 * @noble/ciphers' AES, as the one module a lazy `import()` names (src/lazy.ts): AES-GCM where the
 * runtime has no `crypto.subtle` (crypto/backend/portable.ts) and AES-KWP for imported key material
 * (ops/import.ts). A page with WebCrypto that imports no key material never loads it.
 */
export { aeskwp, gcm } from '@noble/ciphers/aes.js';
