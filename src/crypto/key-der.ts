/**
 * PKCS#8 private keys and SubjectPublicKeyInfo public keys, parsed and written without
 * node:crypto, for the specs kmsbox holds as PKCS#8: RSA (rsaEncryption), EC on the named curves
 * P-256/384/521 and secp256k1 (RFC 5915 ECPrivateKey), and Ed25519 (RFC 8410). What this writes
 * is byte for byte what OpenSSL writes for the same key.
 */
import { concatBytes, equalBytes } from './bytes.js';
import { DerError, expectTag, OID, readAll, readOnly, readUint, TAG, tlv, uintTlv } from './der.js';

export type CurveName = 'P-256' | 'P-384' | 'P-521' | 'secp256k1';

/** Per curve: its OID and the byte length of its scalars and field elements. */
export const CURVE_INFO: Readonly<Record<CurveName, { oid: Uint8Array; bytes: number }>> = {
  'P-256': { oid: OID.p256, bytes: 32 },
  'P-384': { oid: OID.p384, bytes: 48 },
  'P-521': { oid: OID.p521, bytes: 66 },
  secp256k1: { oid: OID.secp256k1, bytes: 32 },
};

export interface RsaPublic {
  readonly n: bigint;
  readonly e: bigint;
}
export interface RsaPrivate extends RsaPublic {
  readonly d: bigint;
  readonly p: bigint;
  readonly q: bigint;
  readonly dp: bigint;
  readonly dq: bigint;
  readonly qi: bigint;
}

export type PrivateKeyInfo =
  | { readonly type: 'rsa'; readonly key: RsaPrivate }
  | { readonly type: 'ec'; readonly curve: CurveName; readonly d: Uint8Array }
  | { readonly type: 'ed25519'; readonly seed: Uint8Array };

export type PublicKeyInfo =
  | { readonly type: 'rsa'; readonly key: RsaPublic }
  | { readonly type: 'ec'; readonly curve: CurveName; readonly point: Uint8Array }
  | { readonly type: 'ed25519'; readonly key: Uint8Array };

const NULL = tlv(TAG.NULL);
const oidTlv = (oid: Uint8Array): Uint8Array => tlv(TAG.OID, oid);

function curveOf(oid: Uint8Array): CurveName {
  for (const [name, info] of Object.entries(CURVE_INFO)) if (equalBytes(info.oid, oid)) return name as CurveName;
  throw new DerError('unsupported named curve');
}

/** AlgorithmIdentifier → which key type (and curve) it names. */
function algorithm(value: Uint8Array): { type: 'rsa' } | { type: 'ec'; curve: CurveName } | { type: 'ed25519' } {
  const [oid, params, ...rest] = readAll(value);
  const id = expectTag(oid, TAG.OID);
  if (equalBytes(id, OID.rsaEncryption)) {
    if (rest.length > 0 || (params !== undefined && (params.tag !== TAG.NULL || params.value.length !== 0)))
      throw new DerError('bad RSA parameters');
    return { type: 'rsa' };
  }
  if (equalBytes(id, OID.ecPublicKey)) {
    if (rest.length > 0) throw new DerError('bad EC parameters');
    return { type: 'ec', curve: curveOf(expectTag(params, TAG.OID)) };
  }
  if (equalBytes(id, OID.ed25519)) {
    if (params !== undefined) throw new DerError('Ed25519 takes no parameters');
    return { type: 'ed25519' };
  }
  throw new DerError('unsupported key algorithm');
}

