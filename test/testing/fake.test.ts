import {
  CreateKeyCommand,
  ListKeysCommand,
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  InvalidCiphertextException,
  KMS,
  KMSClient,
  KMSServiceException,
  NotFoundException,
} from '@aws-sdk/client-kms';
import { Kms } from 'kmsbox';
import { installKmsFake, type KmsFake } from 'kmsbox/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { openSecret, sealSecret } from './secrets-app.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const originalSend = KMSClient.prototype.send;

let fake: KmsFake | undefined;
afterEach(() => fake?.restore());

async function newKey(f: KmsFake): Promise<string> {
  const { KeyMetadata } = await f.kms.createKey({});
  return KeyMetadata!.KeyId!;
}

describe('installKmsFake', () => {
  it('fakes a module-level KMSClient made before the call (the worked example)', async () => {
    fake = installKmsFake();
    const keyId = await newKey(fake);
    const blob = await sealSecret(keyId, 'MySecretPassword123', 'acme');
    expect(await openSecret(blob, 'acme')).toBe('MySecretPassword123');
    // Real behaviour, not a stub: the wrong encryption context fails as it does on AWS, with the SDK's own class.
    const wrong = await openSecret(blob, 'other').catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(InvalidCiphertextException);
    expect(fake.calls.map((c) => [c.operation, c.error])).toEqual([
      ['Encrypt', undefined],
      ['Decrypt', undefined],
      ['Decrypt', 'InvalidCiphertextException'],
    ]);
  });

  it('routes clients made after the call, the aggregated KMS class, and takes a Kms', async () => {
    const kms = new Kms({ region: 'eu-west-1' });
    fake = installKmsFake(kms);
    expect(fake.kms).toBe(kms);
    const client = new KMS({ region: 'eu-west-1' });
    const created = await client.createKey({ Description: 'made through the SDK' });
    expect((await kms.describeKey({ KeyId: created.KeyMetadata!.KeyId! })).KeyMetadata!.Description).toBe('made through the SDK');
    const missing = await new KMSClient({ region: 'eu-west-1' })
      .send(new EncryptCommand({ KeyId: 'alias/missing', Plaintext: bytes('x') }))
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundException);
  });

  it('a client with no region uses the Kms region; one with a region gets that region', async () => {
    fake = installKmsFake();
    const here = await new KMSClient({}).send(new CreateKeyCommand({}));
    expect(here.KeyMetadata!.Arn).toMatch(/^arn:aws:kms:us-east-1:111122223333:key\//);
    const there = await new KMSClient({ region: 'ap-south-1' }).send(new CreateKeyCommand({}));
    expect(there.KeyMetadata!.Arn).toMatch(/^arn:aws:kms:ap-south-1:111122223333:key\//);
  });

  it('restore() puts the class and every client back (no request reaches kmsbox after it)', async () => {
    const client = new KMSClient({ region: 'us-east-1' });
    const before = client.config.requestHandler;
    fake = installKmsFake();
    await client.send(new CreateKeyCommand({}));
    expect(client.config.requestHandler).not.toBe(before);
    expect(Object.hasOwn(KMSClient.prototype, 'send')).toBe(true);
    fake.restore();
    fake.restore(); // twice is fine
    expect(client.config.requestHandler).toBe(before);
    expect(KMSClient.prototype.send).toBe(originalSend);
    expect(Object.hasOwn(KMSClient.prototype, 'send')).toBe(false);
    expect(fake.calls).toHaveLength(1);
  });

  it('is disposable with `using`', async () => {
    {
      using f = installKmsFake();
      await new KMSClient({}).send(new CreateKeyCommand({}));
      expect(f.calls).toHaveLength(1);
    }
    expect(KMSClient.prototype.send).toBe(originalSend);
  });

  it('installing a second fake replaces the first', async () => {
    const first = installKmsFake();
    fake = installKmsFake();
    await new KMSClient({}).send(new CreateKeyCommand({}));
    expect(first.calls).toHaveLength(0);
    expect(fake.calls).toHaveLength(1);
    fake.restore();
    expect(KMSClient.prototype.send).toBe(originalSend);
  });

  it('records inputs with plaintext redacted, unless recordPlaintext', async () => {
    fake = installKmsFake();
    const keyId = await newKey(fake);
    const client = new KMSClient({});
    await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: bytes('secret'), EncryptionContext: { a: 'b' } }));
    expect(fake.callsOf('Encrypt')).toEqual([
      { operation: 'Encrypt', input: { KeyId: keyId, Plaintext: '[redacted]', EncryptionContext: { a: 'b' } } },
    ]);
    expect(JSON.stringify(fake.calls)).not.toContain(Buffer.from('secret').toString('base64'));
    fake.restore();
    fake = installKmsFake({ recordPlaintext: true });
    const k2 = await newKey(fake);
    const out = await client.send(new EncryptCommand({ KeyId: k2, Plaintext: bytes('secret') }));
    await client.send(new DecryptCommand({ CiphertextBlob: out.CiphertextBlob! }));
    expect(fake.calls[0]!.input.Plaintext).toEqual(bytes('secret'));
    expect(fake.calls[1]!.input.CiphertextBlob).toEqual(out.CiphertextBlob);
    fake.reset();
    expect(fake.calls).toEqual([]);
  });
});

