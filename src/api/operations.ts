/**
 * The one operation table: every AWS KMS operation kmsbox implements, with its implementation, its
 * request and response members and their wire kinds, whether it writes, whether it acts on a key,
 * and whether another account may call it on a key. Everything else is derived from it: the `Kms`
 * methods and the command classes (generated into kms-methods.ts and ../commands.ts by
 * scripts/generate-operations.ts), the wire codec's member kinds (protocol/wire-shapes.ts), the CLI
 * verbs and their options (cli/verbs.ts), the sets the Kms consults, and the SDK-compatibility type
 * test (test/types/sdk-compat.ts). Adding an operation: an entry here, its implementation in ops/.
 *
 * It sits above ops/ (it imports the implementations); nothing in ops/ imports it.
 */
import type * as S from './shapes.js';
import type { Input } from './validate.js';
import type { Env } from '../ops/env.js';
import * as customKeyStores from '../ops/custom-key-stores.js';
import * as encryption from '../ops/encryption.js';
import * as keyLifecycle from '../ops/key-lifecycle.js';
import { lazily } from '../lazy.js';

/** A member's kind on the wire (awsJson1_1): what the codec converts and what the CLI parses. */
export type Kind = 'string' | 'integer' | 'boolean' | 'blob' | 'timestamp' | 'map' | ListKind | StructureKind;
export interface ListKind {
  readonly list: Kind;
}
export interface StructureKind {
  /** The Smithy shape name (`Tag`, `GrantConstraints`, …). */
  readonly structure: string;
  readonly members: Readonly<Record<string, Member>>;
}
export interface Member {
  readonly kind: Kind;
  /** Required in AWS's model (the CLI refuses to send a request without it, as botocore does). */
  readonly required: boolean;
}
/** Exactly the members of shape T, each with its kind: the compiler checks the table against shapes.ts. */
export type Members<T> = { readonly [K in keyof T]-?: Kind | Member };

/** A member AWS's model requires. */
export const required = (kind: Kind): Member => ({ kind, required: true });
const list = (item: Kind): ListKind => ({ list: item });
function structure<T>(name: string, members: Members<T>): StructureKind {
  return { structure: name, members: normalize(members) };
}
function normalize(members: Readonly<Record<string, Kind | Member>>): Readonly<Record<string, Member>> {
  return Object.fromEntries(
    Object.entries(members).map(([name, m]) => [name, typeof m === 'object' && 'kind' in m ? m : { kind: m, required: false }]),
  );
}

const strings = list('string');
const Tag = structure<S.Tag>('Tag', { TagKey: required('string'), TagValue: required('string') });
const Tags = list(Tag);
const RecipientInfo = structure<S.RecipientInfo>('RecipientInfo', { KeyEncryptionAlgorithm: 'string', AttestationDocument: 'blob' });
const GrantConstraints = structure<S.GrantConstraints>('GrantConstraints', {
  EncryptionContextSubset: 'map',
  EncryptionContextEquals: 'map',
});
const MultiRegionKey = structure<S.MultiRegionKey>('MultiRegionKey', { Arn: 'string', Region: 'string' });
const KeyMetadata = structure<S.KeyMetadata>('KeyMetadata', {
  AWSAccountId: 'string',
  KeyId: required('string'),
  Arn: 'string',
  CreationDate: 'timestamp',
  Enabled: 'boolean',
  Description: 'string',
  KeyUsage: 'string',
  KeyState: 'string',
  DeletionDate: 'timestamp',
  ValidTo: 'timestamp',
  Origin: 'string',
  CustomKeyStoreId: 'string',
  CloudHsmClusterId: 'string',
  ExpirationModel: 'string',
  KeyManager: 'string',
  CustomerMasterKeySpec: 'string',
  KeySpec: 'string',
  EncryptionAlgorithms: strings,
  SigningAlgorithms: strings,
  KeyAgreementAlgorithms: strings,
  EncapsulationAlgorithms: strings,
  MultiRegion: 'boolean',
  MultiRegionConfiguration: structure<S.MultiRegionConfiguration>('MultiRegionConfiguration', {
    MultiRegionKeyType: 'string',
    PrimaryKey: MultiRegionKey,
    ReplicaKeys: list(MultiRegionKey),
  }),
  PendingDeletionWindowInDays: 'integer',
  MacAlgorithms: strings,
  XksKeyConfiguration: structure<S.XksKeyConfigurationType>('XksKeyConfigurationType', { Id: 'string' }),
  CurrentKeyMaterialId: 'string',
});
const GrantListEntry = structure<S.GrantListEntry>('GrantListEntry', {
  KeyId: 'string',
  GrantId: 'string',
  Name: 'string',
  CreationDate: 'timestamp',
  GranteePrincipal: 'string',
  RetiringPrincipal: 'string',
  IssuingAccount: 'string',
  Operations: strings,
  Constraints: GrantConstraints,
});
const paged = { NextMarker: 'string', Truncated: 'boolean' } as const;
const keyIdOnly = { KeyId: required('string') };

