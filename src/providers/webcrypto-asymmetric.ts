/**
 * Asymmetric keys for WebCryptoProvider, held as non-extractable CryptoKeys.
 *
 * A WebCrypto private key is bound to one algorithm (and, for RSA, one hash), while a KMS key
 * offers several: an RSA signing key has six signing algorithms, an ECC_NIST key signs or agrees.
 * When one CryptoKey serves the key's usage (ECDSA, ECDH, Ed25519), it is generated non-extractable
 * and its private half never exists outside WebCrypto. Otherwise (RSA, or a caller that names no
 * usage), the pair is generated extractable once, its PKCS#8 imported non-extractable under each
 * algorithm the key needs, and that PKCS#8 buffer wiped: the private key is in script memory only
 * while the key is created.
 *
 * WebCrypto signs only messages it hashes itself, so MessageType DIGEST (and ED25519_PH_SHA_512,
 * which is DIGEST only) cannot be signed here: UnsupportedOperationException. Verification needs
 * only the public key and runs in software (crypto/backend/portable-asymmetric.ts), for every message type.
 * secp256k1 and ML-DSA are not WebCrypto algorithms: this provider does not hold them.
 */
import type { KeySpec, KeyUsageType } from '../api/enums.js';
import { CURVE_INFO, parseSpki } from '../crypto/key-der.js';
import { SIGNING } from '../crypto/signatures.js';
import { publicKeyOf } from '../crypto/asymmetric.js';
import { UnsupportedOperationException } from '../errors.js';
import { lazily } from '../lazy.js';
import type { SignRequest } from './types.js';
import { RSA, type Variant, variants, WEB_HASH } from './webcrypto-variants.js';

export interface HeldKeyPair {
  /** The private key, per variant name; never extractable. */
  readonly keys: Readonly<Record<string, CryptoKey>>;
  readonly spki: Uint8Array;
}

const PUBLIC_USE: Partial<Record<KeyUsage, KeyUsage>> = { sign: 'verify', decrypt: 'encrypt' };

function generateParams(spec: KeySpec, v: Variant): Algorithm {
  const bits = Object.hasOwn(RSA, spec) ? RSA[spec] : undefined;
  return bits === undefined
    ? v.algorithm
    : ({ ...v.algorithm, modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]) } as RsaHashedKeyGenParams);
}

/** A new key pair for `spec`, with a private CryptoKey for each algorithm of `usage` (every usage when not given). */
export async function generateKeyPair(subtle: SubtleCrypto, spec: KeySpec, usage?: KeyUsageType): Promise<HeldKeyPair> {
  const wanted = variants(spec).filter((v) => usage === undefined || v.usage === usage);
  const first = wanted[0];
  if (first === undefined)
    throw new UnsupportedOperationException({ message: `KeySpec ${spec} is not supported by the webcrypto provider.` });
  const uses = [...first.uses, ...first.uses.flatMap((u) => PUBLIC_USE[u] ?? [])];
  let pair: CryptoKeyPair;
  try {
    pair = (await subtle.generateKey(generateParams(spec, first), wanted.length > 1, uses)) as CryptoKeyPair;
  } catch (e) {
    if ((e as { name?: string }).name === 'NotSupportedError') {
      throw new UnsupportedOperationException({
        message: `This runtime's WebCrypto cannot make ${first.algorithm.name} keys, so KeySpec ${spec} is not supported by the webcrypto provider.`,
      });
    }
    throw e;
  }
  const spki = new Uint8Array(await subtle.exportKey('spki', pair.publicKey));
  if (wanted.length === 1) return { keys: { [first.name]: pair.privateKey }, spki };
  const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', pair.privateKey));
  try {
    const keys: Record<string, CryptoKey> = {};
    for (const v of wanted) keys[v.name] = await subtle.importKey('pkcs8', pkcs8 as BufferSource, v.algorithm, false, v.uses);
    return { keys, spki };
  } finally {
    pkcs8.fill(0);
  }
}

/** @noble/curves' NIST curves (to re-encode an ECDSA signature), loaded on the first ECDSA signature. */
const nist = lazily(async () => {
  const { p256, p384, p521 } = await import('../crypto/nist-curves.js');
  return { 'P-256': p256, 'P-384': p384, 'P-521': p521 } as const;
});

function curveOf(pair: HeldKeyPair): 'P-256' | 'P-384' | 'P-521' {
  const key = parseSpki(pair.spki);
  if (key.type !== 'ec' || key.curve === 'secp256k1') throw new Error('this key is not on a NIST curve');
  return key.curve;
}

/**
 * Imported material (ImportKeyMaterial): a PKCS#8 private key, already checked against the spec
 * (ops/imported-key-pair.ts), imported non-extractable under every algorithm of the spec (the
 * provider is not told the key's usage); the public key is computed in software from the same bytes.
 */
