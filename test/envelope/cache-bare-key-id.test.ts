// Attack on the data key cache: a cache hit must not trust more than the KMS call it replaces. A
// bare key id in keyIds is sent to KMS as is, so it means the key of that id in the caller's own
// account; an entry that discovery filled from the same blob under another account's key of that
// id must not answer it.
import { describe, expect, it } from 'vitest';
import { DataKeyCache, Kms, decryptEnvelope, encryptEnvelope, type KmsLike } from 'kmsbox';
import { bytes, expectBytes, expectError } from './helpers.js';

const VICTIM = '111122223333';
const ATTACKER = '999988887777';

describe('a cache entry filled under discovery, then a strict read by bare key id', () => {
  it("is answered as KMS answers it (the key id names no key in the caller's account), not from the entry", async () => {
    const victim = new Kms({ accountId: VICTIM });
    const attacker = victim.withAccount(ATTACKER);
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'owner', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ATTACKER}:root` }, Action: 'kms:*', Resource: '*' },
        { Sid: 'lure', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${VICTIM}:root` }, Action: 'kms:Decrypt', Resource: '*' },
      ],
    };
    const theirs = (await attacker.createKey({ Policy: JSON.stringify(policy) })).KeyMetadata!;
    const envelope = await encryptEnvelope(bytes(10), { kms: attacker, keyId: theirs.KeyId!, encryptionContext: { app: 'x' } });
    const decrypts: Array<string | undefined> = [];
    const client: KmsLike = {
      generateDataKey: (i) => victim.generateDataKey(i),
      encrypt: (i) => victim.encrypt(i),
      decrypt: (i) => {
        decrypts.push(i.KeyId);
        return victim.decrypt(i);
      },
    };
    const cache = new DataKeyCache({ maxAgeMs: 60_000 });
    const strict = { kms: client, cache, keyIds: [theirs.KeyId!] };
    // Without a cache entry, KMS resolves the bare key id in the victim's own account: no such key.
    await expectError(() => decryptEnvelope(envelope, strict), 'NotFoundException');
    // Discovery (some other code path on the same client and cache) decrypts it and fills an entry.
    expect((await decryptEnvelope(envelope, { kms: client, cache, discovery: true })).keyId).toBe(theirs.Arn);
    // The strict read gets the same answer as before, from KMS.
    await expectError(() => decryptEnvelope(envelope, strict), 'NotFoundException');
    expect(decrypts).toEqual([theirs.KeyId, undefined, theirs.KeyId]);
    // Entries still serve what they may: the key's ARN, compared exactly, and a repeat of the same call.
    expectBytes((await decryptEnvelope(envelope, { kms: client, cache, keyIds: [theirs.Arn!] })).plaintext, bytes(10));
    expectBytes((await decryptEnvelope(envelope, { kms: client, cache, discovery: true })).plaintext, bytes(10));
    expect(decrypts.length).toBe(3);
  });
});
