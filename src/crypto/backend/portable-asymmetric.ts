/**
 * The portable backend's asymmetric keys (browsers, workers): the same PKCS#8 / SPKI DER material
 * and the same results as node-asymmetric.ts, from @noble/curves for EC and Ed25519 and from
 * WebCrypto plus bigint arithmetic for RSA DIGEST verification (portable-rsa.ts). Tests run it in
 * Node too, to check it against OpenSSL.
 */
import { ed25519, ed25519ph } from '@noble/curves/ed25519.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import type { KeySpec, SigningAlgorithmSpec } from '../../api/enums.js';
import { UnsupportedOperationException } from '../../errors.js';
import {
  CURVE_INFO,
  ecPkcs8,
  ecSpki,
  ed25519Pkcs8,
  ed25519Spki,
  parsePkcs8,
  parseSpki,
  type CurveName,
  type PrivateKeyInfo,
} from '../key-der.js';
import { randomBytes } from '../random.js';
import {
  generateRsa,
  hasWebCrypto,
  rsaOaepDecrypt,
  rsaOaepEncrypt,
  rsaPublicKeyOf,
  rsaSignMessage,
  rsaVerifyDigest,
  rsaVerifyMessage,
  type OaepAlgorithm,
} from './portable-rsa.js';
import { SIGNING, type MessageType } from '../signatures.js';
import type { AsymmetricBackend } from './types.js';

const CURVES = { 'P-256': p256, 'P-384': p384, 'P-521': p521, secp256k1 } as const;
const HASHES = { sha256, sha384, sha512 } as const;

const EC_SPECS: Partial<Record<KeySpec, CurveName>> = {
  ECC_NIST_P256: 'P-256',
  ECC_NIST_P384: 'P-384',
  ECC_NIST_P521: 'P-521',
  ECC_SECG_P256K1: 'secp256k1',
};
const RSA_BITS: Partial<Record<KeySpec, number>> = { RSA_2048: 2048, RSA_3072: 3072, RSA_4096: 4096 };

/** EC and Ed25519 always; RSA where the runtime has WebCrypto (key generation and OAEP need it). */
function canGenerate(spec: KeySpec): boolean {
  if (Object.hasOwn(EC_SPECS, spec) || spec === 'ECC_NIST_EDWARDS25519') return true;
  return Object.hasOwn(RSA_BITS, spec) && hasWebCrypto();
}

/** A new private key as PKCS#8 DER, encoded as OpenSSL encodes it. */
async function generatePrivateKey(spec: KeySpec): Promise<Uint8Array> {
  const curve = Object.hasOwn(EC_SPECS, spec) ? EC_SPECS[spec] : undefined;
  if (curve !== undefined) {
    const d = CURVES[curve].utils.randomSecretKey();
    return ecPkcs8(curve, d, CURVES[curve].getPublicKey(d, false));
  }
  if (spec === 'ECC_NIST_EDWARDS25519') return ed25519Pkcs8(randomBytes(32));
  const bits = Object.hasOwn(RSA_BITS, spec) ? RSA_BITS[spec] : undefined;
  if (bits === undefined) throw new Error(`cannot generate a ${spec} key pair`);
  return generateRsa(bits);
}

// Parsed keys and public keys, per material buffer.
const parsed = new WeakMap<Uint8Array, PrivateKeyInfo>();
const spkiOf = new WeakMap<Uint8Array, Uint8Array>();

function privateKey(pkcs8: Uint8Array): PrivateKeyInfo {
  let key = parsed.get(pkcs8);
  if (key === undefined) {
    key = parsePkcs8(pkcs8);
    parsed.set(pkcs8, key);
  }
  return key;
}

/** The SPKI DER public key of a PKCS#8 private key (the same buffer each time for one key). */
function publicKeyOf(pkcs8: Uint8Array): Uint8Array {
  let spki = spkiOf.get(pkcs8);
  if (spki === undefined) {
    const key = privateKey(pkcs8);
    switch (key.type) {
      case 'ec':
        spki = ecSpki(key.curve, CURVES[key.curve].getPublicKey(key.d, false));
        break;
      case 'ed25519':
        spki = ed25519Spki(ed25519.getPublicKey(key.seed));
        break;
      case 'rsa':
        spki = rsaPublicKeyOf(pkcs8);
        break;
    }
    spkiOf.set(pkcs8, spki);
  }
  return spki;
}

// ECDSA as KMS does it: DER signatures, no low-S normalisation (OpenSSL neither makes nor requires it).
const ECDSA_OPTIONS = { prehash: false, lowS: false, format: 'der' } as const;

/**
 * WebCrypto signs only messages it hashes itself, and the RSA private operation in bigint
 * arithmetic (the only other way without node:crypto) is not constant-time: its timing depends on
 * the private exponent. So, without node:crypto, RSA signs RAW messages only; verification of
 * DIGEST signatures (public-key work) is unaffected.
 */
