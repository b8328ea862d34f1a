// The AWS Encryption SDK for JavaScript (@aws-crypto/client-node) with its KMS keyring, whose
// KMS client is the real AWS SDK v3 client routed to kmsbox: in-process and over HTTP.
import { buildClient, CommitmentPolicy, KmsKeyringNode } from '@aws-crypto/client-node';
import { KMS } from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestHandler, Kms } from 'kmsbox';
import { startServer, type RunningServer } from 'kmsbox/node';

const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

let kms: Kms;
let server: RunningServer;
let keyA: string;
let keyB: string;
let keyC: string;

// The ESDK bundles its own copy of the SDK's types, which differ in detail from the installed
// client's; at run time it only calls encrypt/decrypt/generateDataKey on what it is given.
type Supplier = NonNullable<NonNullable<ConstructorParameters<typeof KmsKeyringNode>[0]>['clientProvider']>;
const supplier = (make: (region: string) => KMS): Supplier => make as unknown as Supplier;

/** The ESDK asks for a client per region; it gets the real SDK client, its transport kmsbox. */
const inProcess = supplier((region) => new KMS({ region, credentials, requestHandler: createRequestHandler(kms), maxAttempts: 1 }));

beforeAll(async () => {
  kms = new Kms();
  keyA = (await kms.createKey({ Description: 'esdk a' })).KeyMetadata!.Arn!;
  keyB = (await kms.createKey({ Description: 'esdk b' })).KeyMetadata!.Arn!;
  keyC = (await kms.createKey({ Description: 'esdk c' })).KeyMetadata!.Arn!;
  server = await startServer(kms);
});
afterAll(() => server.close());

describe('AWS Encryption SDK over kmsbox', () => {
  const plaintext = randomBytes(5000);
  const encryptionContext = { purpose: 'esdk interop', tenant: 't1' };

  it('encrypts and decrypts with one kmsbox key; the message names the key ARN', async () => {
    const keyring = new KmsKeyringNode({ generatorKeyId: keyA, clientProvider: inProcess });
    const { result, messageHeader } = await encrypt(keyring, plaintext, { encryptionContext });
    expect(messageHeader.encryptedDataKeys.map((k) => k.providerInfo)).toEqual([keyA]);
    expect(Buffer.from(result).includes(plaintext.subarray(0, 32))).toBe(false);
    const out = await decrypt(keyring, result);
    expect(Buffer.from(out.plaintext).equals(plaintext)).toBe(true);
    expect(out.messageHeader.encryptionContext).toMatchObject(encryptionContext);
  });

  it('two KMS keys: a keyring holding only the second one decrypts; an unrelated key cannot', async () => {
    const both = new KmsKeyringNode({ generatorKeyId: keyA, keyIds: [keyB], clientProvider: inProcess });
    const { result, messageHeader } = await encrypt(both, plaintext, { encryptionContext });
    expect(messageHeader.encryptedDataKeys.map((k) => k.providerInfo)).toEqual([keyA, keyB]);
    const onlyB = new KmsKeyringNode({ keyIds: [keyB], clientProvider: inProcess });
    expect(Buffer.from((await decrypt(onlyB, result)).plaintext).equals(plaintext)).toBe(true);
    const onlyC = new KmsKeyringNode({ keyIds: [keyC], clientProvider: inProcess });
    await expect(decrypt(onlyC, result)).rejects.toThrow();
  });

  it("a disabled kmsbox key stops encryption with kmsbox's DisabledException", async () => {
    const disabled = (await kms.createKey()).KeyMetadata!;
    await kms.disableKey({ KeyId: disabled.KeyId });
    const keyring = new KmsKeyringNode({ generatorKeyId: disabled.Arn!, clientProvider: inProcess });
    const error = await encrypt(keyring, plaintext, { encryptionContext }).then(
      () => undefined,
      (e: unknown) => e as Error & { name: string },
    );
    expect(error).toBeDefined();
    expect(`${error!.name} ${error!.message}`).toMatch(/DisabledException|is disabled/);
  });

  it('works out of process too: the KMS client pointed at kmsbox serve', async () => {
    const overHttp = supplier((region) => new KMS({ region, credentials, endpoint: server.url, maxAttempts: 1 }));
    const keyring = new KmsKeyringNode({ generatorKeyId: keyA, clientProvider: overHttp });
    const { result } = await encrypt(keyring, plaintext, { encryptionContext });
    // and a message made over HTTP decrypts in-process: same keys, same provider
    const local = new KmsKeyringNode({ keyIds: [keyA], clientProvider: inProcess });
    expect(Buffer.from((await decrypt(local, result)).plaintext).equals(plaintext)).toBe(true);
  });
});