/** One operation: its implementation and its model. */
export interface Operation<Request, Response> {
  /** A promise, or the response itself when nothing waited (Encrypt, Decrypt: ops/maybe.ts). */
  readonly run: (env: Env, input: Input) => Response | Promise<Response>;
  /** One line for the `Kms` method's TSDoc (the generator adds the link to the AWS API reference). */
  readonly summary: string;
  readonly request: Members<Request>;
  readonly response: Members<Response>;
  /** Changes state (CloudTrail `readOnly: false`). */
  readonly writes?: true;
  /** Acts on no key (or on many): only identity policies authorize it. */
  readonly keyless?: true;
  /** Another account's principal may call it on a key ("Cross-account use: Yes" in the API reference). */
  readonly crossAccount?: true;
  /** Type-only: the request and response shapes. */
  readonly types?: { readonly request: Request; readonly response: Response };
}
const op = <Request, Response>(o: Operation<Request, Response>): Operation<Request, Response> => o;

/**
 * The operations beyond key lifecycle and encryption (aliases, signing, grants, imports, MACs,
 * multi-Region, policies, rotation, tags): one module, loaded on the first call of any of them
 * (src/lazy.ts). A page that creates keys and encrypts never downloads them; one chunk rather than
 * one per family, because a split build makes a shared chunk per set of lazy modules that import a
 * file, and many small files cost more to load than they save (test/package/browser-bundle.test.ts).
 */
const lazyOperations = lazily(() => import('./lazy-operations.js'));
type LazyOperations = typeof import('./lazy-operations.js');

/** Operation `name` of `family`, with that operation's own signature, loaded on its first call. */
function later<F extends keyof LazyOperations, K extends keyof LazyOperations[F]>(family: F, name: K): LazyOperations[F][K] {
  type Run = (env: Env, input: Input) => unknown;
  // Once loaded, called directly: no promise of our own around every Sign, Verify… (issue #16).
  let loaded: Run | undefined;
  return ((env: Env, input: Input) => {
    if (loaded !== undefined) return loaded(env, input);
    return lazyOperations().then((m) => (loaded = m[family][name] as Run)(env, input));
  }) as LazyOperations[F][K];
}

