/**
 * HMAC-SHA-224/256/384/512 for HMAC KMS keys: node:crypto where it exists, @noble/hashes
 * otherwise (WebCrypto's HMAC lives in the WebCrypto provider, on non-extractable keys).
 */
import { hmac as nobleHmacFn } from '@noble/hashes/hmac.js';
import { sha224, sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { nodeCrypto } from './runtime.js';

export type HmacHash = 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512';

export interface HmacBackend {
  readonly name: 'node' | 'noble';
  hmac(hash: HmacHash, key: Uint8Array, message: Uint8Array): Uint8Array;
}

const NOBLE = { 'SHA-224': sha224, 'SHA-256': sha256, 'SHA-384': sha384, 'SHA-512': sha512 } as const;

export const nobleHmac: HmacBackend = {
  name: 'noble',
  hmac: (hash, key, message) => nobleHmacFn(NOBLE[hash], key, message),
};

const NODE_NAMES = { 'SHA-224': 'sha224', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' } as const;

export const nodeHmac: HmacBackend | undefined = nodeCrypto && {
  name: 'node',
  hmac: (hash, key, message) => nodeCrypto!.createHmac(NODE_NAMES[hash], key).update(message).digest(),
};

export const hmac: HmacBackend = nodeHmac ?? nobleHmac;
