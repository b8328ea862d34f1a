// Property: a range read returns exactly the requested slice or a typed error, for any range
// (segment boundaries included), any claimed total size (true, absent, or a lie) and any damage
// to the stored bytes; never a KMSInternalException (a raw error inside), never other bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KMSServiceException, decryptRange, encryptEnvelope } from 'kmsbox';
import { bytes, concat, setup } from './helpers.js';

const RUNS = Number(process.env.KMSBOX_FUZZ_RUNS ?? 200);
const S = 4096;

describe('decryptRange on any range, size and damage', () => {
  it('gives the exact slice or a typed error', async () => {
    const { kms, keyIds } = await setup();
    const plaintext = bytes(3 * S + 100, 11);
    const exact = bytes(2 * S, 12); // a multiple of the segment size: the final segment is full
    const envelopes = [
      { plain: plaintext, bytes: await encryptEnvelope(plaintext, { kms, keyId: keyIds[0]!, segmentSize: S }) },
      { plain: exact, bytes: await encryptEnvelope(exact, { kms, keyId: keyIds[0]!, segmentSize: S }) },
    ];
    const near = (n: number) =>
      fc.oneof(
        fc.integer({ min: 0, max: n + 2 * S }),
        fc.constantFrom(0, S - 1, S, S + 1, 2 * S - 1, 2 * S, 2 * S + 1, 3 * S, n - 1, n, n + 1),
      );
    const damage = fc.option(fc.record({ at: fc.nat(), kind: fc.constantFrom('flip', 'cut') }), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(
        fc.nat(1),
        near(plaintext.length),
        fc.integer({ min: 1, max: 2 * S + 10 }),
        fc.constantFrom('true', 'none', 'less', 'more'),
        damage,
        async (which, start, length, sizeMode, hurt) => {
          const { plain, bytes: original } = envelopes[which]!;
          let stored = original;
          if (hurt !== undefined) {
            const at = hurt.at % stored.length;
            stored =
              hurt.kind === 'cut'
                ? stored.subarray(0, at)
                : concat(stored.subarray(0, at), Uint8Array.of(stored[at]! ^ 1), stored.subarray(at + 1));
          }
          const size =
            sizeMode === 'true'
              ? stored.length
              : sizeMode === 'less'
                ? Math.max(0, stored.length - 1 - (start % 50))
                : sizeMode === 'more'
                  ? stored.length + 1 + (start % 5000)
                  : undefined;
          const end = start + length;
          try {
            const out = await decryptRange(
              async (o, l) => stored.slice(o, o + l),
              { kms, keyIds },
              { start, end, ...(size === undefined ? {} : { size }) },
            );
            expect(Buffer.from(out.plaintext).equals(Buffer.from(plain.subarray(start, end)))).toBe(true);
            expect(out.plaintext.length).toBeGreaterThan(0);
          } catch (e) {
            expect(e).toBeInstanceOf(KMSServiceException);
            expect((e as Error).name).not.toBe('KMSInternalException');
            // An intact envelope with its true size (or none) answers every range that starts inside it.
            if (hurt === undefined && (sizeMode === 'true' || sizeMode === 'none') && start < plain.length) throw e;
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});
