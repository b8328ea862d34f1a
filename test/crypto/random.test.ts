// Secret bytes never come from the pool of crypto/random.ts: every data key, key material, seed,
// GenerateRandom output and import token is one getRandomValues call of exactly its own length,
// so no future key sits in module state before it is issued. Public values (salts, nonces, ids)
// may come from the pool; the spy below sees that too, which is what makes the check meaningful.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Kms } from 'kmsbox';
import { publicRandomBytes, randomBytes } from '../../src/crypto/random.js';
import { webBackend } from '../../src/crypto/backend/index.js';
import { newMaterial } from '../../src/providers/software.js';

/** Copies of every buffer getRandomValues filled, as filled. */
let fills: Uint8Array[] = [];
beforeEach(() => {
  fills = [];
  const real = globalThis.crypto.getRandomValues.bind(globalThis.crypto);
  vi.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
    const view = array as unknown as Uint8Array<ArrayBuffer>;
    real(view);
    fills.push(new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice());
    return array;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const contains = (hay: Uint8Array, needle: Uint8Array): boolean => {
  for (let i = 0; i + needle.length <= hay.length; i++) if (equal(hay.subarray(i, i + needle.length), needle)) return true;
  return false;
};

/** The secret was one getRandomValues call of exactly its length, and is part of no other (larger) fill. */
function expectDrawnDirectly(secret: Uint8Array): void {
  expect(secret.length).toBeGreaterThan(0);
  expect(fills.filter((f) => equal(f, secret))).toHaveLength(1);
  expect(fills.filter((f) => f.length > secret.length && contains(f, secret))).toEqual([]);
}

describe('random bytes: secrets drawn directly, public values may be pooled', () => {
  it('the spy sees pooled draws as part of a larger fill (so the secret checks below can fail)', () => {
    publicRandomBytes(28); // may refill the pool: either way, the next draws come from it
    fills = [];
    const a = publicRandomBytes(28);
    const b = publicRandomBytes(28);
    expect(fills.some((f) => equal(f, a))).toBe(false);
    expect(fills.some((f) => equal(f, b))).toBe(false);
    expect(equal(a, b)).toBe(false);
  });

  it('randomBytes: exactly one call of exactly n bytes, for every size the pool would have served and beyond', () => {
    for (const n of [1, 16, 28, 32, 48, 64, 65, 1024]) {
      fills = [];
      const bytes = randomBytes(n);
      expect(fills.map((f) => f.length)).toEqual([n]);
      expectDrawnDirectly(bytes);
    }
  });

  it('GenerateDataKey and GenerateRandom plaintexts', async () => {
    const kms = new Kms();
    const KeyId = (await kms.createKey({})).KeyMetadata!.KeyId!;
    for (const input of [{ KeySpec: 'AES_256' as const }, { KeySpec: 'AES_128' as const }, { NumberOfBytes: 1 }, { NumberOfBytes: 64 }]) {
      fills = [];
      expectDrawnDirectly((await kms.generateDataKey({ KeyId, ...input })).Plaintext!);
    }
    for (const NumberOfBytes of [1, 32, 64]) {
      fills = [];
      expectDrawnDirectly((await kms.generateRandom({ NumberOfBytes })).Plaintext!);
    }
  });

  it('symmetric and HMAC key material, ML-DSA seeds and portable Ed25519 seeds', async () => {
    for (const spec of ['SYMMETRIC_DEFAULT', 'HMAC_224', 'HMAC_256', 'HMAC_384', 'HMAC_512', 'ML_DSA_44'] as const) {
      fills = [];
      expectDrawnDirectly((await newMaterial(spec, 'memory')).bytes);
    }
    fills = [];
    const pkcs8 = await (await webBackend.asymmetric()).generatePrivateKey('ECC_NIST_EDWARDS25519');
    expectDrawnDirectly(pkcs8.subarray(pkcs8.length - 32)); // the seed ends the PKCS#8 (RFC 8410 §7)
  });

  it('import tokens (a token names the wrapping key: it must not be guessable from earlier draws)', async () => {
    const kms = new Kms();
    const KeyId = (await kms.createKey({ Origin: 'EXTERNAL' })).KeyMetadata!.KeyId!;
    fills = [];
    const { ImportToken } = await kms.getParametersForImport({
      KeyId,
      WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
      WrappingKeySpec: 'RSA_2048',
    });
    expectDrawnDirectly(ImportToken!.subarray(1)); // after the version byte
  });
});

describe('ids from the pool', () => {
  it('randomUuid: version 4, RFC 9562 variant, lowercase, all distinct', async () => {
    const { randomUuid } = await import('../../src/crypto/random.js');
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = randomUuid();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(2000);
    // Every hex digit appears in every free position (the digits come from the random bytes, not a constant).
    const ids = [...seen];
    for (const at of [0, 7, 9, 15, 20, 35]) expect(new Set(ids.map((id) => id[at])).size).toBeGreaterThan(8);
  });

  it('hex16 gives the bytes as lowercase hex, dashed as a UUID or not, for any bytes and offset', async () => {
    const { hex16 } = await import('../../src/crypto/bytes.js');
    const fc = (await import('fast-check')).default;
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 40 }), fc.nat(24), (bytes, start) => {
        const offset = Math.min(start, bytes.length - 16);
        const h = Buffer.from(bytes.subarray(offset, offset + 16)).toString('hex');
        expect(hex16(bytes, offset, false)).toBe(h);
        expect(hex16(bytes, offset, true)).toBe(`${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`);
      }),
      { numRuns: 500 },
    );
  });
});
