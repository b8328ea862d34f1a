// `kmsbox serve --store`: keys survive a restart of the server.
import { CreateAliasCommand, CreateKeyCommand, DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cliBundle } from '../cli/cli-bundle.js';
import { tempDir } from '../providers/file-fixtures.js';

const root = new URL('../..', import.meta.url).pathname;
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

function serve(args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cliBundle, 'serve', '--port', '0', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
  });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(d.toString());
      if (m) resolve({ child, url: m[1]! });
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
}

const stop = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    child.on('exit', resolve);
    child.kill('SIGTERM');
  });

describe('kmsbox serve --store', () => {
  it('keeps keys, aliases and ciphertexts readable across a restart', async () => {
    const dir = tempDir();
    const rootKeyFile = join(dir, 'root.key');
    writeFileSync(rootKeyFile, randomBytes(32));
    const store = join(dir, 'serve.kmsbox');

    const first = await serve(['--store', store, '--root-key-file', rootKeyFile]);
    let client = new KMSClient({ region: 'us-east-1', endpoint: first.url, credentials, maxAttempts: 1 });
    const { KeyMetadata } = await client.send(new CreateKeyCommand({}));
    await client.send(new CreateAliasCommand({ AliasName: 'alias/kept', TargetKeyId: KeyMetadata!.KeyId }));
    const { CiphertextBlob } = await client.send(
      new EncryptCommand({ KeyId: 'alias/kept', Plaintext: new TextEncoder().encode('survives') }),
    );
    client.destroy();
    expect(await stop(first.child)).toBe(0);

    const second = await serve(['--store', store, '--root-key-file', rootKeyFile]);
    client = new KMSClient({ region: 'us-east-1', endpoint: second.url, credentials, maxAttempts: 1 });
    const { Plaintext, KeyId } = await client.send(new DecryptCommand({ CiphertextBlob }));
    expect([new TextDecoder().decode(Plaintext), KeyId]).toEqual(['survives', KeyMetadata!.Arn]);
    client.destroy();
    expect(await stop(second.child)).toBe(0);
  });

  it('a passphrase comes from KMSBOX_PASSPHRASE; without one --store is refused', async () => {
    const dir = tempDir();
    const s = await serve(['--store', join(dir, 'p.kmsbox')], { KMSBOX_PASSPHRASE: 'pass phrase' });
    expect(await stop(s.child)).toBe(0);
    await expect(serve(['--store', join(dir, 'q.kmsbox')], { KMSBOX_PASSPHRASE: '' })).rejects.toThrow(/KMSBOX_PASSPHRASE/);
  });
});

describe('kmsbox serve --audit-log', () => {
  it('records every request, denied ones too, in a hash-chained log that verifies', async () => {
    const { verifyAuditLog } = await import('kmsbox/node');
    const { readFileSync } = await import('node:fs');
    const dir = tempDir();
    const log = join(dir, 'audit.jsonl');
    const s = await serve(['--audit-log', log]);
    const client = new KMSClient({ region: 'us-east-1', endpoint: s.url, credentials, maxAttempts: 1 });
    const { KeyMetadata } = await client.send(new CreateKeyCommand({}));
    await client.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: new TextEncoder().encode('logged?') }));
    await client.send(new DecryptCommand({ CiphertextBlob: new Uint8Array(80) })).catch(() => undefined);
    client.destroy();
    expect(await stop(s.child)).toBe(0);
    expect(verifyAuditLog(log)).toMatchObject({ ok: true, events: 3 });
    const events = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).event);
    expect(events.map((e: { eventName: string; errorCode?: string }) => `${e.eventName}:${e.errorCode ?? 'ok'}`)).toEqual([
      'CreateKey:ok',
      'Encrypt:ok',
      'Decrypt:InvalidCiphertextException',
    ]);
    expect(events[0].sourceIPAddress).toMatch(/127\.0\.0\.1/);
    expect(events[0].userAgent).toMatch(/aws-sdk-js/);
  });
});
