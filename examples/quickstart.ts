/**
 * The seed flow: create a symmetric key, give it the alias alias/myapp-key, encrypt a secret
 * under it with an encryption context, decrypt it, print it. Run: npm run demo
 */
import { Kms } from 'kmsbox';

const kms = new Kms();

const { KeyMetadata } = await kms.createKey({ Description: 'myapp key' });
console.log(`created key   ${KeyMetadata!.Arn}`);

await kms.createAlias({ AliasName: 'alias/myapp-key', TargetKeyId: KeyMetadata!.KeyId });
console.log('created alias alias/myapp-key');

const secret = new TextEncoder().encode('MySecretPassword123');
const { CiphertextBlob } = await kms.encrypt({
  KeyId: 'alias/myapp-key',
  Plaintext: secret,
  EncryptionContext: { app: 'myapp' },
});
console.log(`encrypted     ${CiphertextBlob!.length} bytes: ${Buffer.from(CiphertextBlob!).toString('base64')}`);

const { Plaintext, KeyId } = await kms.decrypt({ CiphertextBlob, EncryptionContext: { app: 'myapp' } });
console.log(`decrypted by  ${KeyId}`);
console.log(`plaintext     ${new TextDecoder().decode(Plaintext)}`);

// The wrong context fails, as it does in AWS KMS.
try {
  await kms.decrypt({ CiphertextBlob, EncryptionContext: { app: 'other' } });
} catch (e) {
  console.log(`wrong context ${(e as Error).name}`);
}
