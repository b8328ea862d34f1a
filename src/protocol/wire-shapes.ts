/**
 * What the awsJson1_1 wire form changes about a member (reference §3.1): blobs travel as base64
 * strings and timestamps as epoch seconds. One table of member names for both directions;
 * string maps (encryption contexts) are never descended into, since their keys are user data.
 */

export const BLOB_MEMBERS: ReadonlySet<string> = new Set([
  'Plaintext',
  'CiphertextBlob',
  'CiphertextForRecipient',
  'Message',
  'Signature',
  'Mac',
  'PublicKey',
  'PrivateKeyPlaintext',
  'PrivateKeyCiphertextBlob',
  'ImportToken',
  'EncryptedKeyMaterial',
  'AttestationDocument',
  'SharedSecret',
  'Ciphertext',
  'SharedSecretCiphertext',
]);

export const TIMESTAMP_MEMBERS: ReadonlySet<string> = new Set([
  'CreationDate',
  'DeletionDate',
  'ValidTo',
  'NextRotationDate',
  'OnDemandRotationStartDate',
  'LastUpdatedDate',
  'ParametersValidTo',
  'RotationDate',
  'Timestamp',
  'TrackingStartDate',
  'KeyCreationDate',
]);

/** Members that are string → string maps: their keys are user data, not member names. */
export const MAP_MEMBERS: ReadonlySet<string> = new Set([
  'EncryptionContext',
  'SourceEncryptionContext',
  'DestinationEncryptionContext',
  'EncryptionContextSubset',
  'EncryptionContextEquals',
]);

/** Every AWS KMS operation name (reference §1): an unknown target is UnknownOperationException, a known but unimplemented one UnsupportedOperationException. */
export const KMS_OPERATIONS: ReadonlySet<string> = new Set([
  'CancelKeyDeletion', 'ConnectCustomKeyStore', 'CreateAlias', 'CreateCustomKeyStore', 'CreateGrant', 'CreateKey',
  'Decapsulate', 'Decrypt', 'DeleteAlias', 'DeleteCustomKeyStore', 'DeleteImportedKeyMaterial', 'DeriveSharedSecret',
  'DescribeCustomKeyStores', 'DescribeKey', 'DisableKey', 'DisableKeyRotation', 'DisconnectCustomKeyStore', 'EnableKey',
  'EnableKeyRotation', 'Encapsulate', 'Encrypt', 'GenerateDataKey', 'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext',
  'GenerateDataKeyWithoutPlaintext', 'GenerateMac', 'GenerateRandom', 'GetKeyLastUsage', 'GetKeyPolicy', 'GetKeyRotationStatus',
  'GetParametersForImport', 'GetPublicKey', 'ImportKeyMaterial', 'ListAliases', 'ListGrants', 'ListKeyPolicies',
  'ListKeyRotations', 'ListKeys', 'ListResourceTags', 'ListRetirableGrants', 'PutKeyPolicy', 'ReEncrypt', 'ReplicateKey',
  'RetireGrant', 'RevokeGrant', 'RotateKeyOnDemand', 'ScheduleKeyDeletion', 'Sign', 'TagResource', 'UntagResource',
  'UpdateAlias', 'UpdateCustomKeyStore', 'UpdateKeyDescription', 'UpdatePrimaryRegion', 'Verify', 'VerifyMac',
]);
