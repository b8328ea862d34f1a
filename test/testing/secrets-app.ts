/**
 * The worked example: an application module that makes its KMSClient at load time, as most do.
 * Nothing in it knows about kmsbox; test/testing/fake.test.ts and the jest smoke project fake it.
 */
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';

const kms = new KMSClient({ maxAttempts: 3 });

export async function sealSecret(keyId: string, secret: string, tenant: string): Promise<Uint8Array> {
  const out = await kms.send(
    new EncryptCommand({ KeyId: keyId, Plaintext: new TextEncoder().encode(secret), EncryptionContext: { tenant } }),
  );
  return out.CiphertextBlob!;
}

export async function openSecret(blob: Uint8Array, tenant: string): Promise<string> {
  const out = await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { tenant } }));
  return new TextDecoder().decode(out.Plaintext);
}