export async function importKeyPair(subtle: SubtleCrypto, spec: KeySpec, pkcs8: Uint8Array): Promise<HeldKeyPair> {
  const wanted = variants(spec);
  if (wanted.length === 0 || spec === 'ECC_NIST_EDWARDS25519') {
    throw new UnsupportedOperationException({ message: `Importing ${spec} key material is not supported by the webcrypto provider.` });
  }
  const keys: Record<string, CryptoKey> = {};
  try {
    for (const v of wanted) keys[v.name] = await subtle.importKey('pkcs8', pkcs8 as BufferSource, v.algorithm, false, v.uses);
  } catch (e) {
    // A key WebCrypto will not hold though kmsbox checked it: e.g. Chromium takes RSA public exponents 3 and 65537 only.
    throw new UnsupportedOperationException({
      message: `This runtime's WebCrypto refused the ${spec} private key (${(e as { name?: string }).name ?? 'error'}), so the webcrypto provider cannot hold it; use the memory or file provider.`,
    });
  }
  return { keys, spki: (await publicKeyOf(pkcs8)).slice() };
}

function held(pair: HeldKeyPair, name: string): CryptoKey {
  const key = Object.hasOwn(pair.keys, name) ? pair.keys[name] : undefined;
  if (key === undefined) throw new Error(`this key has no ${name} private key`);
  return key;
}

export async function signWith(subtle: SubtleCrypto, pair: HeldKeyPair, r: SignRequest): Promise<Uint8Array> {
  const a = SIGNING[r.algorithm];
  if (a === undefined) throw new Error(`${r.algorithm} is not a signing algorithm of this provider`);
  if (r.messageType !== 'RAW' || a.scheme === 'ed25519ph') {
    throw new UnsupportedOperationException({
      message: `The webcrypto provider signs RAW messages only (WebCrypto cannot sign a precomputed digest with a non-extractable key), so not ${r.algorithm} with MessageType ${r.messageType}. Use MessageType RAW, or the memory provider.`,
    });
  }
  const message = r.message as BufferSource;
  switch (a.scheme) {
    case 'ecdsa':
      // WebCrypto signs as IEEE P1363 r ‖ s; KMS returns DER.
      return (await nist())[curveOf(pair)].Signature.fromBytes(
        new Uint8Array(await subtle.sign({ name: 'ECDSA', hash: WEB_HASH[a.hash] } as EcdsaParams, held(pair, 'ECDSA'), message)),
        'compact',
      ).toBytes('der');
    case 'ed25519':
      return new Uint8Array(await subtle.sign('Ed25519', held(pair, 'Ed25519'), message));
    case 'pss':
      return new Uint8Array(
        await subtle.sign(
          { name: 'RSA-PSS', saltLength: a.digestBytes } as RsaPssParams,
          held(pair, `RSA-PSS/${WEB_HASH[a.hash]}`),
          message,
        ),
      );
    case 'pkcs1':
      return new Uint8Array(await subtle.sign('RSASSA-PKCS1-v1_5', held(pair, `RSASSA-PKCS1-v1_5/${WEB_HASH[a.hash]}`), message));
  }
}

export async function decryptWith(
  subtle: SubtleCrypto,
  pair: HeldKeyPair,
  algorithm: 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256',
  ciphertext: Uint8Array,
): Promise<Uint8Array | undefined> {
  const key = held(pair, algorithm === 'RSAES_OAEP_SHA_1' ? 'RSA-OAEP/SHA-1' : 'RSA-OAEP/SHA-256');
  try {
    return new Uint8Array(await subtle.decrypt({ name: 'RSA-OAEP' }, key, ciphertext as BufferSource));
  } catch {
    return undefined;
  }
}

/** ECDH: the shared X coordinate, or `undefined` when the peer key is not an SPKI public key on this key's curve. */
export async function deriveWith(subtle: SubtleCrypto, pair: HeldKeyPair, peerSpki: Uint8Array): Promise<Uint8Array | undefined> {
  const own = parseSpki(pair.spki);
  if (own.type !== 'ec') return undefined;
  try {
    const peer = parseSpki(peerSpki);
    if (peer.type !== 'ec' || peer.curve !== own.curve) return undefined;
    const algorithm = { name: 'ECDH', namedCurve: own.curve };
    const publicKey = await subtle.importKey('spki', peerSpki as BufferSource, algorithm, false, []);
    return new Uint8Array(
      await subtle.deriveBits(
        { name: 'ECDH', public: publicKey } as EcdhKeyDeriveParams,
        held(pair, 'ECDH'),
        CURVE_INFO[own.curve].bytes * 8,
      ),
    );
  } catch {
    return undefined;
  }
}
