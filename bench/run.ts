/**
 * `npm run bench`: kmsbox beside its peers, in one run, on the same inputs. Never part of
 * `npm test`. Results and the machine go to BENCHMARKS.md.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Kms } from '../src/index.js';
import { compare, machine, section, table, target } from './harness.js';

console.log(`# kmsbox benchmarks\n\n${machine()}`);

// --- Encrypt + Decrypt of 4 KiB through Kms, beside raw node:crypto AES-256-GCM (the ceiling).
{
  section('Encrypt + Decrypt, 4 KiB, 2-pair encryption context');
  const kms = new Kms();
  const { KeyMetadata } = await kms.createKey({ Description: 'bench' });
  const KeyId = KeyMetadata!.KeyId!;
  const payload = randomBytes(4096);
  const context = { tenant: 't-0042', purpose: 'bench' };
  const aad = Buffer.from(JSON.stringify(context));
  const rawKey = randomBytes(32);

  const raw = (): void => {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', rawKey, iv);
    c.setAAD(aad);
    const ct = Buffer.concat([c.update(payload), c.final()]);
    const tag = c.getAuthTag();
    const d = createDecipheriv('aes-256-gcm', rawKey, iv);
    d.setAAD(aad);
    d.setAuthTag(tag);
    Buffer.concat([d.update(ct), d.final()]);
  };
  const viaKms = async (): Promise<void> => {
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: payload, EncryptionContext: context });
    await kms.decrypt({ CiphertextBlob, EncryptionContext: context });
  };
  const dataKey = async (): Promise<void> => {
    const { CiphertextBlob } = await kms.generateDataKey({ KeyId, KeySpec: 'AES_256', EncryptionContext: context });
    await kms.decrypt({ CiphertextBlob, EncryptionContext: context });
  };

  const results = await compare([
    { name: 'node:crypto AES-256-GCM encrypt+decrypt (raw)', run: raw },
    { name: 'kms.encrypt + kms.decrypt', run: viaKms },
    { name: 'kms.generateDataKey + kms.decrypt (envelope hot path)', run: dataKey },
  ]);
  table(results, 'node:crypto AES-256-GCM encrypt+decrypt (raw)');
  target('kms.encrypt + kms.decrypt vs raw node:crypto', results[1]!.opsPerSecond / results[0]!.opsPerSecond, 0.4);
}

// --- Encrypt 4 KiB through the real AWS SDK v3 client: in-process (createRequestHandler) and over loopback HTTP (kmsbox serve).
{
  section('Encrypt 4 KiB through @aws-sdk/client-kms');
  const { KMSClient, EncryptCommand } = await import('@aws-sdk/client-kms');
  const { createRequestHandler } = await import('../src/index.js');
  const { startServer } = await import('../src/node.js');
  const kms = new Kms();
  const { KeyMetadata } = await kms.createKey({ Description: 'bench' });
  const input = { KeyId: KeyMetadata!.KeyId!, Plaintext: randomBytes(4096) };
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
  const inProcess = new KMSClient({ region: 'us-east-1', credentials, requestHandler: createRequestHandler(kms) });
  const server = await startServer(kms);
  const overHttp = new KMSClient({ region: 'us-east-1', credentials, endpoint: server.url, maxAttempts: 1 });
  const results = await compare(
    [
      { name: 'kms.encrypt (direct)', run: () => kms.encrypt(input) },
      { name: 'SDK KMSClient + createRequestHandler (in-process)', run: () => inProcess.send(new EncryptCommand(input)) },
      { name: 'SDK KMSClient → kmsbox serve (loopback HTTP, 1 client)', run: () => overHttp.send(new EncryptCommand(input)) },
    ],
    { rounds: 3, roundMs: 500 },
  );
  table(results, 'kms.encrypt (direct)');
  overHttp.destroy();
  await server.close();
}
