// Encrypt and Decrypt on a MemoryProvider run without a promise per step and write the blob in one
// buffer (issue #16: providers/records-now.ts `recordsNow`, providers/software.ts `directSymmetric`). These
// shortcuts must never bypass a provider that changes `read`, `seal` or `open`, must write the same
// blobs as the general path, and must see every change to a key on the very next call.
import { describe, expect, it } from 'vitest';
import { Kms, MemoryProvider, type StoreState } from 'kmsbox';
import { recordingProxy, rejects, utf8 } from './helpers.js';

const context = { tenant: 't-1', purpose: 'fast path' };

describe('the Encrypt and Decrypt fast path', () => {
  it('a subclass that overrides seal, open and read is asked: nothing goes around it', async () => {
    const calls: string[] = [];
    class Counting extends MemoryProvider {
      override async seal(...args: Parameters<MemoryProvider['seal']>) {
        calls.push('seal');
        return super.seal(...args);
      }
      override async open(...args: Parameters<MemoryProvider['open']>) {
        calls.push('open');
        return super.open(...args);
      }
      override async read<T>(fn: (state: Readonly<StoreState>) => T): Promise<T> {
        calls.push('read');
        return super.read(fn);
      }
    }
    const kms = new Kms({ provider: new Counting() });
    const KeyId = (await kms.createKey()).KeyMetadata!.KeyId!;
    calls.length = 0;
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: utf8('secret'), EncryptionContext: context });
    expect(calls).toContain('seal');
    expect(calls).toContain('read');
    calls.length = 0;
    const { Plaintext } = await kms.decrypt({ CiphertextBlob, EncryptionContext: context });
    expect(new TextDecoder().decode(Plaintext)).toBe('secret');
    expect(calls).toContain('open');
    expect(calls).toContain('read');
  });

  it('a Proxy of a MemoryProvider is asked for every read, seal and open', async () => {
    const calls: string[] = [];
    const kms = new Kms({ provider: recordingProxy(new MemoryProvider(), calls) });
    const KeyId = (await kms.createKey()).KeyMetadata!.KeyId!;
    calls.length = 0;
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: utf8('secret'), EncryptionContext: context });
    await kms.decrypt({ CiphertextBlob, EncryptionContext: context });
    expect(calls.filter((c) => c === 'read').length).toBeGreaterThanOrEqual(2);
    expect(calls).toContain('seal');
    expect(calls).toContain('open');
  });

  it('blobs written by the fast path open on the general path and the other way round, with the same bytes of overhead', async () => {
    const memory = new MemoryProvider();
    const fast = new Kms({ provider: memory });
    const general = new Kms({ provider: recordingProxy(memory, []) });
    const KeyId = (await fast.createKey()).KeyMetadata!.KeyId!;
    for (const size of [1, 15, 16, 17, 4096]) {
      const Plaintext = Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0xff);
      const a = await fast.encrypt({ KeyId, Plaintext, EncryptionContext: context });
      const b = await general.encrypt({ KeyId, Plaintext, EncryptionContext: context });
      expect(a.CiphertextBlob!.length).toBe(size + 64);
      expect(b.CiphertextBlob!.length).toBe(size + 64);
      expect((await general.decrypt({ CiphertextBlob: a.CiphertextBlob, EncryptionContext: context })).Plaintext).toEqual(Plaintext);
      expect((await fast.decrypt({ CiphertextBlob: b.CiphertextBlob, EncryptionContext: context })).Plaintext).toEqual(Plaintext);
    }
  });

  it('a tampered blob or another context is InvalidCiphertextException on the fast path', async () => {
    const kms = new Kms();
    const KeyId = (await kms.createKey()).KeyMetadata!.KeyId!;
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: utf8('secret'), EncryptionContext: context });
    const flipped = CiphertextBlob!.slice();
    flipped[flipped.length - 1]! ^= 1;
    await rejects(() => kms.decrypt({ CiphertextBlob: flipped, EncryptionContext: context }), 'InvalidCiphertextException');
    await rejects(() => kms.decrypt({ CiphertextBlob, EncryptionContext: { ...context, tenant: 't-2' } }), 'InvalidCiphertextException');
  });

  it('a disabled key, a changed policy and a rotation take effect on the next call, with nothing in between', async () => {
    const kms = new Kms();
    const KeyId = (await kms.createKey()).KeyMetadata!.KeyId!;
    const Plaintext = utf8('secret');
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext });
    await kms.disableKey({ KeyId });
    await rejects(() => kms.encrypt({ KeyId, Plaintext }), 'DisabledException');
    await rejects(() => kms.decrypt({ CiphertextBlob }), 'DisabledException');
    await kms.enableKey({ KeyId });
    await kms.decrypt({ CiphertextBlob });

    const deny = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' },
        { Effect: 'Deny', Principal: { AWS: '*' }, Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: '*' },
      ],
    });
    const allow = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }],
    });
    await kms.putKeyPolicy({ KeyId, PolicyName: 'default', Policy: deny });
    await rejects(() => kms.encrypt({ KeyId, Plaintext }), 'AccessDeniedException');
    await rejects(() => kms.decrypt({ CiphertextBlob }), 'AccessDeniedException');
    await kms.putKeyPolicy({ KeyId, PolicyName: 'default', Policy: allow });
    await kms.decrypt({ CiphertextBlob });

    await kms.rotateKeyOnDemand({ KeyId });
    const after = await kms.encrypt({ KeyId, Plaintext });
    const materials = (await kms.listKeyRotations({ KeyId })).Rotations!;
    expect(materials.length).toBe(1);
    // The new blob names material version 1 (bytes 18–19 of the header), the old one version 0.
    expect([after.CiphertextBlob![18], after.CiphertextBlob![19]]).toEqual([0, 1]);
    expect([CiphertextBlob![18], CiphertextBlob![19]]).toEqual([0, 0]);
    expect((await kms.decrypt({ CiphertextBlob })).Plaintext).toEqual(Plaintext);
    expect((await kms.decrypt({ CiphertextBlob: after.CiphertextBlob })).Plaintext).toEqual(Plaintext);
  });

  it('Encrypt still answers with a promise, and a bad input rejects it rather than throwing', async () => {
    const kms = new Kms();
    const pending = kms.encrypt({ KeyId: 'alias/none', Plaintext: utf8('x') });
    expect(pending).toBeInstanceOf(Promise);
    await rejects(() => pending, 'NotFoundException');
    const bad = kms.decrypt({ CiphertextBlob: new Uint8Array(3) });
    expect(bad).toBeInstanceOf(Promise);
    await rejects(() => bad, 'InvalidCiphertextException');
  });
});
