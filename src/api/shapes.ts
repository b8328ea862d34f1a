/**
 * Request and response shapes of the AWS KMS operations kmsbox implements, field for field as
 * in the AWS SDK v3 (`@aws-sdk/client-kms`): PascalCase members, `Uint8Array` blobs, `Date`
 * timestamps, required members typed `T | undefined` (the SDK's spelling, so its inputs
 * assign to ours). Every output also carries `$metadata`, as the SDK's do.
 */
import type {
  AlgorithmSpec,
  CustomerMasterKeySpec,
  DataKeySpec,
  DataKeyPairSpec,
  DryRunModifierType,
  EncapsulationAlgorithmSpec,
  EncryptionAlgorithmSpec,
  ExpirationModelType,
  ImportState,
  IncludeKeyMaterial,
  KeyAgreementAlgorithmSpec,
  KeyEncryptionMechanism,
  KeyManagerType,
  KeyMaterialState,
  KeySpec,
  KeyState,
  KeyUsageType,
  MacAlgorithmSpec,
  MessageType,
  MultiRegionKeyType,
  OriginType,
  RotationType,
  SigningAlgorithmSpec,
  GrantOperation,
  ImportType,
  WrappingKeySpec,
} from './enums.js';
import type { ResponseMetadata } from '../errors.js';

export interface MetadataBearer {
  $metadata: ResponseMetadata;
}

/** The response of an operation AWS answers with no fields (its output is only `$metadata`). */
export type EmptyResponse = Record<never, never>;

