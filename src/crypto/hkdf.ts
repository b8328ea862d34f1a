/** HKDF-SHA256 (RFC 5869) on the same three backends as AES-GCM. */
import { hkdf as nobleHkdfFn } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { nodeCrypto, subtle } from './runtime.js';

export interface HkdfBackend {
  readonly name: 'node' | 'webcrypto' | 'noble';
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array>;
}

export const nobleHkdf: HkdfBackend = {
  name: 'noble',
  async hkdfSha256(ikm, salt, info, length) {
    return nobleHkdfFn(sha256, ikm, salt, info, length);
  },
};

export const nodeHkdf: HkdfBackend | undefined = nodeCrypto && {
  name: 'node',
  async hkdfSha256(ikm, salt, info, length) {
    return new Uint8Array(nodeCrypto!.hkdfSync('sha256', ikm, salt, info, length));
  },
};

export const webCryptoHkdf: HkdfBackend | undefined = subtle && {
  name: 'webcrypto',
  async hkdfSha256(ikm, salt, info, length) {
    const key = await subtle!.importKey('raw', ikm as BufferSource, 'HKDF', false, ['deriveBits']);
    const params: HkdfParams = { name: 'HKDF', hash: 'SHA-256', salt: salt as BufferSource, info: info as BufferSource };
    return new Uint8Array(await subtle!.deriveBits(params, key, length * 8));
  },
};

export const hkdf: HkdfBackend = nodeHkdf ?? webCryptoHkdf ?? nobleHkdf;