describe('installKmsFake options', () => {
  it('redacts Message (Sign, GenerateMac) as well as Plaintext', async () => {
    fake = installKmsFake();
    const { KeyMetadata } = await fake.kms.createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    await new KMS({}).generateMac({ KeyId: KeyMetadata!.KeyId!, Message: bytes('m'), MacAlgorithm: 'HMAC_SHA_256' });
    expect(fake.callsOf('GenerateMac')[0]!.input).toEqual({
      KeyId: KeyMetadata!.KeyId,
      Message: '[redacted]',
      MacAlgorithm: 'HMAC_SHA_256',
    });
  });

  it('keepCredentials keeps what the client resolves (a 12-digit access key picks the account)', async () => {
    const credentials = { accessKeyId: '444455556666', secretAccessKey: 's' };
    fake = installKmsFake({ keepCredentials: true });
    const kept = await new KMSClient({ credentials }).send(new CreateKeyCommand({}));
    expect(kept.KeyMetadata!.AWSAccountId).toBe('444455556666');
    fake.restore();
    fake = installKmsFake();
    const replaced = await new KMSClient({ credentials }).send(new CreateKeyCommand({}));
    expect(replaced.KeyMetadata!.AWSAccountId).toBe('111122223333');
  });

  it('patches the classes given, and puts back a send the class defined itself', async () => {
    class AppClient extends KMSClient {}
    // A send of its own on the subclass (as an app wrapper might define), calling the SDK's.
    const own = function send(this: KMSClient, ...args: unknown[]): unknown {
      return (originalSend as (...a: unknown[]) => unknown).apply(this, args);
    };
    Object.defineProperty(AppClient.prototype, 'send', { value: own, writable: true, configurable: true });
    fake = installKmsFake({ client: [AppClient] });
    expect(KMSClient.prototype.send).toBe(originalSend);
    await new AppClient({}).send(new CreateKeyCommand({}));
    expect(fake.calls).toHaveLength(1);
    fake.restore();
    expect(AppClient.prototype.send).toBe(own);
    expect(() => installKmsFake('nope' as never)).toThrow('installKmsFake takes a Kms or an options object.');
    expect(() => installKmsFake({ seed: {} as never })).toThrow('seed must be a string, a number or a Uint8Array.');
    expect(KMSClient.prototype.send).toBe(originalSend);
  });
});

