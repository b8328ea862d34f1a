// Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext), GenerateRandom, DryRun.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Kms, KMSServiceException } from 'kmsbox';
import { rejects, utf8 } from './helpers.js';

async function setup() {
  const kms = new Kms();
  const a = (await kms.createKey()).KeyMetadata!;
  const b = (await kms.createKey()).KeyMetadata!;
  await kms.createAlias({ AliasName: 'alias/a', TargetKeyId: a.KeyId });
  return { kms, a, b };
}

describe('Encrypt and Decrypt', () => {
  it('round-trip every size from 1 to 4096 bytes (sampled) and answer as AWS does', async () => {
    const { kms, a } = await setup();
    for (const n of [1, 2, 15, 16, 17, 255, 1000, 4095, 4096]) {
      const Plaintext = new Uint8Array(randomBytes(n));
      const enc = await kms.encrypt({ KeyId: 'alias/a', Plaintext });
      expect([enc.KeyId, enc.EncryptionAlgorithm, enc.CiphertextBlob!.length]).toEqual([a.Arn, 'SYMMETRIC_DEFAULT', n + 64]);
      const dec = await kms.decrypt({ CiphertextBlob: enc.CiphertextBlob });
      expect(dec.Plaintext).toEqual(Plaintext);
      expect([dec.KeyId, dec.EncryptionAlgorithm, dec.KeyMaterialId]).toEqual([a.Arn, 'SYMMETRIC_DEFAULT', a.CurrentKeyMaterialId]);
    }
  });

  it('the same plaintext encrypts differently every time', async () => {
    const { kms, a } = await setup();
    const one = await kms.encrypt({ KeyId: a.KeyId, Plaintext: utf8('same') });
    const two = await kms.encrypt({ KeyId: a.KeyId, Plaintext: utf8('same') });
    expect(one.CiphertextBlob).not.toEqual(two.CiphertextBlob);
  });

  it('binds the encryption context: exact pairs, any order; anything else is InvalidCiphertextException with no message', async () => {
    const { kms, a } = await setup();
    const ctx = { tenant: 't1', purpose: 'backup', ünï: 'çødé' };
    const { CiphertextBlob } = await kms.encrypt({ KeyId: a.KeyId, Plaintext: utf8('secret'), EncryptionContext: ctx });
    const reordered = { ünï: 'çødé', purpose: 'backup', tenant: 't1' };
    expect(new TextDecoder().decode((await kms.decrypt({ CiphertextBlob, EncryptionContext: reordered })).Plaintext)).toBe('secret');
    for (const wrong of [
      undefined,
      {},
      { tenant: 't1', purpose: 'backup' },
      { ...ctx, extra: '' },
      { ...ctx, tenant: 'T1' },
      { ...ctx, Tenant: 't1' },
    ]) {
      await rejects(
        () => kms.decrypt({ CiphertextBlob, ...(wrong ? { EncryptionContext: wrong } : {}) }),
        'InvalidCiphertextException',
        'The ciphertext is not valid for this key and encryption context, or it was altered.',
      );
    }
    // An empty context and no context are the same thing.
    const plain = await kms.encrypt({ KeyId: a.KeyId, Plaintext: utf8('p') });
    await kms.decrypt({ CiphertextBlob: plain.CiphertextBlob, EncryptionContext: {} });
    // {ab:'c'} and {a:'bc'} are different contexts.
    const ab = await kms.encrypt({ KeyId: a.KeyId, Plaintext: utf8('p'), EncryptionContext: { ab: 'c' } });
    await rejects(() => kms.decrypt({ CiphertextBlob: ab.CiphertextBlob, EncryptionContext: { a: 'bc' } }), 'InvalidCiphertextException');
  });

  it('Decrypt checks a given KeyId in every form against the ciphertext', async () => {
    const { kms, a, b } = await setup();
    const { CiphertextBlob } = await kms.encrypt({ KeyId: a.KeyId, Plaintext: utf8('x') });
    for (const KeyId of [a.KeyId!, a.Arn!, 'alias/a', 'arn:aws:kms:us-east-1:111122223333:alias/a']) {
      expect((await kms.decrypt({ CiphertextBlob, KeyId })).KeyId).toBe(a.Arn);
    }
    await rejects(
      () => kms.decrypt({ CiphertextBlob, KeyId: b.KeyId }),
      'IncorrectKeyException',
      'The key ID in the request does not identify a CMK that can perform this operation.',
    );
    await rejects(() => kms.decrypt({ CiphertextBlob, KeyId: 'alias/none' }), 'NotFoundException');
  });

  it('limits and algorithms', async () => {
    const { kms, a } = await setup();
    await rejects(
      () => kms.encrypt({ KeyId: a.KeyId, Plaintext: new Uint8Array(4097) }),
      'ValidationException',
      "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
    );
    await rejects(
      () => kms.encrypt({ KeyId: a.KeyId, Plaintext: new Uint8Array(0) }),
      'ValidationException',
      /at 'plaintext'.*greater than or equal to 1/,
    );
    await rejects(
      () => kms.decrypt({ CiphertextBlob: new Uint8Array(6145) }),
      'ValidationException',
      /at 'ciphertextBlob'.*less than or equal to 6144/,
    );
    await rejects(
      () => kms.encrypt({ KeyId: a.KeyId, Plaintext: utf8('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }),
      'InvalidKeyUsageException',
    );
    const ok = await kms.encrypt({ KeyId: a.KeyId, Plaintext: utf8('x'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
    await rejects(
      () => kms.decrypt({ CiphertextBlob: ok.CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' }),
      'InvalidKeyUsageException',
    );
    await rejects(
      () => kms.encrypt({ KeyId: a.KeyId, Plaintext: utf8('x'), GrantTokens: Array(11).fill('t') }),
      'ValidationException',
      /at 'grantTokens'/,
    );
    await rejects(
      () => kms.encrypt({ KeyId: a.KeyId, Plaintext: utf8('x'), EncryptionContext: { k: 'bad \uD800' } }),
      'ValidationException',
      /encryptionContext/,
    );
  });
});

describe('ReEncrypt', () => {
  it('moves a ciphertext to another key and context', async () => {
    const { kms, a, b } = await setup();
    const { CiphertextBlob } = await kms.encrypt({ KeyId: a.KeyId, Plaintext: utf8('move me'), EncryptionContext: { from: 'a' } });
    const out = await kms.reEncrypt({
      CiphertextBlob,
      SourceEncryptionContext: { from: 'a' },
      DestinationKeyId: b.KeyId,
      DestinationEncryptionContext: { to: 'b' },
    });
    expect(out).toMatchObject({
      SourceKeyId: a.Arn,
      KeyId: b.Arn,
      SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      SourceKeyMaterialId: a.CurrentKeyMaterialId,
      DestinationKeyMaterialId: b.CurrentKeyMaterialId,
    });
    const dec = await kms.decrypt({ CiphertextBlob: out.CiphertextBlob, EncryptionContext: { to: 'b' } });
    expect([new TextDecoder().decode(dec.Plaintext), dec.KeyId]).toEqual(['move me', b.Arn]);
    await rejects(() => kms.reEncrypt({ CiphertextBlob, DestinationKeyId: b.KeyId }), 'InvalidCiphertextException');
    await rejects(
      () => kms.reEncrypt({ CiphertextBlob, SourceEncryptionContext: { from: 'a' }, SourceKeyId: b.KeyId, DestinationKeyId: b.KeyId }),
      'IncorrectKeyException',
      'The key ID in the request does not identify a CMK that can perform this operation.',
    );
    await kms.disableKey({ KeyId: b.KeyId });
    await rejects(
      () => kms.reEncrypt({ CiphertextBlob, SourceEncryptionContext: { from: 'a' }, DestinationKeyId: b.KeyId }),
      'DisabledException',
    );
  });
});

describe('GenerateDataKey', () => {
  it('gives a data key of the asked size and its blob, which decrypts to it', async () => {
    const { kms, a } = await setup();
    for (const [req, size] of [
      [{ KeySpec: 'AES_256' }, 32],
      [{ KeySpec: 'AES_128' }, 16],
      [{ NumberOfBytes: 1 }, 1],
      [{ NumberOfBytes: 1024 }, 1024],
    ] as const) {
      const out = await kms.generateDataKey({ KeyId: 'alias/a', EncryptionContext: { f: 'x' }, ...req });
      expect(out.Plaintext!.length).toBe(size);
      expect([out.KeyId, out.KeyMaterialId]).toEqual([a.Arn, a.CurrentKeyMaterialId]);
      expect((await kms.decrypt({ CiphertextBlob: out.CiphertextBlob, EncryptionContext: { f: 'x' } })).Plaintext).toEqual(out.Plaintext);
    }
    const { CiphertextBlob } = await kms.generateDataKey({ KeyId: a.KeyId, KeySpec: 'AES_256' });
    expect(CiphertextBlob!.length).toBeLessThan(100);
  });

  it('needs exactly one of KeySpec and NumberOfBytes', async () => {
    const { kms, a } = await setup();
    for (const op of [kms.generateDataKey.bind(kms), kms.generateDataKeyWithoutPlaintext.bind(kms)]) {
      await rejects(() => op({ KeyId: a.KeyId }), 'ValidationException', 'Please specify either number of bytes or key spec.');
      await rejects(
        () => op({ KeyId: a.KeyId, KeySpec: 'AES_256', NumberOfBytes: 32 }),
        'ValidationException',
        'Please specify either number of bytes or key spec.',
      );
      await rejects(
        () => op({ KeyId: a.KeyId, NumberOfBytes: 1025 }),
        'ValidationException',
        /Value '1025' at 'numberOfBytes'.*less than or equal to 1024/,
      );
      await rejects(
        () => op({ KeyId: a.KeyId, KeySpec: 'AES_512' as never }),
        'ValidationException',
        /enum value set: \[AES_256, AES_128\]/,
      );
    }
  });

  it('WithoutPlaintext returns no plaintext; its blob decrypts', async () => {
    const { kms, a } = await setup();
    const out = await kms.generateDataKeyWithoutPlaintext({ KeyId: a.KeyId, KeySpec: 'AES_256' });
    expect(out).not.toHaveProperty('Plaintext');
    expect([out.KeyId, out.KeyMaterialId]).toEqual([a.Arn, a.CurrentKeyMaterialId]);
    expect((await kms.decrypt({ CiphertextBlob: out.CiphertextBlob })).Plaintext!.length).toBe(32);
  });
});

describe('GenerateRandom', () => {
  it('gives the asked number of bytes; AWS messages for missing and out of range', async () => {
    const kms = new Kms();
    for (const n of [1, 12, 44, 91, 1024]) expect((await kms.generateRandom({ NumberOfBytes: n })).Plaintext!.length).toBe(n);
    await rejects(() => kms.generateRandom(), 'ValidationException', 'NumberOfBytes is required.');
    await rejects(
      () => kms.generateRandom({ NumberOfBytes: 0 }),
      'ValidationException',
      "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    await rejects(
      () => kms.generateRandom({ NumberOfBytes: 1025 }),
      'ValidationException',
      "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
    );
  });
});

describe('DryRun', () => {
  const MSG = 'The request would have succeeded, but the DryRun option is set.';
  it('answers DryRunOperationException only when the request would succeed', async () => {
    const { kms, a, b } = await setup();
    const { CiphertextBlob } = await kms.encrypt({ KeyId: a.KeyId, Plaintext: utf8('x') });
    await rejects(() => kms.encrypt({ KeyId: a.KeyId, Plaintext: utf8('x'), DryRun: true }), 'DryRunOperationException', MSG);
    await rejects(() => kms.decrypt({ CiphertextBlob, DryRun: true }), 'DryRunOperationException', MSG);
    await rejects(() => kms.generateDataKey({ KeyId: a.KeyId, KeySpec: 'AES_256', DryRun: true }), 'DryRunOperationException', MSG);
    await rejects(
      () => kms.generateDataKeyWithoutPlaintext({ KeyId: a.KeyId, KeySpec: 'AES_256', DryRun: true }),
      'DryRunOperationException',
      MSG,
    );
    await rejects(() => kms.reEncrypt({ CiphertextBlob, DestinationKeyId: b.KeyId, DryRun: true }), 'DryRunOperationException', MSG);
    await rejects(() => kms.decrypt({ DryRun: true, DryRunModifiers: ['IGNORE_CIPHERTEXT'] }), 'DryRunOperationException', MSG);
    // A request that would fail fails for its own reason.
    await rejects(() => kms.decrypt({ CiphertextBlob, EncryptionContext: { x: 'y' }, DryRun: true }), 'InvalidCiphertextException');
    await kms.disableKey({ KeyId: a.KeyId });
    await rejects(() => kms.encrypt({ KeyId: a.KeyId, Plaintext: utf8('x'), DryRun: true }), 'DisabledException');
  });
});

describe('no secret ever appears in an error', () => {
  it('not the plaintext, the data key, nor anything from a blob', async () => {
    const { kms, a, b } = await setup();
    const secret = 'TOP-SECRET-PLAINTEXT-0123456789';
    const { CiphertextBlob } = await kms.encrypt({ KeyId: a.KeyId, Plaintext: utf8(secret), EncryptionContext: { c: '1' } });
    const dk = await kms.generateDataKey({ KeyId: a.KeyId, KeySpec: 'AES_256' });
    const hexes = [Buffer.from(dk.Plaintext!).toString('hex'), Buffer.from(dk.Plaintext!).toString('base64')];
    const messages: string[] = [];
    const attempts: Array<() => Promise<unknown>> = [
      () => kms.encrypt({ KeyId: a.KeyId, Plaintext: secret as never }),
      () => kms.encrypt({ KeyId: a.KeyId, Plaintext: [...utf8(secret)] as never }),
      () => kms.encrypt({ KeyId: a.KeyId, Plaintext: utf8(secret.repeat(200)) }),
      () => kms.decrypt({ CiphertextBlob }),
      () => kms.decrypt({ CiphertextBlob, KeyId: b.KeyId }),
      () => kms.decrypt({ CiphertextBlob: dk.Plaintext }),
      () => kms.reEncrypt({ CiphertextBlob, DestinationKeyId: 'nope' }),
      () => kms.encrypt({ KeyId: secret, Plaintext: utf8(secret) }),
    ];
    for (const attempt of attempts) {
      try {
        await attempt();
      } catch (e) {
        expect(e).toBeInstanceOf(KMSServiceException);
        messages.push(`${(e as Error).message} ${JSON.stringify(e)}`);
      }
    }
    expect(messages.length).toBe(attempts.length);
    const all = messages.join('\n');
    // The KeyId member is echoed as AWS does (it is an identifier, not a secret): drop that one.
    const scrubbed = all.replaceAll(`Invalid keyId '${secret}'`, '');
    expect(scrubbed).not.toContain(secret);
    for (const h of hexes) expect(all).not.toContain(h);
  });
});
