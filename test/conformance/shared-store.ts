/**
 * The conformance suite for stores that several providers (processes) share: FileProvider on one
 * file, PostgresProvider on one database, ReplicatedRecords on one backend. Each test opens two
 * providers on one fresh store and drives them through two `Kms` instances, as two `kmsbox serve`
 * processes would be driven (issue #17 §3):
 *
 *   describeSharedStoreConformance('file', async () => { const path = …; return [open(path), open(path)]; });
 *
 * What it proves: a change through one is seen by the next request to the other; racing writes
 * lose no update and every answer is what some order of the requests gives; material made by one
 * is usable by the other.
 */
import { describe, expect, test } from 'vitest';
import { AlreadyExistsException, DisabledException, type KeyMaterialProvider, Kms } from 'kmsbox';

export type SharedStoreFactory = () => Promise<readonly [KeyMaterialProvider, KeyMaterialProvider]>;

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

export function describeSharedStoreConformance(name: string, open: SharedStoreFactory): void {
  describe(`shared store conformance: ${name}`, () => {
    const pair = async (): Promise<[Kms, Kms]> => {
      const [a, b] = await open();
      return [new Kms({ provider: a }), new Kms({ provider: b })];
    };

    test('a key made through one decrypts, encrypts and is listed through the other', async () => {
      const [a, b] = await pair();
      const { KeyMetadata } = await a.createKey({ Description: 'shared' });
      const keyId = KeyMetadata?.KeyId ?? '';
      const { CiphertextBlob } = await a.encrypt({ KeyId: keyId, Plaintext: text('hello'), EncryptionContext: { app: 'x' } });
      const { Plaintext } = await b.decrypt({ CiphertextBlob, EncryptionContext: { app: 'x' } });
      expect(new TextDecoder().decode(Plaintext)).toBe('hello');
      const back = await b.encrypt({ KeyId: keyId, Plaintext: text('back') });
      expect(new TextDecoder().decode((await a.decrypt({ CiphertextBlob: back.CiphertextBlob })).Plaintext)).toBe('back');
      expect((await b.listKeys({})).Keys?.map((k) => k.KeyId)).toContain(keyId);
    });

    test('a key disabled through one cannot encrypt through the other on the next request', async () => {
      const [a, b] = await pair();
      const keyId = (await a.createKey({})).KeyMetadata?.KeyId ?? '';
      await b.encrypt({ KeyId: keyId, Plaintext: text('before') }); // b has read the key as enabled
      await a.disableKey({ KeyId: keyId });
      await expect(b.encrypt({ KeyId: keyId, Plaintext: text('after') })).rejects.toBeInstanceOf(DisabledException);
      await b.enableKey({ KeyId: keyId });
      await expect(a.encrypt({ KeyId: keyId, Plaintext: text('again') })).resolves.toBeDefined();
    });

    test('two racing to create one alias: exactly one succeeds, and both then see its target', async () => {
      const [a, b] = await pair();
      const k1 = (await a.createKey({})).KeyMetadata?.KeyId ?? '';
      const k2 = (await b.createKey({})).KeyMetadata?.KeyId ?? '';
      const results = await Promise.allSettled([
        a.createAlias({ AliasName: 'alias/race', TargetKeyId: k1 }),
        b.createAlias({ AliasName: 'alias/race', TargetKeyId: k2 }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected');
      expect((lost as PromiseRejectedResult).reason).toBeInstanceOf(AlreadyExistsException);
      const target = results[0]?.status === 'fulfilled' ? k1 : k2;
      for (const kms of [a, b]) {
        expect((await kms.describeKey({ KeyId: 'alias/race' })).KeyMetadata?.KeyId).toBe(target);
      }
    });

    test('racing tag writes and grants through both lose none', async () => {
      const [a, b] = await pair();
      const keyId = (await a.createKey({})).KeyMetadata?.KeyId ?? '';
      const n = 8;
      await Promise.all(
        Array.from({ length: n }, (_, i) =>
          (i % 2 === 0 ? a : b).tagResource({ KeyId: keyId, Tags: [{ TagKey: `t${i}`, TagValue: `${i}` }] }),
        ),
      );
      const grants = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          (i % 2 === 0 ? b : a).createGrant({
            KeyId: keyId,
            GranteePrincipal: `arn:aws:iam::111122223333:role/r${i}`,
            Operations: ['Decrypt'],
          }),
        ),
      );
      for (const kms of [a, b]) {
        const tags = (await kms.listResourceTags({ KeyId: keyId })).Tags?.map((t) => t.TagKey).sort();
        expect(tags).toEqual(Array.from({ length: n }, (_, i) => `t${i}`).sort());
        const listed = (await kms.listGrants({ KeyId: keyId })).Grants?.map((g) => g.GrantId).sort();
        expect(listed).toEqual(grants.map((g) => g.GrantId).sort());
      }
    });

    test('racing on-demand rotations both count, and every version decrypts through both', async () => {
      const [a, b] = await pair();
      const keyId = (await a.createKey({})).KeyMetadata?.KeyId ?? '';
      const before = await a.encrypt({ KeyId: keyId, Plaintext: text('v1') });
      await Promise.all([a.rotateKeyOnDemand({ KeyId: keyId }), b.rotateKeyOnDemand({ KeyId: keyId })]);
      const rotations = (await b.listKeyRotations({ KeyId: keyId })).Rotations ?? [];
      expect(rotations).toHaveLength(2);
      const after = await b.encrypt({ KeyId: keyId, Plaintext: text('v3') });
      for (const kms of [a, b]) {
        expect(new TextDecoder().decode((await kms.decrypt({ CiphertextBlob: before.CiphertextBlob })).Plaintext)).toBe('v1');
        expect(new TextDecoder().decode((await kms.decrypt({ CiphertextBlob: after.CiphertextBlob })).Plaintext)).toBe('v3');
      }
    });

    test('a key scheduled for deletion through one is refused through the other', async () => {
      const [a, b] = await pair();
      const keyId = (await a.createKey({})).KeyMetadata?.KeyId ?? '';
      await b.encrypt({ KeyId: keyId, Plaintext: text('x') });
      await a.scheduleKeyDeletion({ KeyId: keyId, PendingWindowInDays: 7 });
      await expect(b.encrypt({ KeyId: keyId, Plaintext: text('y') })).rejects.toMatchObject({ name: 'KMSInvalidStateException' });
      expect((await b.describeKey({ KeyId: keyId })).KeyMetadata?.KeyState).toBe('PendingDeletion');
    });
  });
}
