// GenerateDataKey and Decrypt naming its KeyId (the two calls of every envelope) run without a promise
// per step on a MemoryProvider (issue #16, ops/encryption.ts `newDataKey`, `openNamed`). Nothing may
// be kept between calls: every change to a key must show on the very next call, every bad input
// must still be a typed error (as a rejection), and a provider that changes `read` or `seal` is asked.
import { describe, expect, it } from 'vitest';
import { Kms, MemoryProvider } from 'kmsbox';
import { recordingProxy, rejects } from './helpers.js';

const context = { tenant: 't-1', purpose: 'data keys' };
const APP = 'arn:aws:iam::111122223333:role/app';

/** Turns of the microtask queue until `pending` settles: how many promise hops the call made. */
async function turns(pending: Promise<unknown>): Promise<number> {
  let settled = false;
  pending.then(
    () => (settled = true),
    () => (settled = true),
  );
  let n = 0;
  while (!settled && n < 1000) {
    await null;
    n++;
  }
  return n;
}

const policy = (deny: string[]) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' },
      ...(deny.length > 0 ? [{ Effect: 'Deny', Principal: { AWS: '*' }, Action: deny, Resource: '*' }] : []),
    ],
  });

describe('GenerateDataKey and Decrypt with a KeyId, without a promise per step', () => {
  it('round trip: the data key decrypts under the named key, by id, ARN and alias', async () => {
    const kms = new Kms();
    const { KeyId, Arn } = (await kms.createKey()).KeyMetadata!;
    await kms.createAlias({ AliasName: 'alias/dk', TargetKeyId: KeyId! });
    const out = await kms.generateDataKey({ KeyId: KeyId!, KeySpec: 'AES_256', EncryptionContext: context });
    expect(out.Plaintext!.length).toBe(32);
    expect(out.KeyId).toBe(Arn);
    for (const named of [KeyId!, Arn!, 'alias/dk']) {
      const back = await kms.decrypt({ CiphertextBlob: out.CiphertextBlob!, KeyId: named, EncryptionContext: context });
      expect(back.Plaintext).toEqual(out.Plaintext);
      expect(back.KeyId).toBe(Arn);
    }
    const short = await kms.generateDataKey({ KeyId: KeyId!, NumberOfBytes: 7 });
    expect(short.Plaintext!.length).toBe(7);
    const without = await kms.generateDataKeyWithoutPlaintext({ KeyId: KeyId!, KeySpec: 'AES_128' });
    expect(without).not.toHaveProperty('Plaintext');
    expect((await kms.decrypt({ CiphertextBlob: without.CiphertextBlob!, KeyId: KeyId! })).Plaintext!.length).toBe(16);
  });

  it('answers with a promise, and bad input rejects it with a typed error instead of throwing', async () => {
    const kms = new Kms();
    const KeyId = (await kms.createKey()).KeyMetadata!.KeyId!;
    const good = kms.generateDataKey({ KeyId, KeySpec: 'AES_256' });
    expect(good).toBeInstanceOf(Promise);
    const { CiphertextBlob } = await good;
    for (const [call, name] of [
      [() => kms.generateDataKey({ KeyId, KeySpec: 'AES_512' as never }), 'ValidationException'],
      [() => kms.generateDataKey({ KeyId, KeySpec: 'AES_256', NumberOfBytes: 32 }), 'ValidationException'],
      [() => kms.generateDataKey({ KeyId: 'alias/none', KeySpec: 'AES_256' }), 'NotFoundException'],
      [() => kms.generateDataKey({ KeyId, KeySpec: 'AES_256', DryRun: true }), 'DryRunOperationException'],
      [() => kms.decrypt({ CiphertextBlob: new Uint8Array(3), KeyId }), 'InvalidCiphertextException'],
      [() => kms.decrypt({ CiphertextBlob, KeyId: 'alias/none' }), 'NotFoundException'],
      [() => kms.decrypt({ CiphertextBlob, KeyId, EncryptionContext: context }), 'InvalidCiphertextException'],
    ] as const) {
      const pending = call();
      expect(pending).toBeInstanceOf(Promise);
      await rejects(() => pending, name);
    }
  });

  it('costs no more promise hops than Encrypt and Decrypt without a KeyId (on a MemoryProvider)', async () => {
    const kms = new Kms();
    const KeyId = (await kms.createKey()).KeyMetadata!.KeyId!;
    const Plaintext = new Uint8Array(32);
    const encrypting = kms.encrypt({ KeyId, Plaintext, EncryptionContext: context });
    const encryptTurns = await turns(encrypting);
    const generating = kms.generateDataKey({ KeyId, KeySpec: 'AES_256', EncryptionContext: context });
    expect(await turns(generating)).toBeLessThanOrEqual(encryptTurns);
    const { CiphertextBlob } = await generating;
    const decryptTurns = await turns(kms.decrypt({ CiphertextBlob: (await encrypting).CiphertextBlob!, EncryptionContext: context }));
    expect(await turns(kms.decrypt({ CiphertextBlob: CiphertextBlob!, KeyId, EncryptionContext: context }))).toBeLessThanOrEqual(
      decryptTurns,
    );
  });

  it('a KeyId naming another key than the blob’s is IncorrectKeyException', async () => {
    const kms = new Kms();
    const a = (await kms.createKey()).KeyMetadata!.KeyId!;
    const b = (await kms.createKey()).KeyMetadata!.KeyId!;
    const { CiphertextBlob } = await kms.generateDataKey({ KeyId: a, KeySpec: 'AES_256' });
    await rejects(() => kms.decrypt({ CiphertextBlob, KeyId: b }), 'IncorrectKeyException');
  });

  it('a disabled key, a changed policy, a revoked grant and a rotation take effect on the next call', async () => {
    const kms = new Kms();
    const KeyId = (await kms.createKey()).KeyMetadata!.KeyId!;
    const { CiphertextBlob } = await kms.generateDataKey({ KeyId, KeySpec: 'AES_256' });

    await kms.disableKey({ KeyId });
    await rejects(() => kms.generateDataKey({ KeyId, KeySpec: 'AES_256' }), 'DisabledException');
    await rejects(() => kms.decrypt({ CiphertextBlob, KeyId }), 'DisabledException');
    await kms.enableKey({ KeyId });
    await kms.decrypt({ CiphertextBlob, KeyId });

    await kms.putKeyPolicy({ KeyId, PolicyName: 'default', Policy: policy(['kms:GenerateDataKey', 'kms:Decrypt']) });
    await rejects(() => kms.generateDataKey({ KeyId, KeySpec: 'AES_256' }), 'AccessDeniedException');
    await rejects(() => kms.decrypt({ CiphertextBlob, KeyId }), 'AccessDeniedException');
    await kms.putKeyPolicy({ KeyId, PolicyName: 'default', Policy: policy([]) });
    await kms.decrypt({ CiphertextBlob, KeyId });

    const app = kms.withPrincipal(APP);
    await rejects(() => app.generateDataKey({ KeyId, KeySpec: 'AES_256' }), 'AccessDeniedException');
    const { GrantId } = await kms.createGrant({ KeyId, GranteePrincipal: APP, Operations: ['GenerateDataKey', 'Decrypt'] });
    const granted = await app.generateDataKey({ KeyId, KeySpec: 'AES_256' });
    await app.decrypt({ CiphertextBlob: granted.CiphertextBlob!, KeyId });
    await kms.revokeGrant({ KeyId, GrantId: GrantId! });
    await rejects(() => app.generateDataKey({ KeyId, KeySpec: 'AES_256' }), 'AccessDeniedException');
    await rejects(() => app.decrypt({ CiphertextBlob: granted.CiphertextBlob!, KeyId }), 'AccessDeniedException');

    await kms.rotateKeyOnDemand({ KeyId });
    const after = await kms.generateDataKey({ KeyId, KeySpec: 'AES_256' });
    // The new blob names material version 1 (bytes 18–19 of the header), the old one version 0.
    expect([after.CiphertextBlob![18], after.CiphertextBlob![19]]).toEqual([0, 1]);
    expect((await kms.decrypt({ CiphertextBlob: after.CiphertextBlob!, KeyId })).Plaintext).toEqual(after.Plaintext);
    await kms.decrypt({ CiphertextBlob, KeyId });
  });

  it('a provider that is not the class’s own is asked to read and seal; Decrypt reads the named key once', async () => {
    const calls: string[] = [];
    const kms = new Kms({ provider: recordingProxy(new MemoryProvider(), calls) });
    const KeyId = (await kms.createKey()).KeyMetadata!.KeyId!;
    calls.length = 0;
    const { CiphertextBlob, Plaintext } = await kms.generateDataKey({ KeyId, KeySpec: 'AES_256', EncryptionContext: context });
    expect(calls).toContain('seal');
    expect(calls).toContain('read');
    calls.length = 0;
    const back = await kms.decrypt({ CiphertextBlob: CiphertextBlob!, KeyId, EncryptionContext: context });
    expect(back.Plaintext).toEqual(Plaintext);
    expect(calls).toContain('open');
    // One read: the named key is the blob's key (the named one was looked up twice before, then the blob's).
    expect(calls.filter((c) => c === 'read').length).toBe(1);
  });
});
