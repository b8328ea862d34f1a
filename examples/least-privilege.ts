/**
 * Least privilege with a key policy and IAM policies, checked before production:
 *  - the app role gets the seed's IAM policy: kms:Encrypt, kms:Decrypt and kms:GenerateDataKey on one key;
 *  - a key administrator may manage the key (describe, disable, schedule deletion…) but not use it;
 *  - the app role may use the key but not manage it.
 * Every denial prints its AccessDeniedException; then the audit trail is printed.
 *
 *   npx tsx examples/least-privilege.ts
 */
import { Kms, MemoryAuditSink, type KMSServiceException } from 'kmsbox';

const account = '111122223333';
const appRole = `arn:aws:iam::${account}:role/myapp`;
const keyAdmin = `arn:aws:iam::${account}:user/key-admin`;
const audit = new MemoryAuditSink();
const kms = new Kms({ accountId: account, audit });

// The key policy: the account (IAM decides for its users and roles), and the administrator by name,
// with an explicit Deny that keeps the administrator away from the data.
const keyPolicy = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Enable IAM User Permissions',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${account}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
    {
      Sid: 'Allow access for Key Administrators',
      Effect: 'Allow',
      Principal: { AWS: keyAdmin },
      Action: [
        'kms:Create*',
        'kms:Describe*',
        'kms:Enable*',
        'kms:List*',
        'kms:Put*',
        'kms:Update*',
        'kms:Revoke*',
        'kms:Disable*',
        'kms:Get*',
        'kms:Delete*',
        'kms:TagResource',
        'kms:UntagResource',
        'kms:ScheduleKeyDeletion',
        'kms:CancelKeyDeletion',
      ],
      Resource: '*',
    },
    {
      Sid: 'Key administrators never touch the data',
      Effect: 'Deny',
      Principal: { AWS: keyAdmin },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
      Resource: '*',
    },
  ],
};
const { KeyMetadata } = await kms.createKey({ Description: 'myapp data key', Policy: JSON.stringify(keyPolicy) });
const keyArn = KeyMetadata!.Arn!;
await kms.createAlias({ AliasName: 'alias/myapp-key', TargetKeyId: KeyMetadata!.KeyId });
console.log(`key ${keyArn} (alias/myapp-key)\n`);

// "Step 2 — Add IAM Policy": the app role may encrypt, decrypt and make data keys with this key, nothing else.
kms.setIdentityPolicies(appRole, [
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'], Resource: keyArn }],
  }),
]);

const app = kms.withPrincipal(appRole);
const admin = kms.withPrincipal(keyAdmin);

async function attempt(who: string, what: string, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
    console.log(`  allowed  ${who.padEnd(10)} ${what}`);
  } catch (error) {
    const e = error as KMSServiceException;
    console.log(`  DENIED   ${who.padEnd(10)} ${what}\n           ${e.name}: ${e.message}`);
  }
}

const secret = new TextEncoder().encode('MySecretPassword123');
const { CiphertextBlob } = await app.encrypt({ KeyId: keyArn, Plaintext: secret, EncryptionContext: { app: 'myapp' } });
await attempt('app', 'Encrypt', () => app.encrypt({ KeyId: keyArn, Plaintext: secret }));
await attempt('app', 'Decrypt', () => app.decrypt({ CiphertextBlob, EncryptionContext: { app: 'myapp' } }));
await attempt('app', 'GenerateDataKey', () => app.generateDataKey({ KeyId: keyArn, KeySpec: 'AES_256' }));
await attempt('app', 'DisableKey', () => app.disableKey({ KeyId: keyArn }));
await attempt('app', 'ScheduleKeyDeletion', () => app.scheduleKeyDeletion({ KeyId: keyArn }));
await attempt('app', 'CreateKey', () => app.createKey({}));
await attempt('key-admin', 'DescribeKey', () => admin.describeKey({ KeyId: keyArn }));
await attempt('key-admin', 'EnableKeyRotation', () => admin.enableKeyRotation({ KeyId: keyArn }));
await attempt('key-admin', 'Decrypt', () => admin.decrypt({ CiphertextBlob, EncryptionContext: { app: 'myapp' } }));
await attempt('key-admin', 'Encrypt', () => admin.encrypt({ KeyId: keyArn, Plaintext: secret }));

console.log('\naudit trail (CloudTrail-shaped events; no plaintext or ciphertext in them):');
for (const e of audit.events) {
  console.log(`  ${e.eventTime} ${e.userIdentity.arn.split(':').pop()!.padEnd(16)} ${e.eventName.padEnd(20)} ${e.errorCode ?? 'ok'}`);
}