export interface AliasListEntry {
  AliasName?: string | undefined;
  AliasArn?: string | undefined;
  TargetKeyId?: string | undefined;
  CreationDate?: Date | undefined;
  LastUpdatedDate?: Date | undefined;
}
export interface CancelKeyDeletionRequest {
  KeyId: string | undefined;
}
export interface CancelKeyDeletionResponse {
  KeyId?: string | undefined;
}
export interface CreateAliasRequest {
  AliasName: string | undefined;
  TargetKeyId: string | undefined;
}
export interface Tag {
  TagKey: string | undefined;
  TagValue: string | undefined;
}
export interface CreateKeyRequest {
  Policy?: string | undefined;
  Description?: string | undefined;
  KeyUsage?: KeyUsageType | undefined;
  CustomerMasterKeySpec?: CustomerMasterKeySpec | undefined;
  KeySpec?: KeySpec | undefined;
  Origin?: OriginType | undefined;
  CustomKeyStoreId?: string | undefined;
  BypassPolicyLockoutSafetyCheck?: boolean | undefined;
  Tags?: Tag[] | undefined;
  MultiRegion?: boolean | undefined;
  XksKeyId?: string | undefined;
}
export interface MultiRegionKey {
  Arn?: string | undefined;
  Region?: string | undefined;
}
export interface MultiRegionConfiguration {
  MultiRegionKeyType?: MultiRegionKeyType | undefined;
  PrimaryKey?: MultiRegionKey | undefined;
  ReplicaKeys?: MultiRegionKey[] | undefined;
}
export interface XksKeyConfigurationType {
  Id?: string | undefined;
}
export interface KeyMetadata {
  AWSAccountId?: string | undefined;
  KeyId: string | undefined;
  Arn?: string | undefined;
  CreationDate?: Date | undefined;
  Enabled?: boolean | undefined;
  Description?: string | undefined;
  KeyUsage?: KeyUsageType | undefined;
  KeyState?: KeyState | undefined;
  DeletionDate?: Date | undefined;
  ValidTo?: Date | undefined;
  Origin?: OriginType | undefined;
  CustomKeyStoreId?: string | undefined;
  CloudHsmClusterId?: string | undefined;
  ExpirationModel?: ExpirationModelType | undefined;
  KeyManager?: KeyManagerType | undefined;
  CustomerMasterKeySpec?: CustomerMasterKeySpec | undefined;
  KeySpec?: KeySpec | undefined;
  EncryptionAlgorithms?: EncryptionAlgorithmSpec[] | undefined;
  SigningAlgorithms?: SigningAlgorithmSpec[] | undefined;
  KeyAgreementAlgorithms?: KeyAgreementAlgorithmSpec[] | undefined;
  EncapsulationAlgorithms?: EncapsulationAlgorithmSpec[] | undefined;
  MultiRegion?: boolean | undefined;
  MultiRegionConfiguration?: MultiRegionConfiguration | undefined;
  PendingDeletionWindowInDays?: number | undefined;
  MacAlgorithms?: MacAlgorithmSpec[] | undefined;
  XksKeyConfiguration?: XksKeyConfigurationType | undefined;
  CurrentKeyMaterialId?: string | undefined;
}
export interface CreateKeyResponse {
  KeyMetadata?: KeyMetadata | undefined;
}
export interface DecryptRequest {
  CiphertextBlob?: Uint8Array | undefined;
  EncryptionContext?: Record<string, string> | undefined;
  GrantTokens?: string[] | undefined;
  KeyId?: string | undefined;
  EncryptionAlgorithm?: EncryptionAlgorithmSpec | undefined;
  Recipient?: RecipientInfo | undefined;
  DryRun?: boolean | undefined;
  DryRunModifiers?: DryRunModifierType[] | undefined;
}
export interface RecipientInfo {
  KeyEncryptionAlgorithm?: KeyEncryptionMechanism | undefined;
  AttestationDocument?: Uint8Array | undefined;
}
export interface DecryptResponse {
  KeyId?: string | undefined;
  Plaintext?: Uint8Array | undefined;
  EncryptionAlgorithm?: EncryptionAlgorithmSpec | undefined;
  CiphertextForRecipient?: Uint8Array | undefined;
  KeyMaterialId?: string | undefined;
}
export interface DeleteAliasRequest {
  AliasName: string | undefined;
}
export interface DescribeKeyRequest {
  KeyId: string | undefined;
  GrantTokens?: string[] | undefined;
}
export interface DescribeKeyResponse {
  KeyMetadata?: KeyMetadata | undefined;
}
export interface DisableKeyRequest {
  KeyId: string | undefined;
}
export interface DisableKeyRotationRequest {
  KeyId: string | undefined;
}
export interface EnableKeyRequest {
  KeyId: string | undefined;
}
export interface EnableKeyRotationRequest {
  KeyId: string | undefined;
  RotationPeriodInDays?: number | undefined;
}
export interface EncryptRequest {
  KeyId: string | undefined;
  Plaintext: Uint8Array | undefined;
  EncryptionContext?: Record<string, string> | undefined;
  GrantTokens?: string[] | undefined;
  EncryptionAlgorithm?: EncryptionAlgorithmSpec | undefined;
  DryRun?: boolean | undefined;
}
export interface EncryptResponse {
  CiphertextBlob?: Uint8Array | undefined;
  KeyId?: string | undefined;
  EncryptionAlgorithm?: EncryptionAlgorithmSpec | undefined;
}
export interface GenerateDataKeyRequest {
  KeyId: string | undefined;
  EncryptionContext?: Record<string, string> | undefined;
  NumberOfBytes?: number | undefined;
  KeySpec?: DataKeySpec | undefined;
  GrantTokens?: string[] | undefined;
  Recipient?: RecipientInfo | undefined;
  DryRun?: boolean | undefined;
}
export interface GenerateDataKeyResponse {
  CiphertextBlob?: Uint8Array | undefined;
  Plaintext?: Uint8Array | undefined;
  KeyId?: string | undefined;
  CiphertextForRecipient?: Uint8Array | undefined;
  KeyMaterialId?: string | undefined;
}
export interface GenerateDataKeyWithoutPlaintextRequest {
  KeyId: string | undefined;
  EncryptionContext?: Record<string, string> | undefined;
  KeySpec?: DataKeySpec | undefined;
  NumberOfBytes?: number | undefined;
  GrantTokens?: string[] | undefined;
  DryRun?: boolean | undefined;
}
export interface GenerateDataKeyWithoutPlaintextResponse {
  CiphertextBlob?: Uint8Array | undefined;
  KeyId?: string | undefined;
  KeyMaterialId?: string | undefined;
}
export interface GenerateRandomRequest {
  NumberOfBytes?: number | undefined;
  CustomKeyStoreId?: string | undefined;
  Recipient?: RecipientInfo | undefined;
}
export interface GenerateRandomResponse {
  Plaintext?: Uint8Array | undefined;
  CiphertextForRecipient?: Uint8Array | undefined;
}
export interface GetKeyRotationStatusRequest {
  KeyId: string | undefined;
}
export interface GetKeyRotationStatusResponse {
  KeyRotationEnabled?: boolean | undefined;
  KeyId?: string | undefined;
  RotationPeriodInDays?: number | undefined;
  NextRotationDate?: Date | undefined;
  OnDemandRotationStartDate?: Date | undefined;
}
export interface KeyListEntry {
  KeyId?: string | undefined;
  KeyArn?: string | undefined;
}
export interface ListAliasesRequest {
  KeyId?: string | undefined;
  Limit?: number | undefined;
  Marker?: string | undefined;
}
export interface ListAliasesResponse {
  Aliases?: AliasListEntry[] | undefined;
  NextMarker?: string | undefined;
  Truncated?: boolean | undefined;
}
export interface ListKeyRotationsRequest {
  KeyId: string | undefined;
  IncludeKeyMaterial?: IncludeKeyMaterial | undefined;
  Limit?: number | undefined;
  Marker?: string | undefined;
}
export interface RotationsListEntry {
  KeyId?: string | undefined;
  KeyMaterialId?: string | undefined;
  KeyMaterialDescription?: string | undefined;
  ImportState?: ImportState | undefined;
  KeyMaterialState?: KeyMaterialState | undefined;
  ExpirationModel?: ExpirationModelType | undefined;
  ValidTo?: Date | undefined;
  RotationDate?: Date | undefined;
  RotationType?: RotationType | undefined;
}
export interface ListKeyRotationsResponse {
  Rotations?: RotationsListEntry[] | undefined;
  NextMarker?: string | undefined;
  Truncated?: boolean | undefined;
}
export interface ListKeysRequest {
  Limit?: number | undefined;
  Marker?: string | undefined;
}
export interface ListKeysResponse {
  Keys?: KeyListEntry[] | undefined;
  NextMarker?: string | undefined;
  Truncated?: boolean | undefined;
}
export interface ListResourceTagsRequest {
  KeyId: string | undefined;
  Limit?: number | undefined;
  Marker?: string | undefined;
}
export interface ListResourceTagsResponse {
  Tags?: Tag[] | undefined;
  NextMarker?: string | undefined;
  Truncated?: boolean | undefined;
}
export interface ReEncryptRequest {
  CiphertextBlob?: Uint8Array | undefined;
  SourceEncryptionContext?: Record<string, string> | undefined;
  SourceKeyId?: string | undefined;
  DestinationKeyId: string | undefined;
  DestinationEncryptionContext?: Record<string, string> | undefined;
  SourceEncryptionAlgorithm?: EncryptionAlgorithmSpec | undefined;
  DestinationEncryptionAlgorithm?: EncryptionAlgorithmSpec | undefined;
  GrantTokens?: string[] | undefined;
  DryRun?: boolean | undefined;
  DryRunModifiers?: DryRunModifierType[] | undefined;
}
export interface ReEncryptResponse {
  CiphertextBlob?: Uint8Array | undefined;
  SourceKeyId?: string | undefined;
  KeyId?: string | undefined;
  SourceEncryptionAlgorithm?: EncryptionAlgorithmSpec | undefined;
  DestinationEncryptionAlgorithm?: EncryptionAlgorithmSpec | undefined;
  SourceKeyMaterialId?: string | undefined;
  DestinationKeyMaterialId?: string | undefined;
}
export interface RotateKeyOnDemandRequest {
  KeyId: string | undefined;
}
export interface RotateKeyOnDemandResponse {
  KeyId?: string | undefined;
}
export interface ReplicateKeyRequest {
  KeyId: string | undefined;
  ReplicaRegion: string | undefined;
  Policy?: string | undefined;
  BypassPolicyLockoutSafetyCheck?: boolean | undefined;
  Description?: string | undefined;
  Tags?: Tag[] | undefined;
}
export interface ReplicateKeyResponse {
  ReplicaKeyMetadata?: KeyMetadata | undefined;
  /** The replica's key policy, a JSON document as a string. */
  ReplicaPolicy?: string | undefined;
  ReplicaTags?: Tag[] | undefined;
}
export interface UpdatePrimaryRegionRequest {
  KeyId: string | undefined;
  PrimaryRegion: string | undefined;
}
export interface GetParametersForImportRequest {
  KeyId: string | undefined;
  WrappingAlgorithm: AlgorithmSpec | undefined;
  WrappingKeySpec: WrappingKeySpec | undefined;
}
export interface GetParametersForImportResponse {
  KeyId?: string | undefined;
  ImportToken?: Uint8Array | undefined;
  /** DER SubjectPublicKeyInfo of the RSA wrapping key. */
  PublicKey?: Uint8Array | undefined;
  ParametersValidTo?: Date | undefined;
}
export interface ImportKeyMaterialRequest {
  KeyId: string | undefined;
  ImportToken: Uint8Array | undefined;
  EncryptedKeyMaterial: Uint8Array | undefined;
  ValidTo?: Date | undefined;
  ExpirationModel?: ExpirationModelType | undefined;
  ImportType?: ImportType | undefined;
  KeyMaterialDescription?: string | undefined;
  KeyMaterialId?: string | undefined;
}
export interface ImportKeyMaterialResponse {
  KeyId?: string | undefined;
  KeyMaterialId?: string | undefined;
}
export interface DeleteImportedKeyMaterialRequest {
  KeyId: string | undefined;
  KeyMaterialId?: string | undefined;
}
export interface DeleteImportedKeyMaterialResponse {
  KeyId?: string | undefined;
  KeyMaterialId?: string | undefined;
}
export interface ScheduleKeyDeletionRequest {
  KeyId: string | undefined;
  PendingWindowInDays?: number | undefined;
}
export interface ScheduleKeyDeletionResponse {
  KeyId?: string | undefined;
  DeletionDate?: Date | undefined;
  KeyState?: KeyState | undefined;
  PendingWindowInDays?: number | undefined;
}
export interface TagResourceRequest {
  KeyId: string | undefined;
  Tags: Tag[] | undefined;
}
export interface UntagResourceRequest {
  KeyId: string | undefined;
  TagKeys: string[] | undefined;
}
export interface UpdateAliasRequest {
  AliasName: string | undefined;
  TargetKeyId: string | undefined;
}
export interface UpdateKeyDescriptionRequest {
  KeyId: string | undefined;
  Description: string | undefined;
}

