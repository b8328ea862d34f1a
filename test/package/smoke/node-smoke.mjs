// Runs under node:test in a fresh project that installed the packed tarball (test/package/pack.test.ts).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { Kms } from 'kmsbox';
import { installKmsFake } from 'kmsbox/testing';

const client = new KMSClient({}); // made at module load, before the fake
const fake = installKmsFake({ seed: 'node-test' });
after(() => fake.restore());

test('kmsbox/testing fakes a client made before it, deterministically', async () => {
  assert.ok(fake.kms instanceof Kms);
  const { KeyMetadata } = await fake.kms.createKey({});
  const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: KeyMetadata.KeyId, Plaintext: new TextEncoder().encode('hi') }));
  const { Plaintext } = await client.send(new DecryptCommand({ CiphertextBlob }));
  assert.equal(new TextDecoder().decode(Plaintext), 'hi');
  console.log(`KEY ${KeyMetadata.KeyId}`);
});
