// Key policies, grants and access denials through the real @aws-sdk/client-kms (kmsbox as its
// in-process request handler): the SDK's shapes, timestamps and exception classes.
import {
  CreateGrantCommand,
  CreateKeyCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ListGrantsCommand,
  ListKeyPoliciesCommand,
  PutKeyPolicyCommand,
  RetireGrantCommand,
  MalformedPolicyDocumentException,
  InvalidGrantTokenException,
} from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { createRequestHandler, Kms } from 'kmsbox';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const APP = 'arn:aws:iam::111122223333:role/app';

describe('policies and grants through the AWS SDK', () => {
  it('round-trips key policies and grants, and denials arrive as AccessDeniedException', async () => {
    const kms = new Kms();
    const client = new KMSClient({ region: 'us-east-1', credentials, requestHandler: createRequestHandler(kms), maxAttempts: 1 });
    const appClient = new KMSClient({
      region: 'us-east-1',
      credentials,
      requestHandler: createRequestHandler(kms.withPrincipal(APP)),
      maxAttempts: 1,
    });
    const { KeyMetadata } = await client.send(new CreateKeyCommand({}));
    const KeyId = KeyMetadata!.KeyId!;
    const { Policy } = await client.send(new GetKeyPolicyCommand({ KeyId }));
    expect(JSON.parse(Policy!).Id).toBe('key-default-1');
    expect((await client.send(new ListKeyPoliciesCommand({ KeyId }))).PolicyNames).toEqual(['default']);
    await expect(client.send(new PutKeyPolicyCommand({ KeyId, Policy: '{"Statement": 5}' }))).rejects.toBeInstanceOf(
      MalformedPolicyDocumentException,
    );

    const denied = (await appClient.send(new EncryptCommand({ KeyId, Plaintext: new Uint8Array([1]) })).catch((e: Error) => e)) as Error;
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.message).toMatch(/^User: arn:aws:iam::111122223333:role\/app is not authorized to perform: kms:Encrypt/);

    const { GrantToken, GrantId } = await client.send(
      new CreateGrantCommand({
        KeyId,
        GranteePrincipal: APP,
        Operations: ['Encrypt'],
        Constraints: { EncryptionContextSubset: { app: 'x' } },
        Name: 'app',
      }),
    );
    await appClient.send(
      new EncryptCommand({ KeyId, Plaintext: new Uint8Array([1]), EncryptionContext: { app: 'x' }, GrantTokens: [GrantToken!] }),
    );
    const { Grants } = await client.send(new ListGrantsCommand({ KeyId }));
    expect(Grants![0]).toMatchObject({
      GrantId,
      Name: 'app',
      GranteePrincipal: APP,
      Operations: ['Encrypt'],
      Constraints: { EncryptionContextSubset: { app: 'x' } },
    });
    expect(Grants![0]!.CreationDate).toBeInstanceOf(Date);
    await expect(client.send(new RetireGrantCommand({ GrantToken: 'bogus' }))).rejects.toBeInstanceOf(InvalidGrantTokenException);
    await client.send(new RetireGrantCommand({ GrantToken }));
    expect((await client.send(new ListGrantsCommand({ KeyId }))).Grants).toEqual([]);
    client.destroy();
    appClient.destroy();
  });
});
