// DataKeyCache: hits make no KMS calls; age, message and byte limits evict; streams of unknown
// length count their bytes as they go; the decrypt side keys on the exact wrapped blob and context.
import { describe, expect, it } from 'vitest';
import { DataKeyCache, createEncryptStream, decryptEnvelope, encryptEnvelope, inspectEnvelope } from 'kmsbox';
import { bytes, counting, expectBytes, expectError, pipe, setup } from './helpers.js';

const wrappedOf = (e: Uint8Array) => Buffer.from(e.subarray(40, inspectEnvelope(e).headerLength - 34)).toString('hex');

describe('DataKeyCache', () => {
  it('encrypt: a hit makes zero KMS calls, yet every message has its own message id', async () => {
    const { kms, keyIds } = await setup();
    const counted = counting(kms);
    const cache = new DataKeyCache({ maxAgeMs: 60_000 });
    const a = await encryptEnvelope(bytes(10), { kms: counted, keyId: keyIds[0]!, cache });
    expect(counted.calls).toEqual({ generateDataKey: 1 });
    const b = await encryptEnvelope(bytes(10), { kms: counted, keyId: keyIds[0]!, cache });
    expect(counted.calls).toEqual({ generateDataKey: 1 });
    expect(wrappedOf(a)).toBe(wrappedOf(b));
    expect(inspectEnvelope(a).messageId).not.toEqual(inspectEnvelope(b).messageId);
    // A different context or key list is a different entry.
    await encryptEnvelope(bytes(10), { kms: counted, keyId: keyIds[0]!, cache, encryptionContext: { a: 'b' } });
    expect(counted.calls.generateDataKey).toBe(2);
  });

  it('encrypt: age, message count and byte limits evict', async () => {
    const { kms, keyIds } = await setup();
    let now = 1_000;
    const counted = counting(kms);
    const opts = (cache: DataKeyCache, n = 10) => [bytes(n), { kms: counted, keyId: keyIds[0]!, cache }] as const;
    const aged = new DataKeyCache({ maxAgeMs: 100, now: () => now });
    await encryptEnvelope(...opts(aged));
    now += 99;
    await encryptEnvelope(...opts(aged));
    expect(counted.calls.generateDataKey).toBe(1);
    now += 1;
    await encryptEnvelope(...opts(aged));
    expect(counted.calls.generateDataKey).toBe(2);

    const byMessages = new DataKeyCache({ maxAgeMs: 60_000, maxMessages: 2 });
    for (let i = 0; i < 5; i++) await encryptEnvelope(...opts(byMessages));
    expect(counted.calls.generateDataKey).toBe(2 + 3); // messages 1-2, 3-4, 5

    const byBytes = new DataKeyCache({ maxAgeMs: 60_000, maxBytes: 100 });
    const before = counted.calls.generateDataKey!;
    await encryptEnvelope(...opts(byBytes, 60));
    await encryptEnvelope(...opts(byBytes, 40)); // 100: still allowed
    await encryptEnvelope(...opts(byBytes, 1)); // 101: new key
    expect(counted.calls.generateDataKey! - before).toBe(2);
  });

  it('encrypt: a stream of unknown length counts its bytes and retires the entry once past maxBytes', async () => {
    const { kms, keyIds } = await setup();
    const counted = counting(kms);
    const cache = new DataKeyCache({ maxAgeMs: 60_000, maxBytes: 10_000 });
    const first = await pipe(createEncryptStream({ kms: counted, keyId: keyIds[0]!, cache, segmentSize: 4096 }), bytes(6000), [1000]);
    const second = await pipe(createEncryptStream({ kms: counted, keyId: keyIds[0]!, cache, segmentSize: 4096 }), bytes(6000), [1000]);
    expect(counted.calls.generateDataKey).toBe(1); // the second stream started under the first's key
    expect(wrappedOf(first)).toBe(wrappedOf(second));
    await pipe(createEncryptStream({ kms: counted, keyId: keyIds[0]!, cache }), bytes(10), [10]);
    expect(counted.calls.generateDataKey).toBe(2); // 12,000 bytes > 10,000: retired
    for (const e of [first, second]) expect((await decryptEnvelope(e, { kms, discovery: true })).plaintext.length).toBe(6000);
  });

  it('decrypt: a hit skips KMS; the allow-list still applies; another context is another entry', async () => {
    const { kms, keyIds, arns } = await setup(2);
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]!, encryptionContext: { a: 'b' } });
    const counted = counting(kms);
    const cache = new DataKeyCache({ maxAgeMs: 60_000 });
    await decryptEnvelope(envelope, { kms: counted, discovery: true, cache });
    await decryptEnvelope(envelope, { kms: counted, discovery: true, cache });
    expect(counted.calls.decrypt).toBe(1);
    await expectError(() => decryptEnvelope(envelope, { kms: counted, cache, keyIds: [arns[1]!] }), 'IncorrectKeyException');
    expect((await decryptEnvelope(envelope, { kms: counted, cache, keyIds: [arns[0]!] })).keyId).toBe(arns[0]);
    expect(counted.calls.decrypt).toBe(1);
    // A tampered envelope that carries the same wrapped key still fails its MAC with a cached key.
    const tampered = envelope.slice();
    tampered[tampered.length - 1]! ^= 1;
    await expectError(() => decryptEnvelope(tampered, { kms: counted, discovery: true, cache }), 'InvalidCiphertextException');
  });

  it('capacity evicts the least recently used entry; clear() forgets everything; bad options are ValidationException', async () => {
    const { kms, keyIds } = await setup();
    const counted = counting(kms);
    const cache = new DataKeyCache({ maxAgeMs: 60_000, capacity: 2 });
    for (const t of ['1', '2', '1', '3', '1', '2'])
      await encryptEnvelope(bytes(1), { kms: counted, keyId: keyIds[0]!, cache, encryptionContext: { t } });
    expect(counted.calls.generateDataKey).toBe(4); // 1, 2, (1 hit), 3 evicts 2, (1 hit), 2 again
    expect(cache.size).toBe(2);
    cache.clear();
    expect(cache.size).toBe(0);
    for (const bad of [
      { maxAgeMs: 0 },
      { maxAgeMs: 10, maxMessages: 0 },
      { maxAgeMs: 10, maxMessages: 2 ** 32 + 1 },
      { maxAgeMs: 10, capacity: 0 },
      { maxAgeMs: 10, maxBytes: -1 },
    ]) {
      await expectError(async () => new DataKeyCache(bad), 'ValidationException');
    }
  });

  it('concurrent messages sharing a cache: replacing or evicting an entry never zeroes a key a message is about to use', async () => {
    const { kms, keyIds } = await setup(2);
    const cache = new DataKeyCache({ maxAgeMs: 60_000, capacity: 1 });
    const plaintext = bytes(100);
    // Three encryptions that all miss: each put replaces the entry the one before is still deriving from.
    const envelopes = await Promise.all([0, 1, 2].map(() => encryptEnvelope(plaintext, { kms, keyId: keyIds[0]!, cache })));
    for (const e of envelopes) expectBytes((await decryptEnvelope(e, { kms, discovery: true })).plaintext, plaintext);
    // Decrypts of two envelopes at once through a one-entry cache: each put evicts the other's hit.
    const other = await encryptEnvelope(plaintext, { kms, keyId: keyIds[1]! });
    const results = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        for (let t = 0; t < i; t++) await null;
        return (await decryptEnvelope(i % 2 ? other : envelopes[0]!, { kms, discovery: true, cache })).plaintext;
      }),
    );
    for (const r of results) expectBytes(r, plaintext);
  });

  it('entries belong to the client that made them: another caller or region never gets a cached key', async () => {
    const { kms, keyIds } = await setup();
    const mallory = kms.withPrincipal('arn:aws:iam::111122223333:user/mallory'); // no permission on the key
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]!, encryptionContext: { app: 'payroll' } });
    const cache = new DataKeyCache({ maxAgeMs: 60_000 });
    await decryptEnvelope(envelope, { kms, discovery: true, cache }); // warms the cache
    await expectError(() => decryptEnvelope(envelope, { kms: mallory, discovery: true, cache }), 'AccessDeniedException');
    // Encrypt: the same alias in two regions names two keys; each region's messages use its own.
    const west = kms.withRegion('us-west-2');
    await west.createAlias({ AliasName: 'alias/app', TargetKeyId: (await west.createKey({})).KeyMetadata!.KeyId! });
    await kms.createAlias({ AliasName: 'alias/app', TargetKeyId: keyIds[0]! });
    await encryptEnvelope(bytes(10), { kms, keyId: 'alias/app', cache });
    const fromWest = await encryptEnvelope(bytes(10), { kms: west, keyId: 'alias/app', cache });
    expectBytes((await decryptEnvelope(fromWest, { kms: west, discovery: true })).plaintext, bytes(10));
  });

  it('an entry a message filled to maxBytes exactly is not used again, by a buffer or a stream', async () => {
    const { kms, keyIds } = await setup();
    const counted = counting(kms);
    const cache = new DataKeyCache({ maxAgeMs: 60_000, maxBytes: 100 });
    await encryptEnvelope(bytes(100), { kms: counted, keyId: keyIds[0]!, cache });
    await encryptEnvelope(bytes(1), { kms: counted, keyId: keyIds[0]!, cache });
    expect(counted.calls.generateDataKey).toBe(2);
    const streamed = new DataKeyCache({ maxAgeMs: 60_000, maxBytes: 100 });
    await encryptEnvelope(bytes(100), { kms: counted, keyId: keyIds[0]!, cache: streamed });
    await pipe(createEncryptStream({ kms: counted, keyId: keyIds[0]!, cache: streamed }), bytes(5000), [1000]);
    expect(counted.calls.generateDataKey).toBe(4);
  });

  it('what the README says: a disabled key still serves cached entries until maxAgeMs after the KMS call that made them, and an alias entry keeps the old key after the alias moves', async () => {
    const { kms, keyIds, arns } = await setup(2);
    let now = 1_000;
    const cache = new DataKeyCache({ maxAgeMs: 100, now: () => now });
    const envelope = await encryptEnvelope(bytes(10), { kms, keyId: keyIds[0]!, cache });
    await decryptEnvelope(envelope, { kms, keyIds, cache });
    await kms.disableKey({ KeyId: keyIds[0]! });
    now += 99; // a use does not extend an entry: age counts from the KMS call
    expectBytes((await decryptEnvelope(envelope, { kms, keyIds, cache })).plaintext, bytes(10));
    expect(inspectEnvelope(await encryptEnvelope(bytes(1), { kms, keyId: keyIds[0]!, cache })).recipients[0]!.keyId).toBe(keyIds[0]);
    now += 1;
    await expectError(() => decryptEnvelope(envelope, { kms, keyIds, cache }), 'DisabledException');
    await expectError(() => encryptEnvelope(bytes(1), { kms, keyId: keyIds[0]!, cache }), 'DisabledException');
    // Encrypt entries are keyed by the key reference as given: an alias keeps its old target until the entry expires.
    await kms.createAlias({ AliasName: 'alias/app', TargetKeyId: keyIds[1]! });
    await encryptEnvelope(bytes(1), { kms, keyId: 'alias/app', cache });
    const third = (await kms.createKey({})).KeyMetadata!.KeyId!;
    await kms.updateAlias({ AliasName: 'alias/app', TargetKeyId: third });
    const stale = await encryptEnvelope(bytes(1), { kms, keyId: 'alias/app', cache });
    expect((await decryptEnvelope(stale, { kms, discovery: true })).keyId).toBe(arns[1]);
    now += 100;
    expect(inspectEnvelope(await encryptEnvelope(bytes(1), { kms, keyId: 'alias/app', cache })).recipients[0]!.keyId).toBe(third);
  });
});
