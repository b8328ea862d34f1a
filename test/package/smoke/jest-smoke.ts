// Runs under jest + ts-jest in a fresh project that installed the packed tarball: test/package/pack.test.ts copies it there as jest-smoke.test.ts.
import { InvalidCiphertextException, KMSClient, CreateKeyCommand } from '@aws-sdk/client-kms';
import { Kms, NotFoundException } from 'kmsbox';
import * as node from 'kmsbox/node';
import { installKmsFake } from 'kmsbox/testing';
import { openSecret, sealSecret } from './secrets-app';

const fake = installKmsFake();
afterAll(() => fake.restore());

test('kmsbox runs under jest with no configuration', async () => {
  const kms = new Kms();
  const { KeyMetadata } = await kms.createKey({});
  const { CiphertextBlob } = await kms.encrypt({ KeyId: KeyMetadata!.KeyId!, Plaintext: new TextEncoder().encode('hi') });
  expect(new TextDecoder().decode((await kms.decrypt({ CiphertextBlob: CiphertextBlob! })).Plaintext)).toBe('hi');
  await expect(kms.describeKey({ KeyId: 'alias/missing' })).rejects.toBeInstanceOf(NotFoundException);
  expect(new node.Kms()).toBeInstanceOf(Kms);
});

// Code the package loads on first use (src/lazy.ts): in the CJS build a require() of another chunk, which jest's module system runs.
test('the lazily loaded operations and signing code load under jest', async () => {
  const kms = new Kms();
  const { KeyMetadata } = await kms.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
  await kms.createAlias({ AliasName: 'alias/signer', TargetKeyId: KeyMetadata!.KeyId! });
  const message = new TextEncoder().encode('signed');
  const { Signature } = await kms.sign({ KeyId: 'alias/signer', Message: message, SigningAlgorithm: 'ECDSA_SHA_256' });
  const { SignatureValid } = await kms.verify({
    KeyId: 'alias/signer',
    Message: message,
    Signature: Signature!,
    SigningAlgorithm: 'ECDSA_SHA_256',
  });
  expect(SignatureValid).toBe(true);
  const ml = await kms.createKey({ KeySpec: 'ML_DSA_44', KeyUsage: 'SIGN_VERIFY' });
  expect((await kms.getPublicKey({ KeyId: ml.KeyMetadata!.KeyId! })).PublicKey!.length).toBeGreaterThan(1300);
});

test('one line fakes the module-level KMSClient of the code under test', async () => {
  const { KeyMetadata } = await new KMSClient({}).send(new CreateKeyCommand({}));
  const blob = await sealSecret(KeyMetadata!.KeyId!, 'MySecretPassword123', 'acme');
  expect(await openSecret(blob, 'acme')).toBe('MySecretPassword123');
  await expect(openSecret(blob, 'other')).rejects.toBeInstanceOf(InvalidCiphertextException);
  expect(fake.calls.map((c) => c.operation)).toEqual(['CreateKey', 'Encrypt', 'Decrypt', 'Decrypt']);
  expect(fake.callsOf('Encrypt')[0]!.input.Plaintext).toBe('[redacted]');
});

test('the SDK retries an injected ThrottlingException', async () => {
  const { KeyMetadata } = await fake.kms.createKey({});
  fake.fail('Encrypt', { error: 'ThrottlingException', times: 1 });
  await sealSecret(KeyMetadata!.KeyId!, 'x', 'acme');
  expect(
    fake
      .callsOf('Encrypt')
      .slice(-2)
      .map((c) => c.error),
  ).toEqual(['ThrottlingException', undefined]);
});
