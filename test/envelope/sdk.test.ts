// KmsLike is the AWS shape: the real @aws-sdk/client-kms `KMS` client (here routed to an in-process
// Kms through its request handler) wraps and unwraps envelope data keys, and the two interoperate.
import { DisabledException, KMS, KMSClient } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { createRequestHandler, decryptEnvelope, encryptEnvelope, inspectEnvelope, type KmsLike } from 'kmsbox';
import { bytes, expectBytes, expectError, setup } from './helpers.js';

describe('envelopes through the AWS SDK v3 KMS client', () => {
  it('encrypts with the SDK client, decrypts with the Kms and back; errors keep their AWS names', async () => {
    const { kms, keyIds, arns } = await setup(2);
    const sdk = new KMS({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 's' },
      requestHandler: createRequestHandler(kms),
      maxAttempts: 1,
    });
    const asKmsLike: KmsLike = sdk; // compile-time proof that the SDK client fits
    const plaintext = bytes(300_000);
    const envelope = await encryptEnvelope(plaintext, { kms: asKmsLike, keyId: keyIds, encryptionContext: { app: 'sdk' } });
    expect(inspectEnvelope(envelope).recipients.map((r) => r.keyId)).toEqual(keyIds);
    expectBytes((await decryptEnvelope(envelope, { kms, discovery: true })).plaintext, plaintext);
    const back = await encryptEnvelope(plaintext, { kms, keyId: arns[1]! });
    const out = await decryptEnvelope(back, { kms: sdk, keyIds: [arns[1]!] });
    expectBytes(out.plaintext, plaintext);
    expect(out.keyId).toBe(arns[1]);
    await kms.disableKey({ KeyId: keyIds[1]! });
    const e = await expectError(() => decryptEnvelope(back, { kms: sdk, discovery: true }), 'DisabledException');
    expect(e.constructor.name).toBe('DisabledException'); // the SDK's own class, passed through
    sdk.destroy();
  });
});

describe('envelopes through a plain KMSClient (most v3 code)', () => {
  it('encryptEnvelope and decryptEnvelope accept a KMSClient and send the SDK its own commands', async () => {
    const { kms, keyIds } = await setup(1);
    const client = new KMSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 's' },
      requestHandler: createRequestHandler(kms),
      maxAttempts: 1,
    });
    const sent: string[] = [];
    const send = client.send.bind(client);
    client.send = ((command: { constructor: { name: string } }) => {
      sent.push(command.constructor.name);
      return send(command as never);
    }) as typeof client.send;
    const envelope = await encryptEnvelope(bytes(1000), { kms: client, keyId: keyIds[0]!, encryptionContext: { app: 'client' } });
    expectBytes((await decryptEnvelope(envelope, { kms: client, keyIds })).plaintext, bytes(1000));
    expectBytes((await decryptEnvelope(envelope, { kms, keyIds })).plaintext, bytes(1000));
    expect(sent).toEqual(['GenerateDataKeyCommand', 'DecryptCommand']);
    await kms.disableKey({ KeyId: keyIds[0]! });
    const e = await expectError(() => decryptEnvelope(envelope, { kms: client, keyIds }), 'DisabledException');
    expect(e).toBeInstanceOf(DisabledException); // the SDK's class
  });

  it('anything without send or the KMS methods is a ValidationException', async () => {
    await expectError(() => encryptEnvelope(bytes(1), { kms: {} as never, keyId: 'k' }), 'ValidationException');
    await expectError(() => encryptEnvelope(bytes(1), { kms: { send: 1 } as never, keyId: 'k' }), 'ValidationException');
  });
});
