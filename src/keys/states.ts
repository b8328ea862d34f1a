/**
 * Which key states each operation refuses, and with what (the developer guide's key-state table,
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html, with the messages AWS was
 * recorded sending: docs/aws-behaviour.md#recorded-aws-answers). One table: every operation checks
 * its key through `checkState`.
 */
import type { KeyState } from '../api/enums.js';
import { DisabledException, KMSInvalidStateException, type KMSServiceException } from '../errors.js';
import type { KeyRecord } from './record.js';

type Refusal = (arn: string) => KMSServiceException;

const disabled: Refusal = (arn) => new DisabledException({ message: `${arn} is disabled.` });
const invalid =
  (what: string): Refusal =>
  (arn) =>
    new KMSInvalidStateException({ message: `${arn} is ${what}.` });
const pendingDeletion = invalid('pending deletion');
const pendingImport = invalid('pending import');
const unavailable = invalid('unavailable');
const creating = invalid('creating');
const updating = invalid('updating');
const notPendingDeletion = invalid('not pending deletion');

type Rule = Partial<Record<KeyState, Refusal>>;

/** Cryptographic use: Encrypt, Decrypt, ReEncrypt, GenerateDataKey*. */
const USE: Rule = {
  Disabled: disabled,
  PendingDeletion: pendingDeletion,
  PendingReplicaDeletion: pendingDeletion,
  PendingImport: pendingImport,
  Unavailable: unavailable,
  Creating: creating,
};
/** Changes to a key's attributes: tags, description, new aliases. */
const MODIFY: Rule = { PendingDeletion: pendingDeletion, PendingReplicaDeletion: pendingDeletion };
const ENABLE_DISABLE: Rule = { ...MODIFY, PendingImport: pendingImport, Creating: creating, Updating: updating };
const ROTATION: Rule = { ...USE };
const SCHEDULE_DELETION: Rule = { ...MODIFY, Updating: updating };
const CANCEL_DELETION: Rule = {
  Enabled: notPendingDeletion,
  Disabled: notPendingDeletion,
  PendingImport: notPendingDeletion,
  Unavailable: notPendingDeletion,
  Creating: notPendingDeletion,
  Updating: notPendingDeletion,
};
const ANY: Rule = {};
/** ReplicateKey and UpdatePrimaryRegion (the key-state table's row; UpdatePrimaryRegion accepts Updating). */
const UPDATE_PRIMARY: Rule = { ...USE };
const REPLICATE: Rule = { ...UPDATE_PRIMARY, Updating: updating };

/** GetParametersForImport, ImportKeyMaterial (pending deletion: docs/aws-behaviour.md#imported-key-material), DeleteImportedKeyMaterial. */
const IMPORT: Rule = {
  PendingDeletion: pendingDeletion,
  PendingReplicaDeletion: pendingDeletion,
  Unavailable: unavailable,
  Creating: creating,
};
const GET_IMPORT_PARAMETERS: Rule = { ...IMPORT, Updating: updating };
const DELETE_IMPORTED: Rule = { Creating: creating, Updating: updating };

export const STATE_RULES = {
  Encrypt: USE,
  Decrypt: USE,
  ReEncrypt: USE,
  GenerateDataKey: USE,
  GenerateDataKeyWithoutPlaintext: USE,
  GenerateMac: USE,
  GenerateDataKeyPair: USE,
  GenerateDataKeyPairWithoutPlaintext: USE,
  Sign: USE,
  Verify: USE,
  GetPublicKey: USE,
  DeriveSharedSecret: USE,
  VerifyMac: USE,
  CreateAlias: MODIFY,
  UpdateAlias: MODIFY,
  TagResource: MODIFY,
  UntagResource: MODIFY,
  UpdateKeyDescription: MODIFY,
  EnableKey: ENABLE_DISABLE,
  DisableKey: ENABLE_DISABLE,
  EnableKeyRotation: ROTATION,
  DisableKeyRotation: ROTATION,
  RotateKeyOnDemand: ROTATION,
  GetKeyRotationStatus: ANY,
  ListKeyRotations: ANY,
  ScheduleKeyDeletion: SCHEDULE_DELETION,
  CancelKeyDeletion: CANCEL_DELETION,
  DescribeKey: ANY,
  ListResourceTags: ANY,
  ListAliases: ANY,
  DeleteAlias: ANY,
  GetKeyPolicy: ANY,
  PutKeyPolicy: ANY,
  ListKeyPolicies: ANY,
  ListGrants: ANY,
  RetireGrant: ANY,
  RevokeGrant: ANY,
  CreateGrant: USE,
  ReplicateKey: REPLICATE,
  UpdatePrimaryRegion: UPDATE_PRIMARY,
  GetParametersForImport: GET_IMPORT_PARAMETERS,
  ImportKeyMaterial: IMPORT,
  DeleteImportedKeyMaterial: DELETE_IMPORTED,
} as const satisfies Record<string, Rule>;

export type KeyOperation = keyof typeof STATE_RULES;

export function checkState(operation: KeyOperation, key: KeyRecord): void {
  const refuse = (STATE_RULES[operation] as Rule)[key.state];
  if (refuse) throw refuse(key.arn);
}
