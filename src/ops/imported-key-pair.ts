/**
 * Imported asymmetric key material (ImportKeyMaterial into an RSA or ECC key): a PKCS#8 DER private
 * key (AWS developer guide, "Requirements for imported key material"), checked against the key's
 * spec and re-encoded as kmsbox (and OpenSSL) writes generated keys, so the provider only ever
 * holds material in one form whatever the importer's encoder wrote.
 *
 * Checked before anything is stored: the algorithm and curve are the key spec's; RSA has the
 * spec's modulus length and consistent CRT values (n = p·q, e·dP ≡ 1 mod p−1, e·dQ ≡ 1 mod q−1,
 * qInv·q ≡ 1 mod p); an EC scalar is in [1, n−1]. The public key is always computed from the
 * private key (an embedded ECPrivateKey publicKey is ignored: it could name another key), and a
 * sign-then-verify pairwise test (as FIPS 140-3 asks of imported key pairs) runs through the same
 * code that will sign with the key.
 */
import { IMPORTED_KEY_PAIRS, type ImportedKeyPairSpec, KEY_SPECS } from '../api/key-specs.js';
import { sign, verify } from '../crypto/asymmetric.js';
import { OID, TAG, tlv, uintTlv } from '../crypto/der.js';
import { CURVE_INFO, type CurveName, ecPkcs8, parsePkcs8, parseSpki, type RsaPrivate } from '../crypto/key-der.js';
import { webBackend } from '../crypto/backend/index.js';
import { IncorrectKeyMaterialException } from '../errors.js';

export interface CheckedKeyPair {
  /** The private key as PKCS#8 DER in kmsbox's canonical encoding: the caller wipes it. */
  readonly pkcs8: Uint8Array;
  /** Its SubjectPublicKeyInfo DER: what GetPublicKey will return. */
  readonly spki: Uint8Array;
}

const PAIRWISE_MESSAGE = new TextEncoder().encode('kmsbox imported key pair pairwise consistency test');

/**
 * `material` (a decrypted EncryptedKeyMaterial) as a key pair of `spec`, or
 * IncorrectKeyMaterialException saying what does not fit (never any of the key's values).
 */
export async function checkImportedKeyPair(spec: ImportedKeyPairSpec, material: Uint8Array): Promise<CheckedKeyPair> {
  const want = IMPORTED_KEY_PAIRS[spec];
  const refuse = (why: string) =>
    new IncorrectKeyMaterialException({ message: `The key material is not a valid ${spec} private key: ${why}.` });
  let info: ReturnType<typeof parsePkcs8>;
  try {
    info = parsePkcs8(material);
  } catch {
    throw refuse('it must be a DER-encoded PKCS #8 (RFC 5208) PrivateKeyInfo of an RSA or EC key on a named curve');
  }
  let pkcs8: Uint8Array;
  const portable = await webBackend.asymmetric();
  if (want.type === 'rsa') {
    if (info.type !== 'rsa') throw refuse(`it is ${describe(info)}, not an RSA key`);
    const bits = info.key.n.toString(2).length;
    if (bits !== want.bits) throw refuse(`its modulus is ${bits} bits, not ${want.bits}`);
    if (!consistentRsa(info.key)) throw refuse('its RSA private key values are inconsistent');
    pkcs8 = rsaPkcs8(info.key);
  } else {
    if (info.type !== 'ec') throw refuse(`it is ${describe(info)}, not an EC key on ${want.curve}`);
    if (info.curve !== want.curve) throw refuse(`it is an EC key on ${info.curve}, not on ${want.curve}`);
    const d = info.d;
    const bare = ecPkcs8WithoutPublicKey(want.curve, d);
    try {
      const parsed = parseSpki(portable.publicKeyOf(bare)); // computed from d; throws for d = 0 or d ≥ the curve order
      if (parsed.type !== 'ec') throw new Error('not an EC public key');
      pkcs8 = ecPkcs8(want.curve, d, parsed.point);
    } catch {
      throw refuse(`its private scalar is not in [1, n-1] for ${want.curve}`);
    } finally {
      d.fill(0);
      bare.fill(0);
    }
  }
  let spki: Uint8Array;
  try {
    spki = portable.publicKeyOf(pkcs8).slice();
    await pairwiseTest(spec, pkcs8, spki);
  } catch (error) {
    pkcs8.fill(0);
    if (error instanceof IncorrectKeyMaterialException) throw error;
    throw refuse('it failed the pairwise consistency test');
  }
  return { pkcs8, spki };
}

