/**
 * The runtime's native crypto, found without an `import 'node:crypto'` (the browser bundle
 * must contain no `node:` import): Node ≥ 20.16 hands built-ins out via process.getBuiltinModule.
 */

interface NodeCipher {
  setAAD(aad: Uint8Array): unknown;
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
  getAuthTag(): Uint8Array;
}
interface NodeDecipher {
  setAAD(aad: Uint8Array): unknown;
  setAuthTag(tag: Uint8Array): unknown;
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
}

interface NodeHmac {
  update(data: Uint8Array): NodeHmac;
  digest(): Uint8Array;
}

/** The parts of node:crypto kmsbox uses. */
export interface NodeCryptoLike {
  createCipheriv(algorithm: string, key: Uint8Array, iv: Uint8Array, options?: { authTagLength: number }): NodeCipher;
  createDecipheriv(algorithm: string, key: Uint8Array, iv: Uint8Array, options?: { authTagLength: number }): NodeDecipher;
  createHmac(algorithm: string, key: Uint8Array): NodeHmac;
  createHash(algorithm: string): NodeHmac;
  hkdfSync(digest: string, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, keylen: number): ArrayBuffer;
}

const processLike = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;

export const nodeCrypto: NodeCryptoLike | undefined = processLike?.getBuiltinModule?.('node:crypto') as NodeCryptoLike | undefined;

export const subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle;