describe('fault injection, as the SDK sees AWS errors', () => {
  it('a ThrottlingException is retried by the SDK as throttling, then the call succeeds', async () => {
    fake = installKmsFake();
    const keyId = await newKey(fake);
    fake.fail('Encrypt', { error: 'ThrottlingException', times: 2 });
    const out = await new KMSClient({ maxAttempts: 3 }).send(new EncryptCommand({ KeyId: keyId, Plaintext: bytes('x') }));
    expect(out.$metadata.attempts).toBe(3);
    expect(fake.callsOf('Encrypt').map((c) => c.error)).toEqual(['ThrottlingException', 'ThrottlingException', undefined]);
  });

  it('an exhausted retry budget surfaces the AWS error with its name, message and status', async () => {
    fake = installKmsFake();
    const keyId = await newKey(fake);
    fake.fail('Encrypt', { error: 'ThrottlingException' });
    const error = (await new KMSClient({ maxAttempts: 2 })
      .send(new EncryptCommand({ KeyId: keyId, Plaintext: bytes('x') }))
      .catch((e: unknown) => e)) as KMSServiceException;
    expect(error).toBeInstanceOf(KMSServiceException);
    expect(error.name).toBe('ThrottlingException');
    expect(error.message).toBe('Rate exceeded');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.$metadata.attempts).toBe(2);
  });

  it.each([
    ['KMSInternalException', 500],
    ['DependencyTimeoutException', 503],
  ])('%s is a server fault (HTTP %i) the SDK retries', async (name, status) => {
    fake = installKmsFake();
    const keyId = await newKey(fake);
    fake.fail('GenerateDataKey', { error: name, times: 1 });
    const out = await new KMSClient({ maxAttempts: 2 }).send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }));
    expect(out.$metadata.attempts).toBe(2);
    fake.fail('GenerateDataKey', { error: name });
    const error = (await new KMSClient({ maxAttempts: 2 })
      .send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }))
      .catch((e: unknown) => e)) as KMSServiceException;
    expect(error.name).toBe(name);
    expect(error.$fault).toBe('server');
    expect(error.$metadata.httpStatusCode).toBe(status);
  });

  it('a client fault is not retried', async () => {
    fake = installKmsFake();
    fake.fail('*', { error: 'DisabledException', times: 5 });
    const error = await new KMSClient({ maxAttempts: 3 }).send(new CreateKeyCommand({})).catch((e: unknown) => e);
    expect((error as KMSServiceException).name).toBe('DisabledException');
    expect((error as KMSServiceException).$metadata.attempts).toBe(1);
    expect(fake.calls).toHaveLength(1);
  });

  it('keyId limits a failure to calls naming that key', async () => {
    fake = installKmsFake();
    const [a, b] = [await newKey(fake), await newKey(fake)];
    const arnA = (await fake.kms.describeKey({ KeyId: a })).KeyMetadata!.Arn!;
    fake.fail('Encrypt', { error: 'KMSInvalidStateException', keyId: arnA });
    const client = new KMSClient({});
    await expect(client.send(new EncryptCommand({ KeyId: a, Plaintext: bytes('x') }))).rejects.toMatchObject({
      name: 'KMSInvalidStateException',
    });
    await expect(client.send(new EncryptCommand({ KeyId: b, Plaintext: bytes('x') }))).resolves.toBeDefined();
  });

  it('keyId matches KeyId, SourceKeyId or DestinationKeyId as sent; an alias rule matches only that alias', async () => {
    fake = installKmsFake();
    const [a, b] = [await newKey(fake), await newKey(fake)];
    await fake.kms.createAlias({ AliasName: 'alias/a', TargetKeyId: a });
    const client = new KMS({});
    const { CiphertextBlob } = await client.encrypt({ KeyId: b, Plaintext: bytes('x') });
    fake.fail('*', { error: 'KMSInvalidStateException', keyId: a });
    await expect(client.reEncrypt({ CiphertextBlob, DestinationKeyId: a })).rejects.toMatchObject({ name: 'KMSInvalidStateException' });
    await expect(client.reEncrypt({ CiphertextBlob, DestinationKeyId: b })).resolves.toBeDefined();
    await expect(client.encrypt({ KeyId: 'alias/a', Plaintext: bytes('x') })).resolves.toBeDefined(); // an id rule does not resolve aliases
    fake.reset();
    fake.fail('Encrypt', { error: 'KMSInvalidStateException', keyId: 'alias/a' });
    await expect(client.encrypt({ KeyId: 'alias/a', Plaintext: bytes('x') })).rejects.toMatchObject({ name: 'KMSInvalidStateException' });
    await expect(client.encrypt({ KeyId: a, Plaintext: bytes('x') })).resolves.toBeDefined();
    await expect(client.decrypt({ CiphertextBlob: CiphertextBlob! })).resolves.toBeDefined(); // another operation
  });

  it('a custom status and message reach the SDK error', async () => {
    fake = installKmsFake();
    fake.fail('ListKeys', { error: 'LimitExceededException', status: 429, message: 'slow down', times: 1 });
    const error = (await new KMSClient({ maxAttempts: 1 }).send(new ListKeysCommand({})).catch((e: unknown) => e)) as KMSServiceException;
    expect([error.name, error.message, error.$metadata.httpStatusCode]).toEqual(['LimitExceededException', 'slow down', 429]);
    await expect(new KMSClient({}).send(new ListKeysCommand({}))).resolves.toBeDefined(); // times: 1 is used up
  });

  it('rate fails a fraction of calls, the same ones for the same seed', async () => {
    const outcomes = async (): Promise<string> => {
      fake = installKmsFake({ seed: 'rate' });
      const keyId = await newKey(fake);
      fake.fail('Encrypt', { error: 'AccessDeniedException', rate: 0.5 });
      const client = new KMSClient({ maxAttempts: 1 });
      for (let i = 0; i < 40; i++) await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: bytes('x') })).catch(() => undefined);
      const failed = fake
        .callsOf('Encrypt')
        .map((c) => (c.error ? 'x' : '.'))
        .join('');
      fake.restore();
      return failed;
    };
    const first = await outcomes();
    expect(first).toMatch(/x/);
    expect(first).toMatch(/\./);
    expect(await outcomes()).toBe(first);
  });

  it('latency delays a call without failing it', async () => {
    fake = installKmsFake();
    const keyId = await newKey(fake);
    fake.latency('Encrypt', 20, { times: 1 });
    let settled = false;
    const call = new KMSClient({}).send(new EncryptCommand({ KeyId: keyId, Plaintext: bytes('x') })).then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 1));
    expect(settled).toBe(false);
    await call;
    expect(settled).toBe(true);
  });

  it('refuses bad rules with a ValidationException', () => {
    fake = installKmsFake();
    expect(() => fake!.fail('Encrypte')).toThrow(/Unknown KMS operation "Encrypte"/);
    expect(() => fake!.fail('Encrypt', { times: 0 })).toThrow('times must be a positive integer.');
    expect(() => fake!.fail('Encrypt', { rate: 0 })).toThrow('rate must be a number with 0 < rate <= 1.');
    expect(() => fake!.fail('Encrypt', { rate: 1.5 })).toThrow('rate must be a number with 0 < rate <= 1.');
    expect(() => fake!.fail('Encrypt', { error: 'not a name!' })).toThrow(
      'error must be an AWS exception name such as ThrottlingException.',
    );
    expect(() => fake!.fail('Encrypt', { status: 200 })).toThrow('status must be an HTTP error status (400-599).');
    expect(() => fake!.fail('Encrypt', { keyId: '' })).toThrow('keyId must be a non-empty key id, ARN or alias name.');
    expect(() => fake!.latency('Encrypt', -1)).toThrow('latency must be a non-negative number of milliseconds.');
    expect(() => fake!.fail('Encrypt')).not.toThrow();
    expect(() => installKmsFake({ client: class NoSend {} })).toThrow(/has no send method/);
  });
});

