// HKDF-SHA256 on every backend (Wycheproof), and the per-call key derivation built on HKDF-Expand.
import fc from 'fast-check';
import { expand, hkdf as nobleReferenceHkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CALL_KEY_LABEL, nobleCallKey, nodeCallKey, webCryptoCallKey, type CallKeyBackend } from '../../src/crypto/call-key.js';
import { nobleHkdf, nodeHkdf, webCryptoHkdf, type HkdfBackend } from '../../src/crypto/hkdf.js';
import { hex, loadVectors, toHex } from './wycheproof.js';

interface HkdfTest {
  tcId: number;
  ikm: string;
  salt: string;
  info: string;
  size: number;
  okm: string;
  result: 'valid' | 'invalid';
}
const vectors = loadVectors<{ tests: HkdfTest[] }>('hkdf_sha256_test');
const backends = [nodeHkdf, webCryptoHkdf, nobleHkdf].filter((b): b is HkdfBackend => b !== undefined);

describe.each(backends.map((b) => [b.name, b] as const))('Wycheproof hkdf_sha256_test on %s', (_, backend) => {
  it('every valid vector derives its okm; every invalid one (output too long) is refused', async () => {
    let valid = 0;
    let invalid = 0;
    for (const t of vectors.testGroups.flatMap((g) => g.tests)) {
      const run = backend.hkdfSha256(hex(t.ikm), hex(t.salt), hex(t.info), t.size);
      if (t.result === 'valid') {
        expect(toHex(await run), `tcId ${t.tcId}`).toBe(t.okm);
        valid++;
      } else {
        await expect(run, `tcId ${t.tcId}`).rejects.toThrow();
        invalid++;
      }
    }
    expect(valid + invalid).toBe(vectors.numberOfTests);
    expect(invalid).toBeGreaterThan(0);
  });
});

describe('HKDF backends agree', () => {
  it('on random inputs, including empty salt and info', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 80 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.integer({ min: 1, max: 255 }),
        async (ikm, salt, info, length) => {
          const expected = toHex(nobleReferenceHkdf(sha256, ikm, salt, info, length));
          for (const b of backends) expect(toHex(await b.hkdfSha256(ikm, salt, info, length))).toBe(expected);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('per-call key derivation', () => {
  const callKeys = [nodeCallKey, webCryptoCallKey, nobleCallKey].filter((b): b is CallKeyBackend => b !== undefined);

  it('is HKDF-Expand-SHA256(PRK = material, info = label || salt, 32), on every backend', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        async (material, salt) => {
          const info = new Uint8Array([...CALL_KEY_LABEL, ...salt]);
          const expected = toHex(expand(sha256, material, info, 32));
          // and, spelled out with OpenSSL's HMAC: T(1) = HMAC(PRK, info || 0x01)
          const openssl = createHmac('sha256', material)
            .update(info)
            .update(Buffer.from([1]))
            .digest('hex');
          expect(openssl).toBe(expected);
          for (const b of callKeys) expect(toHex(await b.deriveCallKey(material, salt))).toBe(expected);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('uses the documented label (changing it would orphan every existing ciphertext)', () => {
    expect(new TextDecoder().decode(CALL_KEY_LABEL)).toBe('kmsbox/v1 ciphertext blob key');
  });

  it('different salts give different keys', async () => {
    const m = new Uint8Array(32).fill(9);
    const a = await nobleCallKey.deriveCallKey(m, new Uint8Array(16));
    const b = await nobleCallKey.deriveCallKey(m, new Uint8Array(16).fill(1));
    expect(toHex(a)).not.toBe(toHex(b));
  });
});
