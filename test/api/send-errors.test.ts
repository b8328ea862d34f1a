// send(command) with our and the AWS SDK's command objects; the error classes.
import * as sdk from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DisabledException,
  EncryptCommand,
  InvalidCiphertextException,
  isKmsError,
  Kms,
  KMSInternalException,
  KMSServiceException,
  NotFoundException,
  ValidationException,
  type AnyKmsError,
} from 'kmsbox';
import { rejects, utf8 } from './helpers.js';

describe('send(command)', () => {
  it('runs our command objects', async () => {
    const kms = new Kms();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'via send' }));
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/s', TargetKeyId: KeyMetadata!.KeyId }));
    const enc = await kms.send(new EncryptCommand({ KeyId: 'alias/s', Plaintext: utf8('hi') }));
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(new TextDecoder().decode(dec.Plaintext)).toBe('hi');
    expect(dec.$metadata).toMatchObject({ httpStatusCode: 200, attempts: 1 });
    expect(dec.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(dec.$metadata.requestId).not.toBe(enc.$metadata.requestId);
  });

  it('runs the AWS SDK v3 command objects unchanged', async () => {
    const kms = new Kms();
    const created = await kms.send(new sdk.CreateKeyCommand({ Description: 'sdk' }));
    const KeyId = (created.KeyMetadata as { KeyId: string }).KeyId;
    await kms.send(new sdk.CreateAliasCommand({ AliasName: 'alias/sdk', TargetKeyId: KeyId }));
    const enc = await kms.send(
      new sdk.EncryptCommand({ KeyId: 'alias/sdk', Plaintext: utf8('from the sdk'), EncryptionContext: { a: 'b' } }),
    );
    const dec = await kms.send(new sdk.DecryptCommand({ CiphertextBlob: enc.CiphertextBlob as Uint8Array, EncryptionContext: { a: 'b' } }));
    expect(new TextDecoder().decode(dec.Plaintext as Uint8Array)).toBe('from the sdk');
    const listed = await kms.send(new sdk.ListAliasesCommand({}));
    expect((listed.Aliases as Array<{ AliasName: string }>).map((a) => a.AliasName)).toEqual(['alias/sdk']);
    await rejects(() => kms.send(new sdk.DescribeKeyCommand({ KeyId: 'alias/none' })), 'NotFoundException');
  });

  it('answers an operation kmsbox does not have yet with UnsupportedOperationException, and junk with ValidationException', async () => {
    const kms = new Kms();
    const e = await rejects(
      () => kms.send(new sdk.CreateCustomKeyStoreCommand({ CustomKeyStoreName: 'x' })),
      'UnsupportedOperationException',
      'kmsbox does not implement CreateCustomKeyStore yet.',
    );
    expect(e.$metadata.requestId).toBeDefined();
    await rejects(() => kms.send(null as never), 'ValidationException');
    await rejects(() => kms.send({ input: {} } as never), 'UnsupportedOperationException');
  });
});

describe('errors', () => {
  it('carry the AWS fields', async () => {
    const e = await rejects(() => new Kms().describeKey({ KeyId: 'alias/x' }), 'NotFoundException');
    expect(e).toBeInstanceOf(NotFoundException);
    expect(e).toBeInstanceOf(KMSServiceException);
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(DisabledException);
    expect(e.$fault).toBe('client');
    expect(e.$metadata).toMatchObject({ httpStatusCode: 400, attempts: 1 });
    expect(JSON.parse(JSON.stringify(e))).toEqual({
      name: 'NotFoundException',
      message: e.message,
      $fault: 'client',
      $metadata: e.$metadata,
    });
    expect(new KMSInternalException().$metadata.httpStatusCode).toBe(500);
    expect(new KMSInternalException().$fault).toBe('server');
  });

  it('instanceof holds for a structurally equal error from another copy of the package', () => {
    const foreign = Object.assign(new Error('x'), { name: 'InvalidCiphertextException', $fault: 'client', $metadata: {} });
    expect(foreign).toBeInstanceOf(InvalidCiphertextException);
    expect(foreign).toBeInstanceOf(KMSServiceException);
    expect(foreign).not.toBeInstanceOf(NotFoundException);
    expect(isKmsError(foreign)).toBe(true);
    expect(isKmsError(new Error('x'))).toBe(false);
    expect({ name: 'NotFoundException', $fault: 'server', $metadata: {} }).not.toBeInstanceOf(NotFoundException);
  });

  it("the AWS SDK's own exceptions are ours, and ours are the SDK's base class", () => {
    const theirs = new sdk.NotFoundException({ message: 'gone', $metadata: {} });
    expect(theirs).toBeInstanceOf(NotFoundException);
    expect(theirs).toBeInstanceOf(KMSServiceException);
    const ours = new NotFoundException({ message: 'gone' });
    expect(ours).toBeInstanceOf(sdk.NotFoundException);
    expect(ours).toBeInstanceOf(sdk.KMSServiceException);
  });

  it('switch on name narrows AnyKmsError', async () => {
    let seen = '';
    try {
      await new Kms().generateRandom({ NumberOfBytes: 0 });
    } catch (e) {
      if (isKmsError(e)) {
        const err: AnyKmsError = e;
        switch (err.name) {
          case 'ValidationException':
            seen = err.message;
            break;
          default:
            seen = 'other';
        }
      }
    }
    expect(seen).toMatch(/numberOfBytes/);
  });

  it('a broken provider surfaces as KMSInternalException, never a raw error', async () => {
    const kms = new Kms();
    const { KeyMetadata } = await kms.createKey();
    const provider = kms.provider;
    const broken = new Kms({
      provider: Object.assign(Object.create(Object.getPrototypeOf(provider)), provider, {
        name: 'broken',
        read: provider.read.bind(provider),
        update: provider.update.bind(provider),
        supportsKeySpec: () => true,
        createMaterial: () => Promise.reject(new TypeError('disk on fire')),
        seal: () => Promise.reject(new RangeError('bad')),
      }),
    });
    const e = await rejects(() => broken.encrypt({ KeyId: KeyMetadata!.KeyId, Plaintext: utf8('x') }), 'KMSInternalException');
    expect(e.cause).toBeInstanceOf(RangeError);
    await rejects(() => broken.createKey(), 'KMSInternalException');
  });

  it('bad constructor options are ValidationException', () => {
    expect(() => new Kms({ region: 'Mars' })).toThrow(ValidationException);
    expect(() => new Kms({ accountId: '123' })).toThrow(ValidationException);
  });
});
