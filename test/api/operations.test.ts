// The operation table (src/api/operations.ts) and what is derived from it: the Kms methods, the
// generated files, the codec's member sets, the Kms's sets and the cross-account rule. The sets
// are pinned to the lists that were written by hand before the table, so a wrong kind or flag in
// the table fails here.
import { describe, expect, it } from 'vitest';
import { Kms } from 'kmsbox';
import * as commands from '../../src/commands.js';
import {
  apiReference,
  CROSS_ACCOUNT_OPERATIONS,
  KEYLESS_OPERATIONS,
  methodName,
  OPERATION_NAMES,
  OPERATIONS,
  UNIMPLEMENTED_OPERATIONS,
  WRITE_OPERATIONS,
} from '../../src/api/operations.js';
import { BLOB_MEMBERS, KMS_OPERATIONS, MAP_MEMBERS, TIMESTAMP_MEMBERS } from '../../src/protocol/wire-shapes.js';
import { stale } from '../../scripts/generate-operations.js';

const sorted = (s: Iterable<string>) => [...s].sort();
/** The operations the table replaced hand-written lists for; operations added later pin their flags in their own tests. */
const listed = (s: Iterable<string>) => sorted([...s].filter((name) => !/CustomKeyStores?$/.test(name)));

describe('the operation table', () => {
  it('installs one Kms method per operation, named as the SDK names it, and nothing else', () => {
    const methods = Object.getOwnPropertyNames(Kms.prototype).filter(
      (n) =>
        typeof Object.getOwnPropertyDescriptor(Kms.prototype, n)?.value === 'function' &&
        ![
          'constructor',
          'send',
          'invoke',
          'withPrincipal',
          'withRegion',
          'withAccount',
          'setIdentityPolicies',
          'getIdentityPolicies',
        ].includes(n),
    );
    expect(sorted(methods)).toEqual(sorted(OPERATION_NAMES.map(methodName)));
    const encrypt = Object.getOwnPropertyDescriptor(Kms.prototype, 'encrypt');
    expect(encrypt).toMatchObject({ writable: true, configurable: true, enumerable: false });
    expect(Kms.prototype.encrypt.name).toBe('encrypt');
    // Operations with no required member take no input (length 0), the others one.
    expect(Kms.prototype.createKey.length).toBe(0);
    expect(Kms.prototype.encrypt.length).toBe(1);
  });

  it('each method runs its own operation: the audit event and the error name it', async () => {
    const events: string[] = [];
    const kms = new Kms({ audit: (e) => void events.push(e.eventName) });
    for (const name of OPERATION_NAMES) {
      const method = (kms as unknown as Record<string, (i: unknown) => Promise<unknown>>)[methodName(name)];
      await method?.call(kms, { KeyId: 'alias/none' }).catch(() => undefined);
      expect(events.at(-1)).toBe(name);
    }
    expect(events).toHaveLength(OPERATION_NAMES.length);
  });

  it('has a command class per operation, named <Operation>Command, that send dispatches', async () => {
    const names = Object.keys(commands).filter((n) => n !== 'KmsCommand');
    expect(sorted(names)).toEqual(sorted(OPERATION_NAMES.map((n) => `${n}Command`)));
    const { Plaintext } = await new Kms().send(new commands.GenerateRandomCommand({ NumberOfBytes: 7 }));
    expect(Plaintext).toHaveLength(7);
  });

  it('every operation has a one-line summary, and links the AWS API reference', () => {
    for (const name of OPERATION_NAMES) {
      expect(OPERATIONS[name].summary, name).toMatch(/^[A-Z][^\n]*\.$/);
    }
    expect(apiReference('Encrypt')).toBe('https://docs.aws.amazon.com/kms/latest/APIReference/API_Encrypt.html');
  });

  it('the generated files (src/commands.ts, src/api/kms-methods.ts) are what the table gives', () => {
    expect(stale()).toEqual([]);
  }, 30_000);

  it('the Kms sets are the lists AWS gives', () => {
    expect(listed(KEYLESS_OPERATIONS)).toEqual(sorted(['CreateKey', 'ListKeys', 'ListAliases', 'GenerateRandom', 'ListRetirableGrants']));
    expect(listed(WRITE_OPERATIONS)).toEqual(
      sorted([
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
      ]),
    );
    // "Cross-account use: Yes" in each operation's API reference (ReEncrypt: both ReEncryptFrom and ReEncryptTo).
    expect(listed(CROSS_ACCOUNT_OPERATIONS)).toEqual(
      sorted([
        'CreateGrant',
        'Decrypt',
        'DeriveSharedSecret',
        'DescribeKey',
        'Encrypt',
        'GenerateDataKey',
        'GenerateDataKeyPair',
        'GenerateDataKeyPairWithoutPlaintext',
        'GenerateDataKeyWithoutPlaintext',
        'GenerateMac',
        'GetKeyRotationStatus',
        'GetPublicKey',
        'ListGrants',
        'ReEncrypt',
        'RetireGrant',
        'RevokeGrant',
        'Sign',
        'Verify',
        'VerifyMac',
      ]),
    );
  });

  it('the codec converts exactly the blob, timestamp and map members of the model', () => {
    expect(sorted(BLOB_MEMBERS)).toEqual(
      sorted([
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
      ]),
    );
    expect(sorted(TIMESTAMP_MEMBERS)).toEqual(
      sorted([
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
      ]),
    );
    expect(sorted(MAP_MEMBERS)).toEqual(
      sorted([
        'EncryptionContext',
        'SourceEncryptionContext',
        'DestinationEncryptionContext',
        'EncryptionContextSubset',
        'EncryptionContextEquals',
      ]),
    );
  });

  it('KMS_OPERATIONS is every AWS KMS operation: the table and the ones kmsbox lacks, none in both', () => {
    expect(KMS_OPERATIONS.size).toBe(56);
    expect(OPERATION_NAMES.filter((n) => UNIMPLEMENTED_OPERATIONS.includes(n))).toEqual([]);
    expect(sorted(KMS_OPERATIONS)).toEqual(sorted([...OPERATION_NAMES, ...UNIMPLEMENTED_OPERATIONS]));
  });
});