export const OPERATIONS = {
  CancelKeyDeletion: op<S.CancelKeyDeletionRequest, S.CancelKeyDeletionResponse>({
    run: keyLifecycle.cancelKeyDeletion,
    summary: 'Cancels the deletion of a KMS key; the key becomes Disabled.',
    request: keyIdOnly,
    response: { KeyId: 'string' },
    writes: true,
  }),
  ConnectCustomKeyStore: op<customKeyStores.ConnectCustomKeyStoreRequest, S.EmptyResponse>({
    run: customKeyStores.connectCustomKeyStore,
    summary: 'Connects a custom key store to its backing key store: kmsbox has none to connect.',
    request: { CustomKeyStoreId: required('string') },
    response: {},
    writes: true,
    keyless: true,
  }),
  CreateAlias: op<S.CreateAliasRequest, S.EmptyResponse>({
    run: later('aliases', 'createAlias'),
    summary: 'Creates a friendly name (alias/…) for a KMS key.',
    request: { AliasName: required('string'), TargetKeyId: required('string') },
    response: {},
    writes: true,
  }),
  CreateGrant: op<S.CreateGrantRequest, S.CreateGrantResponse>({
    run: later('grants', 'createGrant'),
    summary: 'Adds a grant to a KMS key: permission for a principal to use it in the listed operations.',
    request: {
      KeyId: required('string'),
      GranteePrincipal: required('string'),
      RetiringPrincipal: 'string',
      Operations: required(strings),
      Constraints: GrantConstraints,
      GrantTokens: strings,
      Name: 'string',
      DryRun: 'boolean',
      GranteeServicePrincipal: 'string',
      RetiringServicePrincipal: 'string',
    },
    response: { GrantToken: 'string', GrantId: 'string' },
    writes: true,
    crossAccount: true,
  }),
  CreateKey: op<S.CreateKeyRequest, S.CreateKeyResponse>({
    run: keyLifecycle.createKey,
    summary: 'Creates a KMS key: symmetric, asymmetric, HMAC, multi-Region, or for imported key material.',
    request: {
      Policy: 'string',
      Description: 'string',
      KeyUsage: 'string',
      CustomerMasterKeySpec: 'string',
      KeySpec: 'string',
      Origin: 'string',
      CustomKeyStoreId: 'string',
      BypassPolicyLockoutSafetyCheck: 'boolean',
      Tags,
      MultiRegion: 'boolean',
      XksKeyId: 'string',
    },
    response: { KeyMetadata },
    writes: true,
    keyless: true,
  }),
  Decrypt: op<S.DecryptRequest, S.DecryptResponse>({
    run: encryption.decrypt,
    summary: 'Decrypts ciphertext that was encrypted under a KMS key.',
    request: {
      CiphertextBlob: required('blob'),
      EncryptionContext: 'map',
      GrantTokens: strings,
      KeyId: 'string',
      EncryptionAlgorithm: 'string',
      Recipient: RecipientInfo,
      DryRun: 'boolean',
      DryRunModifiers: strings,
    },
    response: {
      KeyId: 'string',
      Plaintext: 'blob',
      EncryptionAlgorithm: 'string',
      CiphertextForRecipient: 'blob',
      KeyMaterialId: 'string',
    },
    crossAccount: true,
  }),
  DeleteAlias: op<S.DeleteAliasRequest, S.EmptyResponse>({
    run: later('aliases', 'deleteAlias'),
    summary: 'Deletes an alias.',
    request: { AliasName: required('string') },
    response: {},
    writes: true,
  }),
  DeleteCustomKeyStore: op<customKeyStores.DeleteCustomKeyStoreRequest, S.EmptyResponse>({
    run: customKeyStores.deleteCustomKeyStore,
    summary: 'Deletes a custom key store: kmsbox has none to delete.',
    request: { CustomKeyStoreId: required('string') },
    response: {},
    writes: true,
    keyless: true,
  }),
  DeleteImportedKeyMaterial: op<S.DeleteImportedKeyMaterialRequest, S.DeleteImportedKeyMaterialResponse>({
    run: later('imports', 'deleteImportedKeyMaterial'),
    summary: 'Deletes imported key material from a KMS key; the key becomes PendingImport.',
    request: { KeyId: required('string'), KeyMaterialId: 'string' },
    response: { KeyId: 'string', KeyMaterialId: 'string' },
    writes: true,
  }),
  DeriveSharedSecret: op<S.DeriveSharedSecretRequest, S.DeriveSharedSecretResponse>({
    run: later('asymmetric', 'deriveSharedSecret'),
    summary: "Derives a shared secret (ECDH) from a key agreement key's private key and another party's public key.",
    request: {
      KeyId: required('string'),
      KeyAgreementAlgorithm: required('string'),
      PublicKey: required('blob'),
      GrantTokens: strings,
      DryRun: 'boolean',
      Recipient: RecipientInfo,
    },
    response: {
      KeyId: 'string',
      SharedSecret: 'blob',
      CiphertextForRecipient: 'blob',
      KeyAgreementAlgorithm: 'string',
      KeyOrigin: 'string',
    },
    crossAccount: true,
  }),
  DescribeCustomKeyStores: op<customKeyStores.DescribeCustomKeyStoresRequest, customKeyStores.DescribeCustomKeyStoresResponse>({
    run: customKeyStores.describeCustomKeyStores,
    summary: 'Describes the custom key stores of the account and Region: kmsbox has none.',
    request: { CustomKeyStoreId: 'string', CustomKeyStoreName: 'string', Limit: 'integer', Marker: 'string' },
    response: {
      CustomKeyStores: list(
        structure<customKeyStores.CustomKeyStoresListEntry>('CustomKeyStoresListEntry', {
          CustomKeyStoreId: 'string',
          CustomKeyStoreName: 'string',
          CloudHsmClusterId: 'string',
          TrustAnchorCertificate: 'string',
          ConnectionState: 'string',
          ConnectionErrorCode: 'string',
          CreationDate: 'timestamp',
          CustomKeyStoreType: 'string',
          XksProxyConfiguration: structure<customKeyStores.XksProxyConfigurationType>('XksProxyConfigurationType', {
            Connectivity: 'string',
            AccessKeyId: 'string',
            UriEndpoint: 'string',
            UriPath: 'string',
            VpcEndpointServiceName: 'string',
            VpcEndpointServiceOwner: 'string',
          }),
        }),
      ),
      ...paged,
    },
    keyless: true,
  }),
  DescribeKey: op<S.DescribeKeyRequest, S.DescribeKeyResponse>({
    run: keyLifecycle.describeKey,
    summary: 'Returns the metadata of a KMS key.',
    request: { KeyId: required('string'), GrantTokens: strings },
    response: { KeyMetadata },
    crossAccount: true,
  }),
  DisableKey: op<S.DisableKeyRequest, S.EmptyResponse>({
    run: keyLifecycle.disableKey,
    summary: 'Disables a KMS key: it cannot be used in cryptographic operations until enabled.',
    request: keyIdOnly,
    response: {},
    writes: true,
  }),
  DisableKeyRotation: op<S.DisableKeyRotationRequest, S.EmptyResponse>({
    run: later('rotation', 'disableKeyRotation'),
    summary: 'Disables automatic rotation of the key material of a KMS key.',
    request: keyIdOnly,
    response: {},
    writes: true,
  }),
  DisconnectCustomKeyStore: op<customKeyStores.DisconnectCustomKeyStoreRequest, S.EmptyResponse>({
    run: customKeyStores.disconnectCustomKeyStore,
    summary: 'Disconnects a custom key store from its backing key store: kmsbox has none to disconnect.',
    request: { CustomKeyStoreId: required('string') },
    response: {},
    writes: true,
    keyless: true,
  }),
  EnableKey: op<S.EnableKeyRequest, S.EmptyResponse>({
    run: keyLifecycle.enableKey,
    summary: 'Enables a KMS key: it can be used in cryptographic operations again.',
    request: keyIdOnly,
    response: {},
    writes: true,
  }),
  EnableKeyRotation: op<S.EnableKeyRotationRequest, S.EmptyResponse>({
    run: later('rotation', 'enableKeyRotation'),
    summary: 'Enables automatic rotation of the key material of a KMS key, with an optional period.',
    request: { KeyId: required('string'), RotationPeriodInDays: 'integer' },
    response: {},
    writes: true,
  }),
  Encrypt: op<S.EncryptRequest, S.EncryptResponse>({
    run: encryption.encrypt,
    summary: 'Encrypts plaintext of up to 4,096 bytes under a KMS key.',
    request: {
      KeyId: required('string'),
      Plaintext: required('blob'),
      EncryptionContext: 'map',
      GrantTokens: strings,
      EncryptionAlgorithm: 'string',
      DryRun: 'boolean',
    },
    response: { CiphertextBlob: 'blob', KeyId: 'string', EncryptionAlgorithm: 'string' },
    crossAccount: true,
  }),
  GenerateDataKey: op<S.GenerateDataKeyRequest, S.GenerateDataKeyResponse>({
    run: encryption.generateDataKey,
    summary: 'Returns a new data key: its plaintext and a copy encrypted under a KMS key.',
    request: {
      KeyId: required('string'),
      EncryptionContext: 'map',
      NumberOfBytes: 'integer',
      KeySpec: 'string',
      GrantTokens: strings,
      Recipient: RecipientInfo,
      DryRun: 'boolean',
    },
    response: { CiphertextBlob: 'blob', Plaintext: 'blob', KeyId: 'string', CiphertextForRecipient: 'blob', KeyMaterialId: 'string' },
    crossAccount: true,
  }),
  GenerateDataKeyPair: op<S.GenerateDataKeyPairRequest, S.GenerateDataKeyPairResponse>({
    run: encryption.generateDataKeyPair,
    summary: 'Returns a new asymmetric data key pair: the public key, the private key, and the private key encrypted under a KMS key.',
    request: {
      EncryptionContext: 'map',
      KeyId: required('string'),
      KeyPairSpec: required('string'),
      GrantTokens: strings,
      Recipient: RecipientInfo,
      DryRun: 'boolean',
    },
    response: {
      PrivateKeyCiphertextBlob: 'blob',
      PrivateKeyPlaintext: 'blob',
      PublicKey: 'blob',
      KeyId: 'string',
      KeyPairSpec: 'string',
      CiphertextForRecipient: 'blob',
      KeyMaterialId: 'string',
    },
    crossAccount: true,
  }),
  GenerateDataKeyPairWithoutPlaintext: op<S.GenerateDataKeyPairWithoutPlaintextRequest, S.GenerateDataKeyPairWithoutPlaintextResponse>({
    run: encryption.generateDataKeyPairWithoutPlaintext,
    summary: 'Returns a new asymmetric data key pair: the public key and the private key encrypted under a KMS key.',
    request: {
      EncryptionContext: 'map',
      KeyId: required('string'),
      KeyPairSpec: required('string'),
      GrantTokens: strings,
      DryRun: 'boolean',
    },
    response: { PrivateKeyCiphertextBlob: 'blob', PublicKey: 'blob', KeyId: 'string', KeyPairSpec: 'string', KeyMaterialId: 'string' },
    crossAccount: true,
  }),
  GenerateDataKeyWithoutPlaintext: op<S.GenerateDataKeyWithoutPlaintextRequest, S.GenerateDataKeyWithoutPlaintextResponse>({
    run: encryption.generateDataKeyWithoutPlaintext,
    summary: 'Returns a new data key encrypted under a KMS key, without its plaintext.',
    request: {
      KeyId: required('string'),
      EncryptionContext: 'map',
      KeySpec: 'string',
      NumberOfBytes: 'integer',
      GrantTokens: strings,
      DryRun: 'boolean',
    },
    response: { CiphertextBlob: 'blob', KeyId: 'string', KeyMaterialId: 'string' },
    crossAccount: true,
  }),
  GenerateMac: op<S.GenerateMacRequest, S.GenerateMacResponse>({
    run: later('mac', 'generateMac'),
    summary: 'Computes the HMAC of a message under an HMAC KMS key.',
    request: {
      Message: required('blob'),
      KeyId: required('string'),
      MacAlgorithm: required('string'),
      GrantTokens: strings,
      DryRun: 'boolean',
    },
    response: { Mac: 'blob', MacAlgorithm: 'string', KeyId: 'string' },
    crossAccount: true,
  }),
  GenerateRandom: op<S.GenerateRandomRequest, S.GenerateRandomResponse>({
    run: encryption.generateRandom,
    summary: 'Returns random bytes.',
    request: { NumberOfBytes: 'integer', CustomKeyStoreId: 'string', Recipient: RecipientInfo },
    response: { Plaintext: 'blob', CiphertextForRecipient: 'blob' },
    keyless: true,
  }),
  GetKeyPolicy: op<S.GetKeyPolicyRequest, S.GetKeyPolicyResponse>({
    run: later('policies', 'getKeyPolicy'),
    summary: 'Returns the key policy of a KMS key.',
    request: { KeyId: required('string'), PolicyName: 'string' },
    response: { Policy: 'string', PolicyName: 'string' },
  }),
  GetKeyRotationStatus: op<S.GetKeyRotationStatusRequest, S.GetKeyRotationStatusResponse>({
    run: later('rotation', 'getKeyRotationStatus'),
    summary: "Tells whether automatic rotation is enabled for a KMS key, its period, and the next rotation's date.",
    request: keyIdOnly,
    response: {
      KeyRotationEnabled: 'boolean',
      KeyId: 'string',
      RotationPeriodInDays: 'integer',
      NextRotationDate: 'timestamp',
      OnDemandRotationStartDate: 'timestamp',
    },
    crossAccount: true,
  }),
  GetParametersForImport: op<S.GetParametersForImportRequest, S.GetParametersForImportResponse>({
    run: later('imports', 'getParametersForImport'),
    summary: 'Returns a public wrapping key and an import token for importing key material into a KMS key.',
    request: { KeyId: required('string'), WrappingAlgorithm: required('string'), WrappingKeySpec: required('string') },
    response: { KeyId: 'string', ImportToken: 'blob', PublicKey: 'blob', ParametersValidTo: 'timestamp' },
  }),
  GetPublicKey: op<S.GetPublicKeyRequest, S.GetPublicKeyResponse>({
    run: later('asymmetric', 'getPublicKey'),
    summary: 'Returns the public key of an asymmetric KMS key (DER SubjectPublicKeyInfo).',
    request: { KeyId: required('string'), GrantTokens: strings },
    response: {
      KeyId: 'string',
      PublicKey: 'blob',
      CustomerMasterKeySpec: 'string',
      KeySpec: 'string',
      KeyUsage: 'string',
      EncryptionAlgorithms: strings,
      SigningAlgorithms: strings,
      KeyAgreementAlgorithms: strings,
      EncapsulationAlgorithms: strings,
    },
    crossAccount: true,
  }),
  ImportKeyMaterial: op<S.ImportKeyMaterialRequest, S.ImportKeyMaterialResponse>({
    run: later('imports', 'importKeyMaterial'),
    summary: 'Imports key material, wrapped under the public key from GetParametersForImport, into a KMS key.',
    request: {
      KeyId: required('string'),
      ImportToken: required('blob'),
      EncryptedKeyMaterial: required('blob'),
      ValidTo: 'timestamp',
      ExpirationModel: 'string',
      ImportType: 'string',
      KeyMaterialDescription: 'string',
      KeyMaterialId: 'string',
    },
    response: { KeyId: 'string', KeyMaterialId: 'string' },
    writes: true,
  }),
  ListAliases: op<S.ListAliasesRequest, S.ListAliasesResponse>({
    run: later('aliases', 'listAliases'),
    summary: "Lists the aliases of the caller's account and Region, or of one KMS key.",
    request: { KeyId: 'string', Limit: 'integer', Marker: 'string' },
    response: {
      Aliases: list(
        structure<S.AliasListEntry>('AliasListEntry', {
          AliasName: 'string',
          AliasArn: 'string',
          TargetKeyId: 'string',
          CreationDate: 'timestamp',
          LastUpdatedDate: 'timestamp',
        }),
      ),
      ...paged,
    },
    keyless: true,
  }),
  ListGrants: op<S.ListGrantsRequest, S.ListGrantsResponse>({
    run: later('grants', 'listGrants'),
    summary: 'Lists the grants of a KMS key.',
    request: {
      KeyId: required('string'),
      Limit: 'integer',
      Marker: 'string',
      GrantId: 'string',
      GranteePrincipal: 'string',
      GranteeServicePrincipal: 'string',
    },
    response: { Grants: list(GrantListEntry), ...paged },
    crossAccount: true,
  }),
  ListKeyPolicies: op<S.ListKeyPoliciesRequest, S.ListKeyPoliciesResponse>({
    run: later('policies', 'listKeyPolicies'),
    summary: 'Lists the names of the key policies of a KMS key (always `default`).',
    request: { KeyId: required('string'), Limit: 'integer', Marker: 'string' },
    response: { PolicyNames: strings, ...paged },
  }),
  ListKeyRotations: op<S.ListKeyRotationsRequest, S.ListKeyRotationsResponse>({
    run: later('rotation', 'listKeyRotations'),
    summary: 'Lists the completed rotations (and imported key materials) of a KMS key.',
    request: { KeyId: required('string'), IncludeKeyMaterial: 'string', Limit: 'integer', Marker: 'string' },
    response: {
      Rotations: list(
        structure<S.RotationsListEntry>('RotationsListEntry', {
          KeyId: 'string',
          KeyMaterialId: 'string',
          KeyMaterialDescription: 'string',
          ImportState: 'string',
          KeyMaterialState: 'string',
          ExpirationModel: 'string',
          ValidTo: 'timestamp',
          RotationDate: 'timestamp',
          RotationType: 'string',
        }),
      ),
      ...paged,
    },
  }),
  ListKeys: op<S.ListKeysRequest, S.ListKeysResponse>({
    run: keyLifecycle.listKeys,
    summary: "Lists the KMS keys of the caller's account and Region.",
    request: { Limit: 'integer', Marker: 'string' },
    response: { Keys: list(structure<S.KeyListEntry>('KeyListEntry', { KeyId: 'string', KeyArn: 'string' })), ...paged },
    keyless: true,
  }),
  ListResourceTags: op<S.ListResourceTagsRequest, S.ListResourceTagsResponse>({
    run: later('tags', 'listResourceTags'),
    summary: 'Lists the tags of a KMS key.',
    request: { KeyId: required('string'), Limit: 'integer', Marker: 'string' },
    response: { Tags, ...paged },
  }),
  ListRetirableGrants: op<S.ListRetirableGrantsRequest, S.ListGrantsResponse>({
    run: later('grants', 'listRetirableGrants'),
    summary: 'Lists the grants, on keys of any account, that a principal may retire.',
    request: { RetiringPrincipal: 'string', RetiringServicePrincipal: 'string', Limit: 'integer', Marker: 'string' },
    response: { Grants: list(GrantListEntry), ...paged },
    keyless: true,
  }),
  PutKeyPolicy: op<S.PutKeyPolicyRequest, S.EmptyResponse>({
    run: later('policies', 'putKeyPolicy'),
    summary: 'Replaces the key policy of a KMS key.',
    request: { KeyId: required('string'), PolicyName: 'string', Policy: required('string'), BypassPolicyLockoutSafetyCheck: 'boolean' },
    response: {},
    writes: true,
  }),
  ReEncrypt: op<S.ReEncryptRequest, S.ReEncryptResponse>({
    run: encryption.reEncrypt,
    summary: 'Decrypts ciphertext and encrypts it again under another (or the same) KMS key, without exposing the plaintext.',
    request: {
      CiphertextBlob: required('blob'),
      SourceEncryptionContext: 'map',
      SourceKeyId: 'string',
      DestinationKeyId: required('string'),
      DestinationEncryptionContext: 'map',
      SourceEncryptionAlgorithm: 'string',
      DestinationEncryptionAlgorithm: 'string',
      GrantTokens: strings,
      DryRun: 'boolean',
      DryRunModifiers: strings,
    },
    response: {
      CiphertextBlob: 'blob',
      SourceKeyId: 'string',
      KeyId: 'string',
      SourceEncryptionAlgorithm: 'string',
      DestinationEncryptionAlgorithm: 'string',
      SourceKeyMaterialId: 'string',
      DestinationKeyMaterialId: 'string',
    },
    crossAccount: true,
  }),
  ReplicateKey: op<S.ReplicateKeyRequest, S.ReplicateKeyResponse>({
    run: later('multiRegion', 'replicateKey'),
    summary: 'Creates a replica of a multi-Region primary key in another Region.',
    request: {
      KeyId: required('string'),
      ReplicaRegion: required('string'),
      Policy: 'string',
      BypassPolicyLockoutSafetyCheck: 'boolean',
      Description: 'string',
      Tags,
    },
    response: { ReplicaKeyMetadata: KeyMetadata, ReplicaPolicy: 'string', ReplicaTags: Tags },
    writes: true,
  }),
  RetireGrant: op<S.RetireGrantRequest, S.EmptyResponse>({
    run: later('grants', 'retireGrant'),
    summary: 'Retires a grant (by grant token, or by key and grant id): the grantee or retiring principal cleans up.',
    request: { GrantToken: 'string', KeyId: 'string', GrantId: 'string', DryRun: 'boolean' },
    response: {},
    writes: true,
    crossAccount: true,
  }),
  RevokeGrant: op<S.RevokeGrantRequest, S.EmptyResponse>({
    run: later('grants', 'revokeGrant'),
    summary: 'Revokes a grant of a KMS key.',
    request: { KeyId: required('string'), GrantId: required('string'), DryRun: 'boolean' },
    response: {},
    writes: true,
    crossAccount: true,
  }),
  RotateKeyOnDemand: op<S.RotateKeyOnDemandRequest, S.RotateKeyOnDemandResponse>({
    run: later('rotation', 'rotateKeyOnDemand'),
    summary: 'Rotates the key material of a KMS key now.',
    request: keyIdOnly,
    response: { KeyId: 'string' },
    writes: true,
  }),
  ScheduleKeyDeletion: op<S.ScheduleKeyDeletionRequest, S.ScheduleKeyDeletionResponse>({
    run: keyLifecycle.scheduleKeyDeletion,
    summary: 'Schedules the deletion of a KMS key after a waiting period of 7 to 30 days.',
    request: { KeyId: required('string'), PendingWindowInDays: 'integer' },
    response: { KeyId: 'string', DeletionDate: 'timestamp', KeyState: 'string', PendingWindowInDays: 'integer' },
    writes: true,
  }),
  Sign: op<S.SignRequest, S.SignResponse>({
    run: later('asymmetric', 'sign'),
    summary: 'Signs a message or message digest with the private key of an asymmetric KMS key.',
    request: {
      KeyId: required('string'),
      Message: required('blob'),
      MessageType: 'string',
      SigningAlgorithm: required('string'),
      GrantTokens: strings,
      DryRun: 'boolean',
    },
    response: { KeyId: 'string', Signature: 'blob', SigningAlgorithm: 'string' },
    crossAccount: true,
  }),
  TagResource: op<S.TagResourceRequest, S.EmptyResponse>({
    run: later('tags', 'tagResource'),
    summary: 'Adds or overwrites tags of a KMS key.',
    request: { KeyId: required('string'), Tags: required(Tags) },
    response: {},
    writes: true,
  }),
  UntagResource: op<S.UntagResourceRequest, S.EmptyResponse>({
    run: later('tags', 'untagResource'),
    summary: 'Removes tags from a KMS key.',
    request: { KeyId: required('string'), TagKeys: required(strings) },
    response: {},
    writes: true,
  }),
  UpdateAlias: op<S.UpdateAliasRequest, S.EmptyResponse>({
    run: later('aliases', 'updateAlias'),
    summary: 'Points an alias at another KMS key.',
    request: { AliasName: required('string'), TargetKeyId: required('string') },
    response: {},
    writes: true,
  }),
  UpdateCustomKeyStore: op<customKeyStores.UpdateCustomKeyStoreRequest, S.EmptyResponse>({
    run: customKeyStores.updateCustomKeyStore,
    summary: 'Changes the properties of a custom key store: kmsbox has none to change.',
    request: {
      CustomKeyStoreId: required('string'),
      NewCustomKeyStoreName: 'string',
      KeyStorePassword: 'string',
      CloudHsmClusterId: 'string',
      XksProxyUriEndpoint: 'string',
      XksProxyUriPath: 'string',
      XksProxyVpcEndpointServiceName: 'string',
      XksProxyVpcEndpointServiceOwner: 'string',
      XksProxyAuthenticationCredential: structure<customKeyStores.XksProxyAuthenticationCredentialType>(
        'XksProxyAuthenticationCredentialType',
        {
          AccessKeyId: required('string'),
          RawSecretAccessKey: required('string'),
        },
      ),
      XksProxyConnectivity: 'string',
    },
    response: {},
    writes: true,
    keyless: true,
  }),
  UpdateKeyDescription: op<S.UpdateKeyDescriptionRequest, S.EmptyResponse>({
    run: keyLifecycle.updateKeyDescription,
    summary: 'Replaces the description of a KMS key.',
    request: { KeyId: required('string'), Description: required('string') },
    response: {},
    writes: true,
  }),
  UpdatePrimaryRegion: op<S.UpdatePrimaryRegionRequest, S.EmptyResponse>({
    run: later('multiRegion', 'updatePrimaryRegion'),
    summary: 'Makes a replica of a multi-Region key its primary key.',
    request: { KeyId: required('string'), PrimaryRegion: required('string') },
    response: {},
    writes: true,
  }),
  Verify: op<S.VerifyRequest, S.VerifyResponse>({
    run: later('asymmetric', 'verify'),
    summary: 'Verifies a signature made with the private key of an asymmetric KMS key.',
    request: {
      KeyId: required('string'),
      Message: required('blob'),
      MessageType: 'string',
      Signature: required('blob'),
      SigningAlgorithm: required('string'),
      GrantTokens: strings,
      DryRun: 'boolean',
    },
    response: { KeyId: 'string', SignatureValid: 'boolean', SigningAlgorithm: 'string' },
    crossAccount: true,
  }),
  VerifyMac: op<S.VerifyMacRequest, S.VerifyMacResponse>({
    run: later('mac', 'verifyMac'),
    summary: 'Verifies the HMAC of a message under an HMAC KMS key.',
    request: {
      Message: required('blob'),
      KeyId: required('string'),
      MacAlgorithm: required('string'),
      Mac: required('blob'),
      GrantTokens: strings,
      DryRun: 'boolean',
    },
    response: { KeyId: 'string', MacValid: 'boolean', MacAlgorithm: 'string' },
    crossAccount: true,
  }),
} as const;