function rsaDigestRefused(algorithm: SigningAlgorithmSpec, type: MessageType): UnsupportedOperationException {
  return new UnsupportedOperationException({
    message: `Without node:crypto, kmsbox signs RSA RAW messages only (WebCrypto cannot sign a precomputed digest, and bigint RSA is not constant-time), so not ${algorithm} with MessageType ${type}. Use MessageType RAW.`,
  });
}

async function sign(pkcs8: Uint8Array, algorithm: SigningAlgorithmSpec, message: Uint8Array, type: MessageType): Promise<Uint8Array> {
  const a = SIGNING[algorithm]!;
  const key = privateKey(pkcs8);
  switch (a.scheme) {
    case 'pss':
    case 'pkcs1':
      if (key.type !== 'rsa') break;
      if (type !== 'RAW') throw rsaDigestRefused(algorithm, type);
      return rsaSignMessage(pkcs8, a.scheme, a.hash, message);
    case 'ecdsa': {
      if (key.type !== 'ec') break;
      const digest = type === 'RAW' ? HASHES[a.hash](message) : message;
      // Hedged: RFC 6979 nonces mixed with fresh randomness.
      return CURVES[key.curve].sign(digest, key.d, { ...ECDSA_OPTIONS, extraEntropy: true });
    }
    case 'ed25519':
      if (key.type !== 'ed25519') break;
      if (type !== 'RAW') throw new Error('ED25519_SHA_512 signs RAW messages only');
      return ed25519.sign(message, key.seed);
    case 'ed25519ph':
      // As node-asymmetric.ts: KMS applies the Ed25519ph SHA-512 prehash to the digest it is given.
      if (key.type !== 'ed25519') break;
      return ed25519ph.sign(message, key.seed);
  }
  throw new Error(`${algorithm} does not apply to a ${key.type} key`);
}

/** Whether `signature` is valid; never throws for a malformed signature or key. */
async function verify(
  spki: Uint8Array,
  algorithm: SigningAlgorithmSpec,
  message: Uint8Array,
  type: MessageType,
  signature: Uint8Array,
): Promise<boolean> {
  const a = SIGNING[algorithm]!;
  try {
    const key = parseSpki(spki);
    switch (a.scheme) {
      case 'pss':
      case 'pkcs1':
        if (key.type !== 'rsa') return false;
        return type === 'RAW'
          ? await rsaVerifyMessage(spki, a.scheme, a.hash, message, signature)
          : rsaVerifyDigest(key.key, a.scheme, a.hash, message, signature);
      case 'ecdsa': {
        if (key.type !== 'ec') return false;
        const digest = type === 'RAW' ? HASHES[a.hash](message) : message;
        return CURVES[key.curve].verify(signature, digest, key.point, ECDSA_OPTIONS);
      }
      case 'ed25519':
        // Strict RFC 8032 (as OpenSSL): no ZIP-215 leniency for non-canonical encodings.
        return key.type === 'ed25519' && type === 'RAW' && ed25519.verify(signature, message, key.key, { zip215: false });
      case 'ed25519ph':
        return key.type === 'ed25519' && ed25519ph.verify(signature, message, key.key, { zip215: false });
    }
  } catch {
    return false;
  }
}

/**
 * ECDH: the raw shared X coordinate, as OpenSSL and AWS KMS give it; `undefined` when the peer
 * key is not a valid SPKI public key on the same curve.
 */
async function deriveSharedSecret(pkcs8: Uint8Array, peerSpki: Uint8Array): Promise<Uint8Array | undefined> {
  const key = privateKey(pkcs8);
  if (key.type !== 'ec') return undefined;
  try {
    const peer = parseSpki(peerSpki);
    if (peer.type !== 'ec' || peer.curve !== key.curve) return undefined;
    const shared = CURVES[key.curve].getSharedSecret(key.d, peer.point, true);
    return shared.slice(1, 1 + CURVE_INFO[key.curve].bytes);
  } catch {
    return undefined;
  }
}

/** RSAES-OAEP with MGF1 over the same hash, by WebCrypto. */
async function rsaEncrypt(pkcs8: Uint8Array, algorithm: OaepAlgorithm, plaintext: Uint8Array): Promise<Uint8Array> {
  return rsaOaepEncrypt(publicKeyOf(pkcs8), algorithm, plaintext);
}

async function rsaDecrypt(pkcs8: Uint8Array, algorithm: OaepAlgorithm, ciphertext: Uint8Array): Promise<Uint8Array | undefined> {
  return rsaOaepDecrypt(pkcs8, algorithm, ciphertext);
}

export const portableAsymmetric: AsymmetricBackend = {
  canGenerate,
  generatePrivateKey,
  publicKeyOf,
  sign,
  verify,
  rsaEncrypt,
  rsaDecrypt,
  deriveSharedSecret,
};