/** A PKCS#8 (v1 or v2) private key. Optional EC parameters and public keys inside are ignored: the public key is always computed. */
export function parsePkcs8(der: Uint8Array): PrivateKeyInfo {
  const [version, alg, privateKey] = readAll(readOnly(der, TAG.SEQUENCE));
  const v = readUint(version);
  if (v !== 0n && v !== 1n) throw new DerError('unsupported PKCS#8 version');
  const a = algorithm(expectTag(alg, TAG.SEQUENCE));
  const inner = expectTag(privateKey, TAG.OCTET_STRING);
  switch (a.type) {
    case 'rsa': {
      const [ver, ...ints] = readAll(readOnly(inner, TAG.SEQUENCE));
      if (readUint(ver) !== 0n || ints.length !== 8) throw new DerError('unsupported RSAPrivateKey');
      const [n, e, d, p, q, dp, dq, qi] = ints.map((t) => readUint(t)) as [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
      return { type: 'rsa', key: { n, e, d, p, q, dp, dq, qi } };
    }
    case 'ec': {
      const [ver, secret] = readAll(readOnly(inner, TAG.SEQUENCE));
      if (readUint(ver) !== 1n) throw new DerError('unsupported ECPrivateKey version');
      const s = expectTag(secret, TAG.OCTET_STRING);
      const size = CURVE_INFO[a.curve].bytes;
      if (s.length === 0 || s.length > size) throw new DerError('bad EC private key length');
      const d = new Uint8Array(size);
      d.set(s, size - s.length);
      return { type: 'ec', curve: a.curve, d };
    }
    case 'ed25519': {
      const seed = readOnly(inner, TAG.OCTET_STRING);
      if (seed.length !== 32) throw new DerError('bad Ed25519 private key length');
      return { type: 'ed25519', seed: seed.slice() };
    }
  }
}

/** A SubjectPublicKeyInfo. EC points are returned as encoded (the curve code validates them). */
export function parseSpki(der: Uint8Array): PublicKeyInfo {
  const parts = readAll(readOnly(der, TAG.SEQUENCE));
  if (parts.length !== 2) throw new DerError('bad SubjectPublicKeyInfo');
  const a = algorithm(expectTag(parts[0], TAG.SEQUENCE));
  const bits = expectTag(parts[1], TAG.BIT_STRING);
  if (bits.length < 1 || bits[0] !== 0) throw new DerError('bad public key BIT STRING');
  const key = bits.subarray(1);
  switch (a.type) {
    case 'rsa': {
      const [n, e, ...rest] = readAll(readOnly(key, TAG.SEQUENCE));
      if (rest.length > 0) throw new DerError('bad RSAPublicKey');
      return { type: 'rsa', key: { n: readUint(n), e: readUint(e) } };
    }
    case 'ec':
      // SEC1 compressed (02/03) or uncompressed (04) only: RFC 5480 forbids the hybrid form
      // (06/07), which OpenSSL would accept and noble would not.
      if (key[0] !== 0x02 && key[0] !== 0x03 && key[0] !== 0x04) throw new DerError('EC point must be compressed or uncompressed');
      return { type: 'ec', curve: a.curve, point: key };
    case 'ed25519':
      if (key.length !== 32) throw new DerError('bad Ed25519 public key length');
      return { type: 'ed25519', key };
  }
}

function spki(alg: Uint8Array, key: Uint8Array): Uint8Array {
  return tlv(TAG.SEQUENCE, tlv(TAG.SEQUENCE, alg), tlv(TAG.BIT_STRING, new Uint8Array([0]), key));
}

const bigintBytes = (n: bigint): Uint8Array => {
  const hex = n.toString(16);
  return Uint8Array.from((hex.length % 2 ? `0${hex}` : hex).match(/../g)!, (x) => parseInt(x, 16));
};

export function rsaSpki(key: RsaPublic): Uint8Array {
  return spki(concatBytes(oidTlv(OID.rsaEncryption), NULL), tlv(TAG.SEQUENCE, uintTlv(bigintBytes(key.n)), uintTlv(bigintBytes(key.e))));
}

/** `point` is the SEC1 encoding (uncompressed, as OpenSSL exports). */
export function ecSpki(curve: CurveName, point: Uint8Array): Uint8Array {
  return spki(concatBytes(oidTlv(OID.ecPublicKey), oidTlv(CURVE_INFO[curve].oid)), point);
}

export function ed25519Spki(key: Uint8Array): Uint8Array {
  return spki(oidTlv(OID.ed25519), key);
}

/** PKCS#8 as OpenSSL writes an EC key: ECPrivateKey v1 with the public key and no repeated parameters. */
export function ecPkcs8(curve: CurveName, d: Uint8Array, point: Uint8Array): Uint8Array {
  const ecPrivateKey = tlv(
    TAG.SEQUENCE,
    uintTlv(new Uint8Array([1])),
    tlv(TAG.OCTET_STRING, d),
    tlv(0xa1, tlv(TAG.BIT_STRING, new Uint8Array([0]), point)),
  );
  return tlv(
    TAG.SEQUENCE,
    uintTlv(new Uint8Array([0])),
    tlv(TAG.SEQUENCE, concatBytes(oidTlv(OID.ecPublicKey), oidTlv(CURVE_INFO[curve].oid))),
    tlv(TAG.OCTET_STRING, ecPrivateKey),
  );
}

/** PKCS#8 v1 of an Ed25519 seed (RFC 8410), as OpenSSL writes it. */
export function ed25519Pkcs8(seed: Uint8Array): Uint8Array {
  return tlv(
    TAG.SEQUENCE,
    uintTlv(new Uint8Array([0])),
    tlv(TAG.SEQUENCE, oidTlv(OID.ed25519)),
    tlv(TAG.OCTET_STRING, tlv(TAG.OCTET_STRING, seed)),
  );
}