export interface GenerateMacRequest {
  Message: Uint8Array | undefined;
  KeyId: string | undefined;
  MacAlgorithm: MacAlgorithmSpec | undefined;
  GrantTokens?: string[] | undefined;
  DryRun?: boolean | undefined;
}
export interface GenerateMacResponse {
  Mac?: Uint8Array | undefined;
  MacAlgorithm?: MacAlgorithmSpec | undefined;
  KeyId?: string | undefined;
}
export interface VerifyMacRequest {
  Message: Uint8Array | undefined;
  KeyId: string | undefined;
  MacAlgorithm: MacAlgorithmSpec | undefined;
  Mac: Uint8Array | undefined;
  GrantTokens?: string[] | undefined;
  DryRun?: boolean | undefined;
}
export interface VerifyMacResponse {
  KeyId?: string | undefined;
  MacValid?: boolean | undefined;
  MacAlgorithm?: MacAlgorithmSpec | undefined;
}

export interface SignRequest {
  KeyId: string | undefined;
  Message: Uint8Array | undefined;
  MessageType?: MessageType | undefined;
  GrantTokens?: string[] | undefined;
  SigningAlgorithm: SigningAlgorithmSpec | undefined;
  DryRun?: boolean | undefined;
}
export interface SignResponse {
  KeyId?: string | undefined;
  Signature?: Uint8Array | undefined;
  SigningAlgorithm?: SigningAlgorithmSpec | undefined;
}
export interface VerifyRequest {
  KeyId: string | undefined;
  Message: Uint8Array | undefined;
  MessageType?: MessageType | undefined;
  Signature: Uint8Array | undefined;
  SigningAlgorithm: SigningAlgorithmSpec | undefined;
  GrantTokens?: string[] | undefined;
  DryRun?: boolean | undefined;
}
export interface VerifyResponse {
  KeyId?: string | undefined;
  SignatureValid?: boolean | undefined;
  SigningAlgorithm?: SigningAlgorithmSpec | undefined;
}
export interface GetPublicKeyRequest {
  KeyId: string | undefined;
  GrantTokens?: string[] | undefined;
}
export interface GetPublicKeyResponse {
  KeyId?: string | undefined;
  PublicKey?: Uint8Array | undefined;
  CustomerMasterKeySpec?: CustomerMasterKeySpec | undefined;
  KeySpec?: KeySpec | undefined;
  KeyUsage?: KeyUsageType | undefined;
  EncryptionAlgorithms?: EncryptionAlgorithmSpec[] | undefined;
  SigningAlgorithms?: SigningAlgorithmSpec[] | undefined;
  KeyAgreementAlgorithms?: KeyAgreementAlgorithmSpec[] | undefined;
  EncapsulationAlgorithms?: EncapsulationAlgorithmSpec[] | undefined;
}

