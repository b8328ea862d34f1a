/**
 * The RSA signature encodings of RFC 8017 over a given digest (MessageType DIGEST): EMSA-PSS with
 * salt length = hash length (as AWS KMS uses) and EMSA-PKCS1-v1_5. The hash is passed in, so the
 * node:crypto path and the portable path share one implementation.
 *
 * Kept as our own rather than a library (issue #12 §8): neither node:crypto nor WebCrypto signs or
 * verifies a precomputed digest with RSA (MessageType DIGEST), @noble has no RSA, and the RSA
 * libraries that do (node-forge, jsrsasign) bring their own bigint RSA, ASN.1 and hashes, about
 * 100 KB, for the 60 lines of RFC 8017 §9 used here. The encodings are checked against OpenSSL
 * (test/crypto/portable-asymmetric.test.ts) and Wycheproof (test/crypto/signatures.test.ts).
 */
import { concatBytes, equalBytes } from './bytes.js';
import { publicRandomBytes } from './random.js';

export type HashName = 'sha256' | 'sha384' | 'sha512';
/** The hash of the concatenation of `parts`. */
export type Digest = (...parts: Uint8Array[]) => Uint8Array;

const fromHex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g)!, (x) => parseInt(x, 16));

/** The DER DigestInfo prefixes of RFC 8017 §9.2. */
export const DIGEST_INFO: Readonly<Record<HashName, Uint8Array>> = {
  sha256: fromHex('3031300d060960864801650304020105000420'),
  sha384: fromHex('3041300d060960864801650304020205000430'),
  sha512: fromHex('3051300d060960864801650304020305000440'),
};

function mgf1(digest: Digest, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0, at = 0; at < length; i++) {
    const block = digest(seed, new Uint8Array([i >>> 24, (i >>> 16) & 255, (i >>> 8) & 255, i & 255]));
    out.set(block.subarray(0, Math.min(block.length, length - at)), at);
    at += block.length;
  }
  return out;
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with salt length = hash length. */
export function pssEncode(digest: Digest, mHash: Uint8Array, emBits: number): Uint8Array {
  const hLen = mHash.length;
  const emLen = Math.ceil(emBits / 8);
  const salt = publicRandomBytes(hLen); // recoverable from the signature by anyone
  const h = digest(new Uint8Array(8), mHash, salt);
  const db = new Uint8Array(emLen - hLen - 1);
  db[emLen - 2 * hLen - 2] = 1;
  db.set(salt, emLen - 2 * hLen - 1);
  const mask = mgf1(digest, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >>> (8 * emLen - emBits);
  return concatBytes(db, h, new Uint8Array([0xbc]));
}

/** EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with salt length = hash length. */
export function pssVerify(digest: Digest, mHash: Uint8Array, em: Uint8Array, emBits: number): boolean {
  const hLen = mHash.length;
  const emLen = Math.ceil(emBits / 8);
  if (em.length !== emLen || emLen < 2 * hLen + 2 || em[emLen - 1] !== 0xbc) return false;
  const db = em.slice(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  if ((db[0]! & ~(0xff >>> (8 * emLen - emBits)) & 0xff) !== 0) return false;
  const mask = mgf1(digest, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >>> (8 * emLen - emBits);
  for (let i = 0; i < emLen - 2 * hLen - 2; i++) if (db[i] !== 0) return false;
  if (db[emLen - 2 * hLen - 2] !== 1) return false;
  const salt = db.subarray(db.length - hLen);
  return equalBytes(digest(new Uint8Array(8), mHash, salt), h);
}

/** EMSA-PKCS1-v1_5-ENCODE (RFC 8017 §9.2) of a digest: 00 01 FF…FF 00 DigestInfo H, `emLen` bytes. */
export function pkcs1Encode(hash: HashName, mHash: Uint8Array, emLen: number): Uint8Array {
  const t = concatBytes(DIGEST_INFO[hash], mHash);
  if (emLen < t.length + 11) throw new Error('RSA modulus too short for this digest');
  const em = new Uint8Array(emLen).fill(0xff);
  em[0] = 0;
  em[1] = 1;
  em[emLen - t.length - 1] = 0;
  em.set(t, emLen - t.length);
  return em;
}
