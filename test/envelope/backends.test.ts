// The three segment backends (node:crypto, WebCrypto, @noble/ciphers) write the same bytes and
// read each other's; each refuses a flipped bit or the wrong final flag.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCryptoBackend, webBackend } from '../../src/crypto/backend/index.js';
import { portableBackend } from '../../src/crypto/backend/portable.js';
import { segmentCipher } from '../../src/envelope/segments.js';
import { bytes, expectBytes } from './helpers.js';

// The portable backend over no crypto.subtle is @noble/ciphers.
const BACKENDS = [nodeCryptoBackend!, webBackend, portableBackend(undefined)];

describe('segment backends', () => {
  it('agree byte for byte and open each other', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 5000 }),
        fc.nat(2 ** 32 - 1),
        fc.boolean(),
        async (key, plaintext, index, final) => {
          const aad = bytes(32, 9);
          const sealed = await Promise.all(BACKENDS.map((b) => segmentCipher(key, aad, b).sealParts(index, final, plaintext)));
          const joined = sealed.map((parts) => Buffer.concat(parts));
          for (const j of joined) expectBytes(j, joined[0]!);
          for (const b of BACKENDS) {
            const c = segmentCipher(key, aad, b);
            expectBytes((await c.open(index, final, joined[0]!))!, plaintext);
            expect(await c.open(index, !final, joined[0]!)).toBeUndefined();
            const flipped = Buffer.from(joined[0]!);
            flipped[flipped.length - 1]! ^= 1;
            expect(await c.open(index, final, flipped)).toBeUndefined();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