export type OperationName = keyof typeof OPERATIONS;
type TypesOf<K extends OperationName> = NonNullable<(typeof OPERATIONS)[K]['types']>;

/** Type-only brand: the output of operation K is not the output of any other operation. */
declare const OPERATION: unique symbol;

/** The request shape of operation K. */
export type InputOf<K extends OperationName> = TypesOf<K>['request'];
/** What operation K answers: its response shape plus `$metadata`, as the AWS SDK's outputs. */
export type OutputOf<K extends OperationName> = TypesOf<K>['response'] & S.MetadataBearer & { readonly [OPERATION]?: K };

/** Every implemented operation, in the table's order. */
export const OPERATION_NAMES = Object.keys(OPERATIONS) as readonly OperationName[];

/** The table's entry of an operation, with its members normalized (kind and required flag). */
export function operationSpec(name: OperationName): {
  readonly request: Readonly<Record<string, Member>>;
  readonly response: Readonly<Record<string, Member>>;
} {
  const o: Operation<unknown, unknown> = OPERATIONS[name];
  return {
    request: normalize(o.request as Record<string, Kind | Member>),
    response: normalize(o.response as Record<string, Kind | Member>),
  };
}

const having = (flag: 'writes' | 'keyless' | 'crossAccount'): ReadonlySet<OperationName> =>
  new Set(OPERATION_NAMES.filter((name) => (OPERATIONS[name] as Operation<unknown, unknown>)[flag] === true));

