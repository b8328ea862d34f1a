/** The one table of implemented operations: AWS operation name → implementation. */
import type { Input } from '../api/validate.js';
import type { Env } from './env.js';
import * as aliases from './aliases.js';
import * as encryption from './encryption.js';
import * as grants from './grants.js';
import * as imports from './import.js';
import * as policies from './policies.js';
import * as keyLifecycle from './key-lifecycle.js';
import * as mac from './mac.js';
import * as multiRegion from './multi-region.js';
import * as rotation from './rotation.js';
import * as asymmetric from './asymmetric.js';
import * as tags from './tags.js';

type Operation = (env: Env, input: Input) => Promise<object>;

export const OPERATIONS = {
  CancelKeyDeletion: keyLifecycle.cancelKeyDeletion,
  CreateAlias: aliases.createAlias,
  CreateGrant: grants.createGrant,
  CreateKey: keyLifecycle.createKey,
  Decrypt: encryption.decrypt,
  DeleteAlias: aliases.deleteAlias,
  DeleteImportedKeyMaterial: imports.deleteImportedKeyMaterial,
  DeriveSharedSecret: asymmetric.deriveSharedSecret,
  DescribeKey: keyLifecycle.describeKey,
  DisableKey: keyLifecycle.disableKey,
  DisableKeyRotation: rotation.disableKeyRotation,
  EnableKey: keyLifecycle.enableKey,
  EnableKeyRotation: rotation.enableKeyRotation,
  Encrypt: encryption.encrypt,
  GenerateDataKey: encryption.generateDataKey,
  GenerateDataKeyPair: encryption.generateDataKeyPair,
  GenerateDataKeyPairWithoutPlaintext: encryption.generateDataKeyPairWithoutPlaintext,
  GenerateDataKeyWithoutPlaintext: encryption.generateDataKeyWithoutPlaintext,
  GenerateMac: mac.generateMac,
  GenerateRandom: encryption.generateRandom,
  GetKeyPolicy: policies.getKeyPolicy,
  GetKeyRotationStatus: rotation.getKeyRotationStatus,
  GetParametersForImport: imports.getParametersForImport,
  GetPublicKey: asymmetric.getPublicKey,
  ImportKeyMaterial: imports.importKeyMaterial,
  ListAliases: aliases.listAliases,
  ListGrants: grants.listGrants,
  ListKeyPolicies: policies.listKeyPolicies,
  ListKeyRotations: rotation.listKeyRotations,
  ListKeys: keyLifecycle.listKeys,
  ListResourceTags: tags.listResourceTags,
  ListRetirableGrants: grants.listRetirableGrants,
  PutKeyPolicy: policies.putKeyPolicy,
  ReEncrypt: encryption.reEncrypt,
  ReplicateKey: multiRegion.replicateKey,
  RetireGrant: grants.retireGrant,
  RevokeGrant: grants.revokeGrant,
  RotateKeyOnDemand: rotation.rotateKeyOnDemand,
  ScheduleKeyDeletion: keyLifecycle.scheduleKeyDeletion,
  Sign: asymmetric.sign,
  TagResource: tags.tagResource,
  UntagResource: tags.untagResource,
  UpdateAlias: aliases.updateAlias,
  UpdateKeyDescription: keyLifecycle.updateKeyDescription,
  UpdatePrimaryRegion: multiRegion.updatePrimaryRegion,
  Verify: asymmetric.verify,
  VerifyMac: mac.verifyMac,
} as const satisfies Record<string, Operation>;

export type OperationName = keyof typeof OPERATIONS;

/** Operations that act on no key (or on many): only identity policies authorize them (reference §5.2). */
export const KEYLESS_OPERATIONS: ReadonlySet<OperationName> = new Set([
  'CreateKey',
  'ListKeys',
  'ListAliases',
  'GenerateRandom',
  'ListRetirableGrants',
]);

/** Operations that change state (CloudTrail `readOnly: false`); everything else reads or uses keys. */
export const WRITE_OPERATIONS: ReadonlySet<OperationName> = new Set([
  'CancelKeyDeletion',
  'CreateAlias',
  'CreateGrant',
  'CreateKey',
  'DeleteAlias',
  'DeleteImportedKeyMaterial',
  'DisableKey',
  'DisableKeyRotation',
  'EnableKey',
  'EnableKeyRotation',
  'ImportKeyMaterial',
  'PutKeyPolicy',
  'ReplicateKey',
  'RetireGrant',
  'RevokeGrant',
  'RotateKeyOnDemand',
  'ScheduleKeyDeletion',
  'TagResource',
  'UntagResource',
  'UpdateAlias',
  'UpdateKeyDescription',
  'UpdatePrimaryRegion',
]);
