/** The one table of implemented operations: AWS operation name → implementation. */
import type { Input } from '../api/validate.js';
import type { Env } from './env.js';
import * as aliases from './aliases.js';
import * as crypto from './crypto.js';
import * as grants from './grants.js';
import * as imports from './import.js';
import * as policies from './policies.js';
import * as keys from './keys.js';
import * as mac from './mac.js';
import * as multiRegion from './multi-region.js';
import * as rotation from './rotation.js';
import * as signing from './sign.js';
import * as tags from './tags.js';

type Operation = (env: Env, input: Input) => Promise<object>;

export const OPERATIONS = {
  CancelKeyDeletion: keys.cancelKeyDeletion,
  CreateAlias: aliases.createAlias,
  CreateGrant: grants.createGrant,
  CreateKey: keys.createKey,
  Decrypt: crypto.decrypt,
  DeleteAlias: aliases.deleteAlias,
  DeleteImportedKeyMaterial: imports.deleteImportedKeyMaterial,
  DeriveSharedSecret: signing.deriveSharedSecret,
  DescribeKey: keys.describeKey,
  DisableKey: keys.disableKey,
  DisableKeyRotation: rotation.disableKeyRotation,
  EnableKey: keys.enableKey,
  EnableKeyRotation: rotation.enableKeyRotation,
  Encrypt: crypto.encrypt,
  GenerateDataKey: crypto.generateDataKey,
  GenerateDataKeyPair: crypto.generateDataKeyPair,
  GenerateDataKeyPairWithoutPlaintext: crypto.generateDataKeyPairWithoutPlaintext,
  GenerateDataKeyWithoutPlaintext: crypto.generateDataKeyWithoutPlaintext,
  GenerateMac: mac.generateMac,
  GenerateRandom: crypto.generateRandom,
  GetKeyPolicy: policies.getKeyPolicy,
  GetKeyRotationStatus: rotation.getKeyRotationStatus,
  GetParametersForImport: imports.getParametersForImport,
  GetPublicKey: signing.getPublicKey,
  ImportKeyMaterial: imports.importKeyMaterial,
  ListAliases: aliases.listAliases,
  ListGrants: grants.listGrants,
  ListKeyPolicies: policies.listKeyPolicies,
  ListKeyRotations: rotation.listKeyRotations,
  ListKeys: keys.listKeys,
  ListResourceTags: tags.listResourceTags,
  ListRetirableGrants: grants.listRetirableGrants,
  PutKeyPolicy: policies.putKeyPolicy,
  ReEncrypt: crypto.reEncrypt,
  ReplicateKey: multiRegion.replicateKey,
  RetireGrant: grants.retireGrant,
  RevokeGrant: grants.revokeGrant,
  RotateKeyOnDemand: rotation.rotateKeyOnDemand,
  ScheduleKeyDeletion: keys.scheduleKeyDeletion,
  Sign: signing.sign,
  TagResource: tags.tagResource,
  UntagResource: tags.untagResource,
  UpdateAlias: aliases.updateAlias,
  UpdateKeyDescription: keys.updateKeyDescription,
  UpdatePrimaryRegion: multiRegion.updatePrimaryRegion,
  Verify: signing.verify,
  VerifyMac: mac.verifyMac,
} as const satisfies Record<string, Operation>;

export type OperationName = keyof typeof OPERATIONS;

/** Operations that act on no key (or on many): only identity policies authorize them (reference §5.2). */
export const KEYLESS_OPERATIONS: ReadonlySet<OperationName> = new Set(['CreateKey', 'ListKeys', 'ListAliases', 'GenerateRandom', 'ListRetirableGrants']);

/** Operations that change state (CloudTrail `readOnly: false`); everything else reads or uses keys. */
export const WRITE_OPERATIONS: ReadonlySet<OperationName> = new Set([
  'CancelKeyDeletion', 'CreateAlias', 'CreateGrant', 'CreateKey', 'DeleteAlias', 'DeleteImportedKeyMaterial', 'DisableKey', 'DisableKeyRotation', 'EnableKey',
  'EnableKeyRotation', 'ImportKeyMaterial', 'PutKeyPolicy', 'ReplicateKey', 'RetireGrant', 'RevokeGrant', 'RotateKeyOnDemand', 'ScheduleKeyDeletion',
  'TagResource', 'UntagResource', 'UpdateAlias', 'UpdateKeyDescription', 'UpdatePrimaryRegion',
]);
