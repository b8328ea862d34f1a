// The real @aws-sdk/client-kms, with kmsbox as its in-process request handler: the SDK's own
// serialization, parsing and exception classes over kmsbox's wire protocol.
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisabledException,
  DisableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetKeyRotationStatusCommand,
  EnableKeyRotationCommand,
  InvalidCiphertextException,
  KMS,
  KMSClient,
  KMSServiceException,
  ListAliasesCommand,
  ListKeysCommand,
  NotFoundException,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  ListResourceTagsCommand,
  ReplicateKeyCommand,
} from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { createRequestHandler, Kms, ManualClock } from 'kmsbox';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

function setup(region = 'us-east-1') {
  const clock = new ManualClock(new Date('2026-05-01T12:00:00.250Z'));
  const kms = new Kms({ clock });
  const client = new KMSClient({ region, credentials, requestHandler: createRequestHandler(kms), maxAttempts: 1 });
  return { kms, client, clock };
}

describe('@aws-sdk/client-kms over createRequestHandler', () => {
  it('runs the seed flow: create a key with an alias, encrypt a secret, decrypt it', async () => {
    const { client } = setup();
    const { KeyMetadata } = await client.send(new CreateKeyCommand({ Description: 'app' }));
    expect(KeyMetadata!.CreationDate).toEqual(new Date('2026-05-01T12:00:00.250Z'));
    expect(KeyMetadata!.KeyState).toBe('Enabled');
    await client.send(new CreateAliasCommand({ AliasName: 'alias/myapp-key', TargetKeyId: KeyMetadata!.KeyId }));
    const enc = await client.send(
      new EncryptCommand({
        KeyId: 'alias/myapp-key',
        Plaintext: new TextEncoder().encode('MySecretPassword123'),
        EncryptionContext: { Plaintext: 'a context key named like a blob member' },
      }),
    );
    expect(enc.CiphertextBlob).toBeInstanceOf(Uint8Array);
    expect(enc.KeyId).toBe(KeyMetadata!.Arn);
    expect(enc.$metadata.httpStatusCode).toBe(200);
    expect(enc.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const dec = await client.send(
      new DecryptCommand({
        CiphertextBlob: enc.CiphertextBlob,
        EncryptionContext: { Plaintext: 'a context key named like a blob member' },
      }),
    );
    expect(text(dec.Plaintext)).toBe('MySecretPassword123');
    expect(dec.KeyMaterialId).toBe(KeyMetadata!.CurrentKeyMaterialId);
  });

  it("errors arrive as the SDK's own exception classes with status 400 and AWS's message", async () => {
    const { client } = setup();
    const { KeyMetadata } = await client.send(new CreateKeyCommand({}));
    const enc = await client.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: new Uint8Array([1]) }));
    const missing = await client.send(new DescribeKeyCommand({ KeyId: 'alias/none' })).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundException);
    expect(missing).toBeInstanceOf(KMSServiceException);
    expect((missing as NotFoundException).$metadata.httpStatusCode).toBe(400);
    expect((missing as NotFoundException).message).toBe('Alias arn:aws:kms:us-east-1:111122223333:alias/none is not found.');
    const tampered = Uint8Array.from(enc.CiphertextBlob!);
    tampered[60]! ^= 1;
    const bad = await client.send(new DecryptCommand({ CiphertextBlob: tampered })).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(InvalidCiphertextException);
    await client.send(new DisableKeyCommand({ KeyId: KeyMetadata!.KeyId }));
    const disabled = await client.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })).catch((e: unknown) => e);
    expect(disabled).toBeInstanceOf(DisabledException);
    expect((disabled as Error).message).toBe(`${KeyMetadata!.Arn} is disabled.`);
    const validation = await client
      .send(new GenerateDataKeyCommand({ KeyId: KeyMetadata!.KeyId, NumberOfBytes: 0 }))
      .catch((e: unknown) => e);
    expect((validation as Error).name).toBe('ValidationException');
    expect((validation as KMSServiceException).$metadata.httpStatusCode).toBe(400);
    // A single-Region key cannot be replicated (AWS: UnsupportedOperationException).
    const unsupported = await client
      .send(new ReplicateKeyCommand({ KeyId: KeyMetadata!.KeyId, ReplicaRegion: 'eu-west-1' }))
      .catch((e: unknown) => e);
    expect((unsupported as Error).name).toBe('UnsupportedOperationException');
    expect((unsupported as Error).message).toBe(`${KeyMetadata!.Arn} is not a multi-region primary key.`);
  });

  it('timestamps, lists and paging survive the wire', async () => {
    const { client, clock } = setup();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!);
    const page = await client.send(new ListKeysCommand({ Limit: 3 }));
    expect(page.Keys!.length).toBe(3);
    expect(page.Truncated).toBe(true);
    const rest = await client.send(new ListKeysCommand({ Marker: page.NextMarker }));
    expect([...page.Keys!, ...rest.Keys!].map((k) => k.KeyId).sort()).toEqual([...ids].sort());
    await client.send(new EnableKeyRotationCommand({ KeyId: ids[0], RotationPeriodInDays: 90 }));
    const status = await client.send(new GetKeyRotationStatusCommand({ KeyId: ids[0] }));
    expect(status.NextRotationDate).toEqual(new Date(clock.now().getTime() + 90 * 86_400_000));
    const del = await client.send(new ScheduleKeyDeletionCommand({ KeyId: ids[1], PendingWindowInDays: 7 }));
    expect(del.DeletionDate).toEqual(new Date(clock.now().getTime() + 7 * 86_400_000));
    await client.send(new TagResourceCommand({ KeyId: ids[2], Tags: [{ TagKey: 'k', TagValue: 'v' }] }));
    expect((await client.send(new ListResourceTagsCommand({ KeyId: ids[2] }))).Tags).toEqual([{ TagKey: 'k', TagValue: 'v' }]);
    await client.send(new CreateAliasCommand({ AliasName: 'alias/x', TargetKeyId: ids[2] }));
    const aliases = await client.send(new ListAliasesCommand({}));
    expect(aliases.Aliases![0]!.CreationDate).toEqual(clock.now());
  });

  it('the aggregated KMS client works too, and the region in the request picks the Kms region', async () => {
    const kms = new Kms();
    const west = new KMS({ region: 'eu-west-1', credentials, requestHandler: createRequestHandler(kms) });
    const { KeyMetadata } = await west.createKey({});
    expect(KeyMetadata!.Arn!.startsWith('arn:aws:kms:eu-west-1:111122223333:key/')).toBe(true);
    // The same provider seen from us-east-1 does not list it; from eu-west-1 it does.
    expect((await kms.listKeys()).Keys).toEqual([]);
    expect((await kms.withRegion('eu-west-1').listKeys()).Keys!.map((k) => k.KeyId)).toEqual([KeyMetadata!.KeyId]);
    const dk = await west.generateDataKey({ KeyId: KeyMetadata!.KeyId, KeySpec: 'AES_256' });
    expect(dk.Plaintext!.length).toBe(32);
    expect(text((await west.decrypt({ CiphertextBlob: dk.CiphertextBlob })).Plaintext)).toBe(text(dk.Plaintext));
  });
});
