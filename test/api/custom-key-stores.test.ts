// Custom key stores: kmsbox answers as an AWS account without any
// (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeCustomKeyStores.html).
import {
  CustomKeyStoreNotFoundException as SdkCustomKeyStoreNotFoundException,
  DescribeCustomKeyStoresCommand as SdkDescribeCustomKeyStoresCommand,
  KMSClient,
} from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import {
  CustomKeyStoreNotFoundException,
  createRequestHandler,
  DescribeCustomKeyStoresCommand,
  isKmsError,
  Kms,
  MemoryAuditSink,
} from 'kmsbox';
import { CROSS_ACCOUNT_OPERATIONS, KEYLESS_OPERATIONS, WRITE_OPERATIONS } from '../../src/api/operations.js';
import { rejects } from './helpers.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

describe('DescribeCustomKeyStores', () => {
  it('lists no custom key stores, not truncated', async () => {
    const kms = new Kms();
    const out = await kms.describeCustomKeyStores();
    expect(out).toEqual({ CustomKeyStores: [], Truncated: false, $metadata: expect.objectContaining({ httpStatusCode: 200 }) });
    expect(await kms.describeCustomKeyStores({ Limit: 1 })).toMatchObject({ CustomKeyStores: [], Truncated: false });
    expect(await kms.send(new DescribeCustomKeyStoresCommand({}))).toMatchObject({ CustomKeyStores: [], Truncated: false });
  });

  it('a store named by id or by name is CustomKeyStoreNotFoundException', async () => {
    const kms = new Kms();
    await rejects(
      () => kms.describeCustomKeyStores({ CustomKeyStoreId: 'cks-1234567890abcdef0' }),
      'CustomKeyStoreNotFoundException',
      'Custom key store cks-1234567890abcdef0 does not exist in this account and Region.',
    );
    await rejects(
      () => kms.describeCustomKeyStores({ CustomKeyStoreName: 'ExampleKeyStore' }),
      'CustomKeyStoreNotFoundException',
      'No custom key store named ExampleKeyStore exists in this account and Region.',
    );
    const error = await kms.describeCustomKeyStores({ CustomKeyStoreId: 'cks-1' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ $fault: 'client', $metadata: { httpStatusCode: 400 } });
    // One of kmsbox's exported exceptions, known to isKmsError like every other.
    expect(Object.getPrototypeOf(error)).toBe(CustomKeyStoreNotFoundException.prototype);
    expect(isKmsError(error)).toBe(true);
  });

  it('checks its members as the model bounds them', async () => {
    const kms = new Kms();
    await rejects(
      () => kms.describeCustomKeyStores({ CustomKeyStoreId: '' }),
      'ValidationException',
      "1 validation error detected: Value '' at 'customKeyStoreId' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    await rejects(
      () => kms.describeCustomKeyStores({ CustomKeyStoreId: 'c'.repeat(65) }),
      'ValidationException',
      /at 'customKeyStoreId' failed to satisfy constraint: Member must have length less than or equal to 64$/,
    );
    await rejects(
      () => kms.describeCustomKeyStores({ CustomKeyStoreName: 'n'.repeat(257) }),
      'ValidationException',
      /at 'customKeyStoreName' failed to satisfy constraint: Member must have length less than or equal to 256$/,
    );
    expect(await kms.describeCustomKeyStores({ CustomKeyStoreName: 'n'.repeat(256) }).catch((e: Error) => e.name)).toBe(
      'CustomKeyStoreNotFoundException',
    );
    await rejects(() => kms.describeCustomKeyStores({ Limit: 0 }), 'ValidationException', /at 'limit'/);
    await rejects(() => kms.describeCustomKeyStores({ Limit: 1001 }), 'ValidationException', /at 'limit'/);
    await rejects(() => kms.describeCustomKeyStores({ Marker: 'not-a-marker' }), 'InvalidMarkerException', 'Invalid marker');
  });

  it('acts on no key, reads, and is not for another account (its entry in the operation table)', () => {
    expect(KEYLESS_OPERATIONS.has('DescribeCustomKeyStores')).toBe(true);
    expect(WRITE_OPERATIONS.has('DescribeCustomKeyStores')).toBe(false);
    expect(CROSS_ACCOUNT_OPERATIONS.has('DescribeCustomKeyStores')).toBe(false);
  });

  it('is authorized by identity policies only, in the caller account, and audited as a read', async () => {
    const audit = new MemoryAuditSink();
    const kms = new Kms({ audit });
    await kms.describeCustomKeyStores();
    expect(audit.events.at(-1)).toMatchObject({ eventName: 'DescribeCustomKeyStores', readOnly: true });
    const role = kms.withPrincipal('arn:aws:iam::111122223333:role/none');
    await rejects(() => role.describeCustomKeyStores(), 'AccessDeniedException', /kms:DescribeCustomKeyStores/);
    kms.setIdentityPolicies('arn:aws:iam::111122223333:role/reader', [
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:DescribeCustomKeyStores', Resource: '*' }] }),
    ]);
    expect(await kms.withPrincipal('arn:aws:iam::111122223333:role/reader').describeCustomKeyStores()).toMatchObject({
      CustomKeyStores: [],
    });
  });

  it('answers the AWS SDK over the wire protocol, with its own exception class', async () => {
    const client = new KMSClient({ region: 'us-east-1', credentials, requestHandler: createRequestHandler(new Kms()), maxAttempts: 1 });
    const out = await client.send(new SdkDescribeCustomKeyStoresCommand({}));
    expect(out.CustomKeyStores).toEqual([]);
    expect(out.Truncated).toBe(false);
    const error = await client.send(new SdkDescribeCustomKeyStoresCommand({ CustomKeyStoreId: 'cks-1' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SdkCustomKeyStoreNotFoundException);
  });
});

describe('ConnectCustomKeyStore', () => {
  it('any custom key store id is CustomKeyStoreNotFoundException; a missing one is ValidationException', async () => {
    const audit = new MemoryAuditSink();
    const kms = new Kms({ audit });
    await rejects(
      () => kms.connectCustomKeyStore({ CustomKeyStoreId: 'cks-1234567890abcdef0' }),
      'CustomKeyStoreNotFoundException',
      'Custom key store cks-1234567890abcdef0 does not exist in this account and Region.',
    );
    expect(audit.events.at(-1)).toMatchObject({
      eventName: 'ConnectCustomKeyStore',
      readOnly: false,
      errorCode: 'CustomKeyStoreNotFoundException',
    });
    await rejects(
      () => kms.connectCustomKeyStore({ CustomKeyStoreId: undefined }),
      'ValidationException',
      "1 validation error detected: Value null at 'customKeyStoreId' failed to satisfy constraint: Member must not be null",
    );
    await rejects(
      () => kms.connectCustomKeyStore({ CustomKeyStoreId: 'c'.repeat(65) }),
      'ValidationException',
      /length less than or equal to 64$/,
    );
    await rejects(
      () => kms.withPrincipal('arn:aws:iam::111122223333:role/none').connectCustomKeyStore({ CustomKeyStoreId: 'cks-1' }),
      'AccessDeniedException',
    );
  });
});

describe('DisconnectCustomKeyStore', () => {
  it('any custom key store id is CustomKeyStoreNotFoundException; a missing one is ValidationException', async () => {
    const audit = new MemoryAuditSink();
    const kms = new Kms({ audit });
    await rejects(
      () => kms.disconnectCustomKeyStore({ CustomKeyStoreId: 'cks-1234567890abcdef0' }),
      'CustomKeyStoreNotFoundException',
      'Custom key store cks-1234567890abcdef0 does not exist in this account and Region.',
    );
    expect(audit.events.at(-1)).toMatchObject({
      eventName: 'DisconnectCustomKeyStore',
      readOnly: false,
      errorCode: 'CustomKeyStoreNotFoundException',
    });
    await rejects(
      () => kms.disconnectCustomKeyStore({ CustomKeyStoreId: undefined }),
      'ValidationException',
      "1 validation error detected: Value null at 'customKeyStoreId' failed to satisfy constraint: Member must not be null",
    );
    await rejects(
      () => kms.disconnectCustomKeyStore({ CustomKeyStoreId: 'c'.repeat(65) }),
      'ValidationException',
      /length less than or equal to 64$/,
    );
    await rejects(
      () => kms.withPrincipal('arn:aws:iam::111122223333:role/none').disconnectCustomKeyStore({ CustomKeyStoreId: 'cks-1' }),
      'AccessDeniedException',
    );
  });
});

describe('DeleteCustomKeyStore', () => {
  it('any custom key store id is CustomKeyStoreNotFoundException; a missing one is ValidationException', async () => {
    const audit = new MemoryAuditSink();
    const kms = new Kms({ audit });
    await rejects(
      () => kms.deleteCustomKeyStore({ CustomKeyStoreId: 'cks-1234567890abcdef0' }),
      'CustomKeyStoreNotFoundException',
      'Custom key store cks-1234567890abcdef0 does not exist in this account and Region.',
    );
    expect(audit.events.at(-1)).toMatchObject({
      eventName: 'DeleteCustomKeyStore',
      readOnly: false,
      errorCode: 'CustomKeyStoreNotFoundException',
    });
    await rejects(
      () => kms.deleteCustomKeyStore({ CustomKeyStoreId: undefined }),
      'ValidationException',
      "1 validation error detected: Value null at 'customKeyStoreId' failed to satisfy constraint: Member must not be null",
    );
    await rejects(
      () => kms.deleteCustomKeyStore({ CustomKeyStoreId: 'c'.repeat(65) }),
      'ValidationException',
      /length less than or equal to 64$/,
    );
    await rejects(
      () => kms.withPrincipal('arn:aws:iam::111122223333:role/none').deleteCustomKeyStore({ CustomKeyStoreId: 'cks-1' }),
      'AccessDeniedException',
    );
  });
});

describe('UpdateCustomKeyStore', () => {
  it('any custom key store id is CustomKeyStoreNotFoundException; a missing one is ValidationException', async () => {
    const audit = new MemoryAuditSink();
    const kms = new Kms({ audit });
    await rejects(
      () => kms.updateCustomKeyStore({ CustomKeyStoreId: 'cks-1234567890abcdef0' }),
      'CustomKeyStoreNotFoundException',
      'Custom key store cks-1234567890abcdef0 does not exist in this account and Region.',
    );
    expect(audit.events.at(-1)).toMatchObject({
      eventName: 'UpdateCustomKeyStore',
      readOnly: false,
      errorCode: 'CustomKeyStoreNotFoundException',
    });
    await rejects(
      () => kms.updateCustomKeyStore({ CustomKeyStoreId: undefined }),
      'ValidationException',
      "1 validation error detected: Value null at 'customKeyStoreId' failed to satisfy constraint: Member must not be null",
    );
    await rejects(
      () => kms.updateCustomKeyStore({ CustomKeyStoreId: 'c'.repeat(65) }),
      'ValidationException',
      /length less than or equal to 64$/,
    );
    await rejects(
      () => kms.withPrincipal('arn:aws:iam::111122223333:role/none').updateCustomKeyStore({ CustomKeyStoreId: 'cks-1' }),
      'AccessDeniedException',
    );
  });
});

describe('UpdateCustomKeyStore with new properties', () => {
  it('is CustomKeyStoreNotFoundException whatever it would change, and never echoes the secrets', async () => {
    const kms = new Kms();
    const e = await rejects(
      () =>
        kms.updateCustomKeyStore({
          CustomKeyStoreId: 'cks-1',
          NewCustomKeyStoreName: 'renamed',
          KeyStorePassword: 'kmsuser-password-1',
          XksProxyAuthenticationCredential: { AccessKeyId: 'ABCDEFGHIJKLMNOPQRST', RawSecretAccessKey: 'proxy-secret-key' },
          XksProxyConnectivity: 'PUBLIC_ENDPOINT',
        }),
      'CustomKeyStoreNotFoundException',
    );
    expect(e.message).not.toContain('kmsuser-password-1');
    expect(e.message).not.toContain('proxy-secret-key');
  });
});