export interface GenerateDataKeyPairRequest {
  EncryptionContext?: Record<string, string> | undefined;
  KeyId: string | undefined;
  KeyPairSpec: DataKeyPairSpec | undefined;
  GrantTokens?: string[] | undefined;
  Recipient?: RecipientInfo | undefined;
  DryRun?: boolean | undefined;
}
export interface GenerateDataKeyPairResponse {
  PrivateKeyCiphertextBlob?: Uint8Array | undefined;
  PrivateKeyPlaintext?: Uint8Array | undefined;
  PublicKey?: Uint8Array | undefined;
  KeyId?: string | undefined;
  KeyPairSpec?: DataKeyPairSpec | undefined;
  CiphertextForRecipient?: Uint8Array | undefined;
  KeyMaterialId?: string | undefined;
}
export interface GenerateDataKeyPairWithoutPlaintextRequest {
  EncryptionContext?: Record<string, string> | undefined;
  KeyId: string | undefined;
  KeyPairSpec: DataKeyPairSpec | undefined;
  GrantTokens?: string[] | undefined;
  DryRun?: boolean | undefined;
}
export interface GenerateDataKeyPairWithoutPlaintextResponse {
  PrivateKeyCiphertextBlob?: Uint8Array | undefined;
  PublicKey?: Uint8Array | undefined;
  KeyId?: string | undefined;
  KeyPairSpec?: DataKeyPairSpec | undefined;
  KeyMaterialId?: string | undefined;
}