describe('deterministic mode', () => {
  async function run(seed?: string) {
    fake = installKmsFake(seed === undefined ? {} : { seed });
    const client = new KMSClient({});
    const key = await client.send(new CreateKeyCommand({}));
    const keyId = key.KeyMetadata!.KeyId!;
    const enc = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: bytes('hello') }));
    const dk = await client.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }));
    const result = {
      arn: key.KeyMetadata!.Arn,
      created: key.KeyMetadata!.CreationDate?.toISOString(),
      requestId: enc.$metadata.requestId,
      blob: Buffer.from(enc.CiphertextBlob!).toString('hex'),
      dataKey: Buffer.from(dk.Plaintext!).toString('hex'),
    };
    fake.restore();
    return result;
  }

  it('the same seed gives the same keys, ids, data keys and ciphertexts; another seed or none does not', async () => {
    const a = await run('snapshot');
    const b = await run('snapshot');
    expect(b).toEqual(a);
    expect(a.created).toBe('2026-01-01T00:00:00.000Z');
    const c = await run('another');
    for (const k of ['arn', 'requestId', 'blob', 'dataKey'] as const) expect(c[k]).not.toBe(a[k]);
    const d = await run();
    const e = await run();
    for (const k of ['arn', 'requestId', 'blob', 'dataKey'] as const) expect(d[k]).not.toBe(e[k]);
  });

  it('after restore, random draws are the CSPRNG again', async () => {
    await run('snapshot');
    const kms = new Kms();
    const x = await kms.generateRandom({ NumberOfBytes: 32 });
    const y = await new Kms().generateRandom({ NumberOfBytes: 32 });
    expect(x.Plaintext).not.toEqual(y.Plaintext);
    await run('snapshot');
    expect((await new Kms().generateRandom({ NumberOfBytes: 32 })).Plaintext).not.toEqual(x.Plaintext);
  });
});