/** Operations that act on no key (or on many): only identity policies authorize them. */
export const KEYLESS_OPERATIONS = having('keyless');
/** Operations that change state (CloudTrail `readOnly: false`); everything else reads or uses keys. */
export const WRITE_OPERATIONS = having('writes');
/** Operations another account's principal may call on a key. */
export const CROSS_ACCOUNT_OPERATIONS = having('crossAccount');

/** `Encrypt` → `encrypt`: the `Kms` method (and AWS SDK v3 aggregated client method) of an operation. */
export const methodName = <K extends OperationName>(name: K): Uncapitalize<K> =>
  (name.charAt(0).toLowerCase() + name.slice(1)) as Uncapitalize<K>;

/** The AWS API reference page of an operation. */
export const apiReference = (name: string): string => `https://docs.aws.amazon.com/kms/latest/APIReference/API_${name}.html`;

/**
 * The AWS KMS operations kmsbox does not implement yet: the wire protocol answers them
 * UnsupportedOperationException (an operation AWS does not have is UnknownOperationException).
 */
export const UNIMPLEMENTED_OPERATIONS: readonly string[] = ['CreateCustomKeyStore', 'Decapsulate', 'Encapsulate', 'GetKeyLastUsage'];

/**
 * Blob and timestamp members of those operations (Encapsulate, Decapsulate, GetKeyLastUsage): the
 * wire codec converts them as for any operation, so a malformed one is a SerializationException
 * before the operation is refused.
 */
export const UNIMPLEMENTED_MEMBER_KINDS: Readonly<Record<string, Kind>> = {
  Ciphertext: 'blob',
  SharedSecretCiphertext: 'blob',
  Timestamp: 'timestamp',
  TrackingStartDate: 'timestamp',
  KeyCreationDate: 'timestamp',
};