export interface DeriveSharedSecretRequest {
  KeyId: string | undefined;
  KeyAgreementAlgorithm: KeyAgreementAlgorithmSpec | undefined;
  PublicKey: Uint8Array | undefined;
  GrantTokens?: string[] | undefined;
  DryRun?: boolean | undefined;
  Recipient?: RecipientInfo | undefined;
}
export interface DeriveSharedSecretResponse {
  KeyId?: string | undefined;
  SharedSecret?: Uint8Array | undefined;
  CiphertextForRecipient?: Uint8Array | undefined;
  KeyAgreementAlgorithm?: KeyAgreementAlgorithmSpec | undefined;
  KeyOrigin?: OriginType | undefined;
}

// Key policies and grants.

export interface GetKeyPolicyRequest {
  KeyId: string | undefined;
  PolicyName?: string | undefined;
}
export interface GetKeyPolicyResponse {
  Policy?: string | undefined;
  PolicyName?: string | undefined;
}
export interface PutKeyPolicyRequest {
  KeyId: string | undefined;
  PolicyName?: string | undefined;
  Policy: string | undefined;
  BypassPolicyLockoutSafetyCheck?: boolean | undefined;
}
export interface ListKeyPoliciesRequest {
  KeyId: string | undefined;
  Limit?: number | undefined;
  Marker?: string | undefined;
}
export interface ListKeyPoliciesResponse {
  PolicyNames?: string[] | undefined;
  NextMarker?: string | undefined;
  Truncated?: boolean | undefined;
}
export interface GrantConstraints {
  EncryptionContextSubset?: Record<string, string> | undefined;
  EncryptionContextEquals?: Record<string, string> | undefined;
}
export interface CreateGrantRequest {
  KeyId: string | undefined;
  GranteePrincipal?: string | undefined;
  RetiringPrincipal?: string | undefined;
  Operations: GrantOperation[] | undefined;
  Constraints?: GrantConstraints | undefined;
  GrantTokens?: string[] | undefined;
  Name?: string | undefined;
  DryRun?: boolean | undefined;
  GranteeServicePrincipal?: string | undefined;
  RetiringServicePrincipal?: string | undefined;
}
export interface CreateGrantResponse {
  GrantToken?: string | undefined;
  GrantId?: string | undefined;
}
export interface GrantListEntry {
  KeyId?: string | undefined;
  GrantId?: string | undefined;
  Name?: string | undefined;
  CreationDate?: Date | undefined;
  GranteePrincipal?: string | undefined;
  RetiringPrincipal?: string | undefined;
  IssuingAccount?: string | undefined;
  Operations?: GrantOperation[] | undefined;
  Constraints?: GrantConstraints | undefined;
}
export interface ListGrantsRequest {
  Limit?: number | undefined;
  Marker?: string | undefined;
  KeyId: string | undefined;
  GrantId?: string | undefined;
  GranteePrincipal?: string | undefined;
  GranteeServicePrincipal?: string | undefined;
}
export interface ListGrantsResponse {
  Grants?: GrantListEntry[] | undefined;
  NextMarker?: string | undefined;
  Truncated?: boolean | undefined;
}
export interface ListRetirableGrantsRequest {
  Limit?: number | undefined;
  Marker?: string | undefined;
  RetiringPrincipal?: string | undefined;
  RetiringServicePrincipal?: string | undefined;
}
export interface RetireGrantRequest {
  GrantToken?: string | undefined;
  KeyId?: string | undefined;
  GrantId?: string | undefined;
  DryRun?: boolean | undefined;
}
export interface RevokeGrantRequest {
  KeyId: string | undefined;
  GrantId: string | undefined;
  DryRun?: boolean | undefined;
}
