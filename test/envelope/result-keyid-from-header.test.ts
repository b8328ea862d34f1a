// Attack on what decrypt reports: when the KmsLike does not return KeyId (the field is optional in
// KmsLike, and thin wrappers drop it), the result's keyId must still name the key KMS was told to
// use (the keyIds entry it was pinned to), not whatever ARN an insider wrote into the header.
import { describe, expect, it } from 'vitest';
import { Kms, decryptEnvelope, type KmsLike } from 'kmsbox';
import { build } from './build.js';
import { bytes, expectError } from './helpers.js';

const ATTACKER = '999988887777';

describe('result.keyId when KMS does not report KeyId', () => {
  it('is the pinned keyIds entry, not the ARN the header names', async () => {
    const kms = new Kms({ accountId: '111122223333' });
    const key = (await kms.createKey({})).KeyMetadata!;
    const dek = bytes(32, 5);
    const blob = (await kms.encrypt({ KeyId: key.KeyId!, Plaintext: dek })).CiphertextBlob!;
    // An insider (it knows the data key) names the victim's key id under the attacker's account.
    const claimed = `arn:aws:kms:us-east-1:${ATTACKER}:key/${key.KeyId}`;
    const envelope = await build({
      dek,
      messageId: bytes(32, 6),
      recipients: [{ type: 1, keyRef: claimed, wrapped: blob }],
      segments: [bytes(5)],
    });
    const silent: KmsLike = {
      ...kms,
      generateDataKey: (i) => kms.generateDataKey(i),
      encrypt: (i) => kms.encrypt(i),
      decrypt: async (i) => ({ Plaintext: (await kms.decrypt(i)).Plaintext }),
    };
    const out = await decryptEnvelope(envelope, { kms: silent, keyIds: [key.KeyId!] });
    expect(out.keyId).toBe(key.KeyId);
    // An ARN entry is compared exactly with a stored ARN: the claimed one is not even tried.
    await expectError(() => decryptEnvelope(envelope, { kms: silent, keyIds: [key.Arn!] }), 'IncorrectKeyException');
  });
});
