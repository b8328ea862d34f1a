/**
 * AWS KMS enums as const objects plus same-named string-union types (the AWS SDK v3 style:
 * no TS `enum`, plain string literals accepted). The value lists follow @aws-sdk/client-kms so
 * code typed against the SDK passes its values straight in; what kmsbox supports is decided
 * by the key-spec table, not by these lists.
 */

function values<T extends string>(...names: T[]): { readonly [K in T]: K } {
  return Object.freeze(Object.fromEntries(names.map((n) => [n, n]))) as { readonly [K in T]: K };
}

export const KeySpec = values(
  'SYMMETRIC_DEFAULT',
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'ECC_NIST_EDWARDS25519',
  'HMAC_224',
  'HMAC_256',
  'HMAC_384',
  'HMAC_512',
  'ML_DSA_44',
  'ML_DSA_65',
  'ML_DSA_87',
  'ML_KEM_512',
  'ML_KEM_768',
  'ML_KEM_1024',
  'SM2',
);
export type KeySpec = (typeof KeySpec)[keyof typeof KeySpec];

/** Deprecated alias of KeySpec that AWS still reports for the older specs. */
export const CustomerMasterKeySpec = values(
  'SYMMETRIC_DEFAULT',
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'HMAC_224',
  'HMAC_256',
  'HMAC_384',
  'HMAC_512',
  'SM2',
);
export type CustomerMasterKeySpec = (typeof CustomerMasterKeySpec)[keyof typeof CustomerMasterKeySpec];

export const KeyUsageType = values('ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT', 'ENCAPSULATE_DECAPSULATE');
export type KeyUsageType = (typeof KeyUsageType)[keyof typeof KeyUsageType];

export const KeyState = values(
  'Creating',
  'Enabled',
  'Disabled',
  'PendingDeletion',
  'PendingImport',
  'PendingReplicaDeletion',
  'Unavailable',
  'Updating',
);
export type KeyState = (typeof KeyState)[keyof typeof KeyState];

export const OriginType = values('AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE');
export type OriginType = (typeof OriginType)[keyof typeof OriginType];

export const KeyManagerType = values('AWS', 'CUSTOMER');
export type KeyManagerType = (typeof KeyManagerType)[keyof typeof KeyManagerType];

export const EncryptionAlgorithmSpec = values('SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE');
export type EncryptionAlgorithmSpec = (typeof EncryptionAlgorithmSpec)[keyof typeof EncryptionAlgorithmSpec];

export const SigningAlgorithmSpec = values(
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
  'ECDSA_SHA_256',
  'ECDSA_SHA_384',
  'ECDSA_SHA_512',
  'ED25519_SHA_512',
  'ED25519_PH_SHA_512',
  'ML_DSA_SHAKE_256',
  'SM2DSA',
);
export type SigningAlgorithmSpec = (typeof SigningAlgorithmSpec)[keyof typeof SigningAlgorithmSpec];

// In the order AWS lists them in its enum validation message (AWS-recorded).
export const MacAlgorithmSpec = values('HMAC_SHA_384', 'HMAC_SHA_256', 'HMAC_SHA_224', 'HMAC_SHA_512');
export type MacAlgorithmSpec = (typeof MacAlgorithmSpec)[keyof typeof MacAlgorithmSpec];

export const KeyAgreementAlgorithmSpec = values('ECDH');
export type KeyAgreementAlgorithmSpec = (typeof KeyAgreementAlgorithmSpec)[keyof typeof KeyAgreementAlgorithmSpec];

export const EncapsulationAlgorithmSpec = values('ML_KEM');
export type EncapsulationAlgorithmSpec = (typeof EncapsulationAlgorithmSpec)[keyof typeof EncapsulationAlgorithmSpec];

export const DataKeySpec = values('AES_256', 'AES_128');
export type DataKeySpec = (typeof DataKeySpec)[keyof typeof DataKeySpec];

export const ExpirationModelType = values('KEY_MATERIAL_EXPIRES', 'KEY_MATERIAL_DOES_NOT_EXPIRE');
export type ExpirationModelType = (typeof ExpirationModelType)[keyof typeof ExpirationModelType];

/** GetParametersForImport WrappingAlgorithm (the model's AlgorithmSpec). */
export const AlgorithmSpec = values(
  'RSAES_PKCS1_V1_5',
  'RSAES_OAEP_SHA_1',
  'RSAES_OAEP_SHA_256',
  'RSA_AES_KEY_WRAP_SHA_1',
  'RSA_AES_KEY_WRAP_SHA_256',
  'SM2PKE',
);
export type AlgorithmSpec = (typeof AlgorithmSpec)[keyof typeof AlgorithmSpec];

export const WrappingKeySpec = values('RSA_2048', 'RSA_3072', 'RSA_4096', 'SM2');
export type WrappingKeySpec = (typeof WrappingKeySpec)[keyof typeof WrappingKeySpec];

export const ImportType = values('NEW_KEY_MATERIAL', 'EXISTING_KEY_MATERIAL');
export type ImportType = (typeof ImportType)[keyof typeof ImportType];

export const MultiRegionKeyType = values('PRIMARY', 'REPLICA');
export type MultiRegionKeyType = (typeof MultiRegionKeyType)[keyof typeof MultiRegionKeyType];

export const IncludeKeyMaterial = values('ALL_KEY_MATERIAL', 'ROTATIONS_ONLY');
export type IncludeKeyMaterial = (typeof IncludeKeyMaterial)[keyof typeof IncludeKeyMaterial];

export const ImportState = values('IMPORTED', 'PENDING_IMPORT');
export type ImportState = (typeof ImportState)[keyof typeof ImportState];

export const KeyMaterialState = values('CURRENT', 'NON_CURRENT', 'PENDING_ROTATION', 'PENDING_MULTI_REGION_IMPORT_AND_ROTATION');
export type KeyMaterialState = (typeof KeyMaterialState)[keyof typeof KeyMaterialState];

export const RotationType = values('AUTOMATIC', 'ON_DEMAND');
export type RotationType = (typeof RotationType)[keyof typeof RotationType];

export const DryRunModifierType = values('IGNORE_CIPHERTEXT');
export type DryRunModifierType = (typeof DryRunModifierType)[keyof typeof DryRunModifierType];

export const KeyEncryptionMechanism = values('RSAES_OAEP_SHA_256');
export type KeyEncryptionMechanism = (typeof KeyEncryptionMechanism)[keyof typeof KeyEncryptionMechanism];

export const MessageType = values('RAW', 'DIGEST', 'EXTERNAL_MU');
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const DataKeyPairSpec = values(
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'ECC_NIST_EDWARDS25519',
  'SM2',
  'ML_KEM_512',
  'ML_KEM_768',
  'ML_KEM_1024',
);
export type DataKeyPairSpec = (typeof DataKeyPairSpec)[keyof typeof DataKeyPairSpec];

export const GrantOperation = values(
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'ReEncryptFrom',
  'ReEncryptTo',
  'Sign',
  'Verify',
  'GetPublicKey',
  'CreateGrant',
  'RetireGrant',
  'DescribeKey',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateMac',
  'VerifyMac',
  'DeriveSharedSecret',
  // ML-KEM keys' operations (SDK 3.1164): valid in a grant, though no key kmsbox holds supports them.
  'Encapsulate',
  'Decapsulate',
);
export type GrantOperation = (typeof GrantOperation)[keyof typeof GrantOperation];
