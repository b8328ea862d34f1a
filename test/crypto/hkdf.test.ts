// HKDF-SHA256 (Wycheproof) on both crypto backends' HMAC, and the per-call key derivation built on
// HKDF-Expand. kmsbox computes HKDF as the HMACs of RFC 5869 (crypto/call-key.ts,
// envelope/key-schedule.ts), so the backends' HMAC of a message in parts is what is under test.
import fc from 'fast-check';
import { expand, hkdf as nobleReferenceHkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nodeCryptoBackend, webBackend, type CryptoBackend } from '../../src/crypto/backend/index.js';
import { CALL_KEY_LABEL, deriveCallKey } from '../../src/crypto/call-key.js';
import { hex, loadVectors, toHex } from './wycheproof.js';

/** RFC 5869 HKDF-SHA256 over a backend's HMAC (extract, then T(i) = HMAC(PRK, T(i-1) || info || i)). */
function hkdfSha256(b: CryptoBackend, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (length > 255 * 32) throw new Error('HKDF-SHA256 output too long');
  const prk = b.hmac('SHA-256', salt.length === 0 ? new Uint8Array(32) : salt, ikm);
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1, at = 0; at < length; i++, at += 32) {
    t = b.hmac('SHA-256', prk, t, info, new Uint8Array([i]));
    out.set(t.subarray(0, Math.min(32, length - at)), at);
  }
  return out;
}

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
const backends = [nodeCryptoBackend, webBackend].filter((b): b is CryptoBackend => b !== undefined);

describe.each(backends.map((b) => [b.name, b] as const))('Wycheproof hkdf_sha256_test on %s', (_, backend) => {
  it('every valid vector derives its okm; every invalid one (output too long) is refused', () => {
    let valid = 0;
    let invalid = 0;
    for (const t of vectors.testGroups.flatMap((g) => g.tests)) {
      const run = () => hkdfSha256(backend, hex(t.ikm), hex(t.salt), hex(t.info), t.size);
      if (t.result === 'valid') {
        expect(toHex(run()), `tcId ${t.tcId}`).toBe(t.okm);
        valid++;
      } else {
        expect(run, `tcId ${t.tcId}`).toThrow();
        invalid++;
      }
    }
    expect(valid + invalid).toBe(vectors.numberOfTests);
    expect(invalid).toBeGreaterThan(0);
  });
});

describe('HKDF over both backends agrees with @noble/hashes', () => {
  it('on random inputs, including empty salt and info', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 80 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.integer({ min: 1, max: 255 }),
        async (ikm, salt, info, length) => {
          const expected = toHex(nobleReferenceHkdf(sha256, ikm, salt, info, length));
          for (const b of backends) expect(toHex(hkdfSha256(b, ikm, salt, info, length))).toBe(expected);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('per-call key derivation', () => {
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
          for (const b of backends) expect(toHex(deriveCallKey(material, salt, b))).toBe(expected);
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
    const a = deriveCallKey(m, new Uint8Array(16), webBackend);
    const b = deriveCallKey(m, new Uint8Array(16).fill(1), webBackend);
    expect(toHex(a)).not.toBe(toHex(b));
  });
});