function describe(info: ReturnType<typeof parsePkcs8>): string {
  return info.type === 'rsa' ? 'an RSA key' : info.type === 'ec' ? `an EC key on ${info.curve}` : 'an Ed25519 key';
}

function modPositive(a: bigint, m: bigint): bigint {
  return ((a % m) + m) % m;
}

function consistentRsa(k: RsaPrivate): boolean {
  if (k.p < 3n || k.q < 3n || k.e < 3n || k.e % 2n === 0n || k.p * k.q !== k.n) return false;
  return (
    modPositive(k.e * k.dp, k.p - 1n) === 1n &&
    modPositive(k.e * k.dq, k.q - 1n) === 1n &&
    modPositive(k.qi * k.q, k.p) === 1n &&
    modPositive(k.e * k.d, k.p - 1n) === 1n &&
    modPositive(k.e * k.d, k.q - 1n) === 1n
  );
}

/** Sign with the private key and verify with the public key, with the spec's first signing algorithm. */
async function pairwiseTest(spec: ImportedKeyPairSpec, pkcs8: Uint8Array, spki: Uint8Array): Promise<void> {
  const algorithm = KEY_SPECS[spec].algorithms.SIGN_VERIFY?.[0];
  if (algorithm === undefined) throw new Error(`${spec} has no signing algorithm`);
  const signature = await sign(pkcs8, algorithm, PAIRWISE_MESSAGE, 'RAW');
  if (!(await verify(spki, algorithm, PAIRWISE_MESSAGE, 'RAW', signature))) throw new Error('pairwise test failed');
}

const unsignedBytes = (n: bigint): Uint8Array => {
  const hex = n.toString(16);
  return Uint8Array.from((hex.length % 2 ? `0${hex}` : hex).match(/../g) ?? [], (x) => Number.parseInt(x, 16));
};

/** PKCS#8 v1 of an RSAPrivateKey (RFC 8017 A.1.2, two primes), as OpenSSL writes it. */
function rsaPkcs8(k: RsaPrivate): Uint8Array {
  const ints = [k.n, k.e, k.d, k.p, k.q, k.dp, k.dq, k.qi].map((v) => uintTlv(unsignedBytes(v)));
  return tlv(
    TAG.SEQUENCE,
    uintTlv(new Uint8Array([0])),
    tlv(TAG.SEQUENCE, tlv(TAG.OID, OID.rsaEncryption), tlv(TAG.NULL)),
    tlv(TAG.OCTET_STRING, tlv(TAG.SEQUENCE, uintTlv(new Uint8Array([0])), ...ints)),
  );
}

/** PKCS#8 of an EC scalar alone, for computing its public key. */
function ecPkcs8WithoutPublicKey(curve: CurveName, d: Uint8Array): Uint8Array {
  return tlv(
    TAG.SEQUENCE,
    uintTlv(new Uint8Array([0])),
    tlv(TAG.SEQUENCE, tlv(TAG.OID, OID.ecPublicKey), tlv(TAG.OID, CURVE_INFO[curve].oid)),
    tlv(TAG.OCTET_STRING, tlv(TAG.SEQUENCE, uintTlv(new Uint8Array([1])), tlv(TAG.OCTET_STRING, d))),
  );
}
