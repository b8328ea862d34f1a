/**
 * The one table of key specs: which key usages each spec allows and which algorithms it
 * offers under each usage (`KeySpec` and `KeyUsage` in https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html).
 * Validation, providers and KeyMetadata all read it.
 */
import type {
  EncapsulationAlgorithmSpec,
  EncryptionAlgorithmSpec,
  KeyAgreementAlgorithmSpec,
  KeySpec,
  KeyUsageType,
  MacAlgorithmSpec,
  SigningAlgorithmSpec,
} from './enums.js';

export interface UsageAlgorithms {
  ENCRYPT_DECRYPT?: readonly EncryptionAlgorithmSpec[];
  SIGN_VERIFY?: readonly SigningAlgorithmSpec[];
  GENERATE_VERIFY_MAC?: readonly MacAlgorithmSpec[];
  KEY_AGREEMENT?: readonly KeyAgreementAlgorithmSpec[];
  ENCAPSULATE_DECAPSULATE?: readonly EncapsulationAlgorithmSpec[];
}

export interface KeySpecInfo {
  /** Algorithms by usage; the keys are the usages this spec allows. */
  readonly algorithms: UsageAlgorithms;
  /** AWS still reports the deprecated CustomerMasterKeySpec for the older specs. */
  readonly legacySpec: boolean;
  /** Automatic and on-demand rotation apply only to symmetric encryption keys. */
  readonly rotatable: boolean;
}

const RSA_SIGNING = [
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
] as const;
const RSA_ENCRYPTION = ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] as const;
const ML_DSA = { algorithms: { SIGN_VERIFY: ['ML_DSA_SHAKE_256'] }, legacySpec: false, rotatable: false } as const;
const ML_KEM = { algorithms: { ENCAPSULATE_DECAPSULATE: ['ML_KEM'] }, legacySpec: false, rotatable: false } as const;
const rsa = { algorithms: { ENCRYPT_DECRYPT: RSA_ENCRYPTION, SIGN_VERIFY: RSA_SIGNING }, legacySpec: true, rotatable: false } as const;
const ecc = (sig: SigningAlgorithmSpec): KeySpecInfo => ({
  algorithms: { SIGN_VERIFY: [sig], KEY_AGREEMENT: ['ECDH'] },
  legacySpec: true,
  rotatable: false,
});
const hmac = (mac: MacAlgorithmSpec): KeySpecInfo => ({
  algorithms: { GENERATE_VERIFY_MAC: [mac] },
  legacySpec: true,
  rotatable: false,
});

export const KEY_SPECS: { readonly [K in KeySpec]: KeySpecInfo } = {
  SYMMETRIC_DEFAULT: { algorithms: { ENCRYPT_DECRYPT: ['SYMMETRIC_DEFAULT'] }, legacySpec: true, rotatable: true },
  RSA_2048: rsa,
  RSA_3072: rsa,
  RSA_4096: rsa,
  ECC_NIST_P256: ecc('ECDSA_SHA_256'),
  ECC_NIST_P384: ecc('ECDSA_SHA_384'),
  ECC_NIST_P521: ecc('ECDSA_SHA_512'),
  // secp256k1 is SIGN_VERIFY only (AWS docs).
  ECC_SECG_P256K1: { algorithms: { SIGN_VERIFY: ['ECDSA_SHA_256'] }, legacySpec: true, rotatable: false },
  ECC_NIST_EDWARDS25519: {
    algorithms: { SIGN_VERIFY: ['ED25519_SHA_512', 'ED25519_PH_SHA_512'] },
    legacySpec: false,
    rotatable: false,
  },
  HMAC_224: hmac('HMAC_SHA_224'),
  HMAC_256: hmac('HMAC_SHA_256'),
  HMAC_384: hmac('HMAC_SHA_384'),
  HMAC_512: hmac('HMAC_SHA_512'),
  ML_DSA_44: ML_DSA,
  ML_DSA_65: ML_DSA,
  ML_DSA_87: ML_DSA,
  ML_KEM_512: ML_KEM,
  ML_KEM_768: ML_KEM,
  ML_KEM_1024: ML_KEM,
  SM2: {
    algorithms: { ENCRYPT_DECRYPT: ['SM2PKE'], SIGN_VERIFY: ['SM2DSA'], KEY_AGREEMENT: ['ECDH'] },
    legacySpec: true,
    rotatable: false,
  },
};

export function allowsUsage(spec: KeySpec, usage: KeyUsageType): boolean {
  return KEY_SPECS[spec].algorithms[usage] !== undefined;
}

/** RSA encryption: the largest plaintext per key spec and algorithm (https://docs.aws.amazon.com/kms/latest/APIReference/API_Encrypt.html). */
export const RSA_OAEP_LIMITS: Partial<Record<KeySpec, { RSAES_OAEP_SHA_1: number; RSAES_OAEP_SHA_256: number }>> = {
  RSA_2048: { RSAES_OAEP_SHA_1: 214, RSAES_OAEP_SHA_256: 190 },
  RSA_3072: { RSAES_OAEP_SHA_1: 342, RSAES_OAEP_SHA_256: 318 },
  RSA_4096: { RSAES_OAEP_SHA_1: 470, RSAES_OAEP_SHA_256: 446 },
};

/** HMAC key specs: their algorithm, hash and key length (the key is as long as the digest). */
export const HMAC_SPECS = {
  HMAC_224: { algorithm: 'HMAC_SHA_224', hash: 'SHA-224', bytes: 28 },
  HMAC_256: { algorithm: 'HMAC_SHA_256', hash: 'SHA-256', bytes: 32 },
  HMAC_384: { algorithm: 'HMAC_SHA_384', hash: 'SHA-384', bytes: 48 },
  HMAC_512: { algorithm: 'HMAC_SHA_512', hash: 'SHA-512', bytes: 64 },
} as const;

export type HmacKeySpec = keyof typeof HMAC_SPECS;

export function isHmacSpec(spec: KeySpec): spec is HmacKeySpec {
  return Object.hasOwn(HMAC_SPECS, spec);
}

/**
 * The asymmetric key specs whose material ImportKeyMaterial takes (a PKCS#8 private key), and
 * what it must be: AWS imports RSA and ECC key pairs (API reference, GetParametersForImport's
 * WrappingAlgorithm: "Supported for wrapping RSA and ECC key material"). SM2 is for China Regions
 * only; kmsbox does not import Ed25519 or ML-DSA material (README, "Imported key material").
 */
export const IMPORTED_KEY_PAIRS = {
  RSA_2048: { type: 'rsa', bits: 2048 },
  RSA_3072: { type: 'rsa', bits: 3072 },
  RSA_4096: { type: 'rsa', bits: 4096 },
  ECC_NIST_P256: { type: 'ec', curve: 'P-256' },
  ECC_NIST_P384: { type: 'ec', curve: 'P-384' },
  ECC_NIST_P521: { type: 'ec', curve: 'P-521' },
  ECC_SECG_P256K1: { type: 'ec', curve: 'secp256k1' },
} as const;

export type ImportedKeyPairSpec = keyof typeof IMPORTED_KEY_PAIRS;

export function isImportedKeyPairSpec(spec: KeySpec): spec is ImportedKeyPairSpec {
  return Object.hasOwn(IMPORTED_KEY_PAIRS, spec);
}

/** Whether a key of this spec can be created with Origin EXTERNAL. */
export function isImportableSpec(spec: KeySpec): boolean {
  return spec === 'SYMMETRIC_DEFAULT' || isHmacSpec(spec) || isImportedKeyPairSpec(spec);
}
