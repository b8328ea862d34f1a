// Attacks on who signed: the signer's key reference sits in the header, written by whoever wrote
// the message. signerKeyIds must work as keyIds does (key ARNs or key ids, no aliases; the call
// goes to the listed key), and signerKeyId must be the key KMS verified with, not the header's words.
import { describe, expect, it } from 'vitest';
import { Kms, createDecryptStream, decryptEnvelope, encryptEnvelope, type KmsLike } from 'kmsbox';
import { bytes, expectError, pipe } from './helpers.js';

const VICTIM = '111122223333';
const ATTACKER = '999988887777';

/** A writer's client that reports `reported` as the signing key's KeyId and signs with `actual` (a writer chooses the header's keyRef). */
function reporting(kms: Kms, reported: string, actual: string): KmsLike {
  return {
    generateDataKey: (i) => kms.generateDataKey(i),
    encrypt: (i) => kms.encrypt(i),
    decrypt: (i) => kms.decrypt(i),
    getPublicKey: async (i) => ({ ...(await kms.getPublicKey(i)), KeyId: reported }),
    sign: (i) => kms.sign({ ...i, KeyId: actual }),
    verify: (i) => kms.verify(i),
  };
}

/** The victim's client, recording the KeyId of every Verify call. */
function recordingVerify(kms: Kms): KmsLike & { verified: string[] } {
  const verified: string[] = [];
  return {
    verified,
    generateDataKey: (i) => kms.generateDataKey(i),
    encrypt: (i) => kms.encrypt(i),
    decrypt: (i) => kms.decrypt(i),
    verify: (i) => {
      verified.push(i.KeyId);
      return kms.verify(i);
    },
  };
}

describe('signerKeyIds and signerKeyId', () => {
  it('an alias in signerKeyIds is refused: whoever may repoint it (UpdateAlias) could otherwise sign as "release"', async () => {
    const kms = new Kms({ accountId: VICTIM });
    const key = (await kms.createKey({})).KeyMetadata!;
    const release = (await kms.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!;
    const mallory = (await kms.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!;
    await kms.createAlias({ AliasName: 'alias/release', TargetKeyId: release.KeyId! });
    // Mallory repoints the alias to her own key and signs, writing the alias as the signer.
    await kms.updateAlias({ AliasName: 'alias/release', TargetKeyId: mallory.KeyId! });
    const forged = await encryptEnvelope(bytes(10), {
      kms: reporting(kms, 'alias/release', 'alias/release'),
      keyId: key.KeyId!,
      signingKeyId: 'alias/release',
    });
    const message = 'signerKeyIds must list key ARNs or key ids (not aliases).';
    for (const signerKeyIds of [['alias/release'], [`arn:aws:kms:us-east-1:${VICTIM}:alias/release`]]) {
      const opts = { kms, keyIds: [key.KeyId!], signerKeyIds };
      expect((await expectError(() => decryptEnvelope(forged, opts), 'ValidationException')).message).toBe(message);
      expect((await expectError(() => pipe(createDecryptStream(opts), forged), 'ValidationException')).message).toBe(message);
    }
    // The key she really used is what a reader sees.
    expect((await decryptEnvelope(forged, { kms, keyIds: [key.KeyId!] })).signerKeyId).toBe(mallory.Arn);
  });

  it("Verify goes to the signerKeyIds entry, never to the header's ARN; signerKeyId is the ARN KMS verified with", async () => {
    const kms = new Kms({ accountId: VICTIM });
    const key = (await kms.createKey({})).KeyMetadata!;
    const signer = (await kms.createKey({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!;
    // The header names the signer's key id in the attacker's account.
    const elsewhere = `arn:aws:kms:us-east-1:${ATTACKER}:key/${signer.KeyId}`;
    const envelope = await encryptEnvelope(bytes(10), {
      kms: reporting(kms, elsewhere, signer.KeyId!),
      keyId: key.KeyId!,
      signingKeyId: signer.KeyId!,
    });
    const victim = recordingVerify(kms);
    const out = await decryptEnvelope(envelope, { kms: victim, keyIds: [key.KeyId!], signerKeyIds: [signer.KeyId!] });
    expect([out.signature, out.signerKeyId, victim.verified]).toEqual(['verified', signer.Arn, [signer.KeyId]]);
    // An ARN entry is compared exactly: the header's other-account ARN is not it.
    await expectError(
      () => decryptEnvelope(envelope, { kms: victim, keyIds: [key.KeyId!], signerKeyIds: [signer.Arn!] }),
      'IncorrectKeyException',
    );
    expect(victim.verified.length).toBe(1);
    // A header that names the signer by bare key id: the result still reports its ARN.
    const bare = await encryptEnvelope(bytes(10), {
      kms: reporting(kms, signer.KeyId!, signer.KeyId!),
      keyId: key.KeyId!,
      signingKeyId: signer.KeyId!,
    });
    expect((await decryptEnvelope(bare, { kms, keyIds: [key.KeyId!] })).signerKeyId).toBe(signer.Arn);
    expect((await decryptEnvelope(bare, { kms, keyIds: [key.KeyId!], signerKeyIds: [signer.Arn!] })).signerKeyId).toBe(signer.Arn);
  });
});
