/**
 * RSA without node:crypto. Key generation, RAW signing and verification, and RSAES-OAEP run in
 * WebCrypto (crypto.subtle), which takes the PKCS#8 / SPKI DER kmsbox keeps. WebCrypto always
 * hashes the message itself, so MessageType DIGEST verification is done here: RSAVP1 in bigint
 * arithmetic (public values only) and the RFC 8017 encodings (emsa.ts). DIGEST signing is refused
 * (portable-asymmetric.ts): a private-key operation in bigint arithmetic is not constant-time.
 */
import { pow } from '@noble/curves/abstract/modular.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { equalBytes } from '../bytes.js';
import { bigintToBytes, bytesToBigint } from '../der.js';
import { pkcs1Encode, pssVerify, type Digest, type HashName } from '../emsa.js';
import { parsePkcs8, rsaSpki, type RsaPrivate, type RsaPublic } from '../key-der.js';

export type RsaScheme = 'pss' | 'pkcs1';
export type OaepAlgorithm = 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256';

const HASHES = { sha256, sha384, sha512 } as const;
const WEB_HASH: Record<HashName, string> = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };
const WEB_NAME: Record<RsaScheme, string> = { pss: 'RSA-PSS', pkcs1: 'RSASSA-PKCS1-v1_5' };

export const digestOf =
  (hash: HashName): Digest =>
  (...parts) => {
    const h = HASHES[hash].create();
    for (const p of parts) h.update(p);
    return h.digest();
  };

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (s === undefined) throw new Error('RSA keys need WebCrypto (crypto.subtle) when node:crypto is absent');
  return s;
}

export const hasWebCrypto = (): boolean => globalThis.crypto?.subtle !== undefined;

const bitLength = (n: bigint): number => n.toString(2).length;

/** A new RSA private key (public exponent 65537) as PKCS#8 DER, made by WebCrypto. */
export async function generateRsa(modulusLength: number): Promise<Uint8Array> {
  const params: RsaHashedKeyGenParams = { name: 'RSA-PSS', modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  const pair = (await subtle().generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
  return new Uint8Array(await subtle().exportKey('pkcs8', pair.privateKey));
}

const parsed = new WeakMap<Uint8Array, RsaPrivate>();
/** The RSA private key in a PKCS#8 buffer (parsed once per buffer). */
export function rsaPrivate(pkcs8: Uint8Array): RsaPrivate {
  let key = parsed.get(pkcs8);
  if (key === undefined) {
    const info = parsePkcs8(pkcs8);
    if (info.type !== 'rsa') throw new Error('not an RSA private key');
    key = info.key;
    parsed.set(pkcs8, key);
  }
  return key;
}

export function rsaPublicKeyOf(pkcs8: Uint8Array): Uint8Array {
  return rsaSpki(rsaPrivate(pkcs8));
}

// Imported CryptoKeys, per key buffer and algorithm: importing costs more than one operation.
const imported = new WeakMap<Uint8Array, Map<string, Promise<CryptoKey>>>();
function importOnce(der: Uint8Array, format: 'pkcs8' | 'spki', algorithm: RsaHashedImportParams, usage: KeyUsage): Promise<CryptoKey> {
  let byAlgorithm = imported.get(der);
  if (byAlgorithm === undefined) imported.set(der, (byAlgorithm = new Map()));
  const id = `${format}/${algorithm.name}/${algorithm.hash as string}`;
  let key = byAlgorithm.get(id);
  if (key === undefined) {
    key = subtle().importKey(format, der as BufferSource, algorithm, false, [usage]);
    byAlgorithm.set(id, key);
    key.catch(() => byAlgorithm.delete(id)); // a bad key is not remembered
  }
  return key;
}

const webParams = (scheme: RsaScheme, hash: HashName): RsaPssParams | Algorithm =>
  scheme === 'pss' ? { name: 'RSA-PSS', saltLength: HASHES[hash].outputLen } : { name: WEB_NAME[scheme] };

/** RAW: WebCrypto hashes and signs `message`. */
export async function rsaSignMessage(pkcs8: Uint8Array, scheme: RsaScheme, hash: HashName, message: Uint8Array): Promise<Uint8Array> {
  const key = await importOnce(pkcs8, 'pkcs8', { name: WEB_NAME[scheme], hash: WEB_HASH[hash] }, 'sign');
  return new Uint8Array(await subtle().sign(webParams(scheme, hash), key, message as BufferSource));
}

export async function rsaVerifyMessage(
  spki: Uint8Array,
  scheme: RsaScheme,
  hash: HashName,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const key = await importOnce(spki, 'spki', { name: WEB_NAME[scheme], hash: WEB_HASH[hash] }, 'verify');
  return subtle().verify(webParams(scheme, hash), key, signature as BufferSource, message as BufferSource);
}

/** DIGEST: whether `signature` is valid for the digest under the public key (RSAVP1, then the encoding). */
export function rsaVerifyDigest(key: RsaPublic, scheme: RsaScheme, hash: HashName, digest: Uint8Array, signature: Uint8Array): boolean {
  const bits = bitLength(key.n);
  const size = Math.ceil(bits / 8);
  if (signature.length !== size) return false;
  const s = bytesToBigint(signature);
  if (s >= key.n) return false;
  const m = pow(s, key.e, key.n);
  if (scheme === 'pkcs1') {
    return equalBytes(bigintToBytes(m, size), pkcs1Encode(hash, digest, size));
  }
  const emLen = Math.ceil((bits - 1) / 8);
  if (m >> BigInt(emLen * 8) !== 0n) return false;
  return pssVerify(digestOf(hash), digest, bigintToBytes(m, emLen), bits - 1);
}

const oaep = (algorithm: OaepAlgorithm): RsaHashedImportParams => ({
  name: 'RSA-OAEP',
  hash: algorithm === 'RSAES_OAEP_SHA_1' ? 'SHA-1' : 'SHA-256',
});

export async function rsaOaepEncrypt(spki: Uint8Array, algorithm: OaepAlgorithm, plaintext: Uint8Array): Promise<Uint8Array> {
  const key = await importOnce(spki, 'spki', oaep(algorithm), 'encrypt');
  return new Uint8Array(await subtle().encrypt({ name: 'RSA-OAEP' }, key, plaintext as BufferSource));
}

/** The plaintext, or `undefined` when the ciphertext does not decrypt. */
export async function rsaOaepDecrypt(pkcs8: Uint8Array, algorithm: OaepAlgorithm, ciphertext: Uint8Array): Promise<Uint8Array | undefined> {
  const key = await importOnce(pkcs8, 'pkcs8', oaep(algorithm), 'decrypt');
  try {
    return new Uint8Array(await subtle().decrypt({ name: 'RSA-OAEP' }, key, ciphertext as BufferSource));
  } catch {
    return undefined;
  }
}
