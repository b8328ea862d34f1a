// A PostgresProvider fetches key material into its cache on first use. A fetch that an invalidation
// overtakes (the provider dropped cached material while the SELECT was in flight: a pull that saw
// a material change, or a full reload after a reconnect) must not cache what it read, since the row
// may predate the change, but the call that needed the material must still get it: it fetches
// again (src/providers/postgres/provider.ts, #need). Before that, the call ran without material
// and answered InvalidCiphertextException for a good blob (seen in restart.test.ts under CI load).
import { Kms } from 'kmsbox';
import type { PostgresProvider } from 'kmsbox/postgres';
import { expect, test } from 'vitest';
import { usePostgres } from './fixtures.js';

const pg = usePostgres('material_fetch');

/**
 * Makes `provider`'s next material SELECT be overtaken: once its rows are back, and before the
 * fetch looks at them, `interfere` runs (here: a change that invalidates the cache).
 */
function overtakeNextMaterialFetch(provider: PostgresProvider, interfere: () => Promise<void>): { readonly fetches: number } {
  const real = provider.sql;
  const seen = { fetches: 0 };
  const patched = new Proxy(real, {
    apply(target, thisArg, args: unknown[]) {
      const query = Reflect.apply(target, thisArg, args) as PromiseLike<unknown>;
      const strings = args[0];
      if (!Array.isArray(strings) || !strings.join('?').includes('SELECT spec, nonce, sealed')) return query;
      seen.fetches++;
      if (seen.fetches > 1) return query;
      return Promise.resolve(query).then(async (rows) => {
        await interfere();
        return rows;
      });
    },
  });
  (provider as { sql: unknown }).sql = patched;
  return seen;
}

test('a material fetch overtaken by an invalidation fetches again: the call gets its material, not InvalidCiphertextException', async () => {
  const schema = pg.schema();
  const writer = new Kms({ provider: pg.open(schema) });
  const { KeyMetadata } = await writer.createKey({});
  const { CiphertextBlob } = await writer.encrypt({ KeyId: KeyMetadata!.KeyId!, Plaintext: new Uint8Array([7, 8, 9]) });

  const cold = pg.open(schema); // nothing cached yet
  const kms = new Kms({ provider: cold });
  await kms.listKeys({}); // opened, so that the only material read left is the decrypt's
  const invalidations: string[] = [];
  const seen = overtakeNextMaterialFetch(cold, async () => {
    // Logs a material change (for an id nothing uses): the provider drops what it cached.
    await cold.destroyMaterial(['overtaking-change']);
    invalidations.push('overtaking-change');
  });

  const { Plaintext } = await kms.decrypt({ CiphertextBlob: CiphertextBlob! });
  expect([...Plaintext!]).toEqual([7, 8, 9]);
  expect(invalidations).toEqual(['overtaking-change']);
  expect(seen.fetches).toBe(2); // the overtaken fetch cached nothing, and the second one did

  // And the material is cached now: the next call reads no material row.
  await kms.decrypt({ CiphertextBlob: CiphertextBlob! });
  expect(seen.fetches).toBe(2);
});
