/**
 * ML-DSA (FIPS 204) keys for ML_DSA_44/65/87 through @noble/post-quantum (no runtime here has it
 * natively). The material is the 32-byte key-generation seed; public keys travel as DER
 * SubjectPublicKeyInfo with the NIST OIDs; MessageType RAW signs the message (pure ML-DSA, empty
 * context) and EXTERNAL_MU signs a caller-computed 64-byte μ (FIPS 204 §6.2).
 */
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { concatBytes, equalBytes } from './bytes.js';
import type { MlDsaSpec } from './ml-dsa-spec.js';

export { isMlDsa, ML_DSA_SEED_BYTES, type MlDsaSpec, MU_BYTES } from './ml-dsa-spec.js';

const SCHEMES: Record<MlDsaSpec, typeof ml_dsa44> = { ML_DSA_44: ml_dsa44, ML_DSA_65: ml_dsa65, ML_DSA_87: ml_dsa87 };
/** The last byte of each parameter set's OID 2.16.840.1.101.3.4.3.{17,18,19}. */
const OID_LAST = { ML_DSA_44: 0x11, ML_DSA_65: 0x12, ML_DSA_87: 0x13 } as const;

// Key generation from the seed is the expensive step: once per seed buffer.
const keys = new WeakMap<Uint8Array, { publicKey: Uint8Array; secretKey: Uint8Array }>();
function keyPair(spec: MlDsaSpec, seed: Uint8Array) {
  let k = keys.get(seed);
  if (k === undefined) {
    k = SCHEMES[spec].keygen(seed);
    keys.set(seed, k);
  }
  return k;
}

/** DER length bytes. */
function derLength(n: number): Uint8Array {
  return n < 0x80 ? new Uint8Array([n]) : n < 0x100 ? new Uint8Array([0x81, n]) : new Uint8Array([0x82, n >> 8, n & 0xff]);
}

function algorithmIdentifier(spec: MlDsaSpec): Uint8Array {
  return new Uint8Array([0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, OID_LAST[spec]]);
}

/** SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier (no parameters), BIT STRING pk }. */
export function mlDsaPublicKey(spec: MlDsaSpec, seed: Uint8Array): Uint8Array {
  const pk = keyPair(spec, seed).publicKey;
  const bits = concatBytes(new Uint8Array([0x03]), derLength(pk.length + 1), new Uint8Array([0]), pk);
  const body = concatBytes(algorithmIdentifier(spec), bits);
  return concatBytes(new Uint8Array([0x30]), derLength(body.length), body);
}

/** The raw public key inside an SPKI of this parameter set, or `undefined`. */
function rawPublicKey(spec: MlDsaSpec, spki: Uint8Array): Uint8Array | undefined {
  const size = SCHEMES[spec].lengths.publicKey!;
  const expected = concatBytes(
    new Uint8Array([0x30]),
    derLength(13 + 1 + derLength(size + 1).length + 1 + size),
    algorithmIdentifier(spec),
    new Uint8Array([0x03]),
    derLength(size + 1),
    new Uint8Array([0]),
  );
  if (spki.length !== expected.length + size || !equalBytes(spki.subarray(0, expected.length), expected)) return undefined;
  return spki.subarray(expected.length);
}

export function mlDsaSign(spec: MlDsaSpec, seed: Uint8Array, message: Uint8Array, type: 'RAW' | 'EXTERNAL_MU'): Uint8Array {
  const { secretKey } = keyPair(spec, seed);
  return type === 'RAW' ? SCHEMES[spec].sign(message, secretKey) : SCHEMES[spec].internal.sign(message, secretKey, { externalMu: true });
}

export function mlDsaVerify(
  spec: MlDsaSpec,
  spki: Uint8Array,
  message: Uint8Array,
  type: 'RAW' | 'EXTERNAL_MU',
  signature: Uint8Array,
): boolean {
  const pk = rawPublicKey(spec, spki);
  if (pk === undefined) return false;
  try {
    return type === 'RAW'
      ? SCHEMES[spec].verify(signature, message, pk)
      : SCHEMES[spec].internal.verify(signature, message, pk, { externalMu: true });
  } catch {
    return false;
  }
}
