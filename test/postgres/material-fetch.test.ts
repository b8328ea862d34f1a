// A PostgresProvider fetches key material into its cache on first use. A fetch that an invalidation
// of that material overtakes (the provider dropped it while the SELECT was in flight: a pull that
// saw the material change, or a full reload after a reconnect) must not cache what it read, since
// the row may predate the change, but the call that needed the material must still get it: it
// fetches again (src/providers/postgres/provider.ts, #need). Before that, the call ran without
// material and answered InvalidCiphertextException for a good blob (seen in restart.test.ts under
// CI load). Changes to other keys' material overtake nothing: an attacker's review found that any
// tenant could otherwise hold back everyone's first reads (by importing material in a loop).
import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { Kms, KMSInternalException } from 'kmsbox';
import type { PostgresProvider } from 'kmsbox/postgres';
import { expect, test } from 'vitest';
import { usePostgres } from './fixtures.js';

const pg = usePostgres('material_fetch');

/**
 * Makes `provider`'s first `times` material SELECTs be overtaken: once each one's rows are back, and
 * before the fetch looks at them, `interfere` runs. Returns the count of material SELECTs so far.
 */
function overtakeMaterialFetches(provider: PostgresProvider, times: number, interfere: () => Promise<void>): { readonly fetches: number } {
  const real = provider.sql;
  const seen = { fetches: 0 };
  const patched = new Proxy(real, {
    apply(target, thisArg, args: unknown[]) {
      const query = Reflect.apply(target, thisArg, args) as PromiseLike<unknown>;
      const strings = args[0];
      if (!Array.isArray(strings) || !strings.join('?').includes('SELECT spec, nonce, sealed')) return query;
      seen.fetches++;
      if (seen.fetches > times) return query;
      return Promise.resolve(query).then(async (rows) => {
        await interfere();
        return rows;
      });
    },
  });
  (provider as { sql: unknown }).sql = patched;
  return seen;
}

/** A key with imported material (so a test can write the same bytes again), and a blob under it. */
async function importedKey(writer: Kms): Promise<{ material: Buffer; materialId: string; blob: Uint8Array }> {
  const KeyId = (await writer.createKey({ Origin: 'EXTERNAL' })).KeyMetadata!.KeyId!;
  const material = randomBytes(32);
  const params = await writer.getParametersForImport({ KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
  const publicKey = createPublicKey({ key: Buffer.from(params.PublicKey!), format: 'der', type: 'spki' });
  const EncryptedKeyMaterial = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, material);
  await writer.importKeyMaterial({
    KeyId,
    ImportToken: params.ImportToken,
    EncryptedKeyMaterial,
    ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
  });
  const { CiphertextBlob } = await writer.encrypt({ KeyId, Plaintext: new Uint8Array([7, 8, 9]) });
  const { KeyMaterialId } = await writer.decrypt({ CiphertextBlob: CiphertextBlob! }); // the provider's material id
  return { material, materialId: KeyMaterialId!, blob: CiphertextBlob! };
}

/** A provider with nothing cached yet, opened (so that the only material read left is the test's call). */
async function coldKms(schema: string): Promise<{ provider: PostgresProvider; kms: Kms }> {
  const provider = pg.open(schema);
  const kms = new Kms({ provider });
  await kms.listKeys({});
  return { provider, kms };
}

test('a material fetch overtaken by a change to that material fetches again: the call gets its material, not InvalidCiphertextException', async () => {
  const schema = pg.schema();
  const writerProvider = pg.open(schema);
  const { material, materialId, blob } = await importedKey(new Kms({ provider: writerProvider }));
  const { provider, kms } = await coldKms(schema);
  const seen = overtakeMaterialFetches(provider, 1, async () => {
    // The same bytes written again under the same id (a re-import): logged as a material change,
    // which the cold provider's next catch-up (any request) applies by dropping that id.
    await writerProvider.importMaterial('SYMMETRIC_DEFAULT', material, materialId);
    await kms.listKeys({});
  });

  const { Plaintext } = await kms.decrypt({ CiphertextBlob: blob });
  expect([...Plaintext!]).toEqual([7, 8, 9]);
  expect(seen.fetches).toBe(2); // the overtaken fetch cached nothing, and the second one did

  // And the material is cached now: the next call reads no material row.
  await kms.decrypt({ CiphertextBlob: blob });
  expect(seen.fetches).toBe(2);
});

test("changes to other keys' material, during every read, hold back no fetch", async () => {
  const schema = pg.schema();
  const writer = new Kms({ provider: pg.open(schema) });
  const { KeyMetadata } = await writer.createKey({});
  const { CiphertextBlob } = await writer.encrypt({ KeyId: KeyMetadata!.KeyId!, Plaintext: new Uint8Array([7, 8, 9]) });
  const { provider, kms } = await coldKms(schema);
  let changes = 0;
  const seen = overtakeMaterialFetches(provider, 10, async () => {
    // Logs a material change for an id nothing here uses; the provider drops that id.
    await provider.destroyMaterial([`other-${++changes}`]);
  });

  const { Plaintext } = await kms.decrypt({ CiphertextBlob: CiphertextBlob! });
  expect([...Plaintext!]).toEqual([7, 8, 9]);
  expect([changes, seen.fetches]).toEqual([1, 1]); // one read, cached despite the change
});

test('material that changes during every read: a retryable KMSInternalException, never InvalidCiphertextException', async () => {
  const schema = pg.schema();
  const writerProvider = pg.open(schema);
  const { material, materialId, blob } = await importedKey(new Kms({ provider: writerProvider }));
  const { provider, kms } = await coldKms(schema);
  const seen = overtakeMaterialFetches(provider, 100, async () => {
    await writerProvider.importMaterial('SYMMETRIC_DEFAULT', material, materialId);
    await kms.listKeys({});
  });

  const error = await kms.decrypt({ CiphertextBlob: blob }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(KMSInternalException);
  expect((error as Error).message).toMatch(/changed in the PostgreSQL store while it was being read; try again/);
  expect(seen.fetches).toBe(5);
});
