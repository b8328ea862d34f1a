/** The one table of implemented operations: AWS operation name → implementation. */
import type { Input } from '../api/validate.js';
import type { Env } from './env.js';
import * as aliases from './aliases.js';
import * as crypto from './crypto.js';
import * as keys from './keys.js';
import * as mac from './mac.js';
import * as rotation from './rotation.js';
import * as signing from './sign.js';
import * as tags from './tags.js';

type Operation = (env: Env, input: Input) => Promise<object>;

export const OPERATIONS = {
  CancelKeyDeletion: keys.cancelKeyDeletion,
  CreateAlias: aliases.createAlias,
  CreateKey: keys.createKey,
  Decrypt: crypto.decrypt,
  DeleteAlias: aliases.deleteAlias,
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
  GetKeyRotationStatus: rotation.getKeyRotationStatus,
  GetPublicKey: signing.getPublicKey,
  ListAliases: aliases.listAliases,
  ListKeyRotations: rotation.listKeyRotations,
  ListKeys: keys.listKeys,
  ListResourceTags: tags.listResourceTags,
  ReEncrypt: crypto.reEncrypt,
  RotateKeyOnDemand: rotation.rotateKeyOnDemand,
  ScheduleKeyDeletion: keys.scheduleKeyDeletion,
  Sign: signing.sign,
  TagResource: tags.tagResource,
  UntagResource: tags.untagResource,
  UpdateAlias: aliases.updateAlias,
  UpdateKeyDescription: keys.updateKeyDescription,
  Verify: signing.verify,
  VerifyMac: mac.verifyMac,
} as const satisfies Record<string, Operation>;

export type OperationName = keyof typeof OPERATIONS;
