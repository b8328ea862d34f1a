// ops/imported-key-pair.ts on its own: which PKCS#8 private keys ImportKeyMaterial accepts for an
// RSA or ECC key spec, what it stores (the key re-encoded as OpenSSL writes it), and that no input
// gets any answer but the key or IncorrectKeyMaterialException (property tests).
import { createPrivateKey, createPublicKey, generateKeyPairSync, generatePrimeSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IncorrectKeyMaterialException } from 'kmsbox';
import { checkImportedKeyPair } from '../../src/ops/imported-key-pair.js';
import { runs, timeout } from '../property/fuzz.js';

const der = (key: ReturnType<typeof createPrivateKey>) => new Uint8Array(key.export({ type: 'pkcs8', format: 'der' }));
const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const RSA_PKCS8 = der(rsa2048.privateKey);
const P256_PKCS8 = der(p256.privateKey);
const P256_SPKI = new Uint8Array(p256.publicKey.export({ type: 'spki', format: 'der' }));

const b64u = (n: bigint) => {
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex').toString('base64url');
};
const fromB64u = (s: string) => BigInt(`0x${Buffer.from(s, 'base64url').toString('hex')}`);
const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;
function inverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [mod(a, m), m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error('not invertible');
  return mod(s0, m);
}
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));

/** An RSA PKCS#8 from JWK values, as node:crypto encodes it (node does not check them). */
function rsaFromJwk(jwk: Record<string, string>): Uint8Array {
  return der(createPrivateKey({ key: { kty: 'RSA', ...jwk }, format: 'jwk' }));
}

const message = (spec: string, why: string) => `The key material is not a valid ${spec} private key: ${why}.`;

describe('checkImportedKeyPair', () => {
  it('stores an EC key as OpenSSL writes it and computes its public key', async () => {
    const checked = await checkImportedKeyPair('ECC_NIST_P256', P256_PKCS8);
    expect(Buffer.from(checked.pkcs8)).toEqual(Buffer.from(P256_PKCS8)); // node:crypto (OpenSSL) writes the same bytes
    expect(Buffer.from(checked.spki)).toEqual(Buffer.from(P256_SPKI));
    const rsa = await checkImportedKeyPair('RSA_2048', RSA_PKCS8);
    expect(Buffer.from(rsa.pkcs8)).toEqual(Buffer.from(RSA_PKCS8));
    expect(Buffer.from(rsa.spki)).toEqual(Buffer.from(rsa2048.publicKey.export({ type: 'spki', format: 'der' })));
  });

  it('leaves the caller’s buffer as it was: the caller wipes it', async () => {
    const input = P256_PKCS8.slice();
    await checkImportedKeyPair('ECC_NIST_P256', input);
    expect(Buffer.from(input)).toEqual(Buffer.from(P256_PKCS8));
  });

  it('refuses RSA keys whose values do not belong together, each check on its own', async () => {
    const jwk = rsa2048.privateKey.export({ format: 'jwk' }) as Record<string, string>;
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }) as Record<string, string>;
    const n = fromB64u(jwk.n!);
    const inconsistent = message('RSA_2048', 'its RSA private key values are inconsistent');
    const cases: Record<string, string>[] = [
      { ...jwk, dp: jwk.dq! },
      { ...jwk, dq: jwk.dp! },
      { ...jwk, qi: b64u(mod(fromB64u(jwk.qi!) + 1n, fromB64u(jwk.p!))) },
      { ...jwk, d: other.d! },
      { ...jwk, p: other.p! }, // n ≠ p·q
      { ...jwk, e: b64u(65536n) }, // an even exponent
      { ...jwk, e: b64u(1n) }, // e < 3
      { ...jwk, p: b64u(1n), q: b64u(n) }, // the trivial factorisation
    ];
    for (const c of cases) {
      await expect(checkImportedKeyPair('RSA_2048', rsaFromJwk(c))).rejects.toThrow(inconsistent);
    }
  });

  it('refuses an RSA key with a composite "prime" whose values are otherwise consistent: the pairwise test catches it', async () => {
    // p = r·s (composite), q prime; d, dP, dQ and qInv computed as if p were prime.
    const e = 65537n;
    for (;;) {
      const r = generatePrimeSync(512, { bigint: true });
      const s = generatePrimeSync(512, { bigint: true });
      const q = generatePrimeSync(1024, { bigint: true });
      const p = r * s;
      const n = p * q;
      const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
      if (n.toString(2).length !== 2048 || gcd(e, lambda) !== 1n || gcd(q, p) !== 1n) continue;
      const d = inverse(e, lambda);
      const jwk = {
        n: b64u(n),
        e: b64u(e),
        d: b64u(d),
        p: b64u(p),
        q: b64u(q),
        dp: b64u(d % (p - 1n)),
        dq: b64u(d % (q - 1n)),
        qi: b64u(inverse(q, p)),
      };
      await expect(checkImportedKeyPair('RSA_2048', rsaFromJwk(jwk))).rejects.toThrow(
        message('RSA_2048', 'it failed the pairwise consistency test'),
      );
      return;
    }
  }, 60_000);

  it(
    'answers only with the key or IncorrectKeyMaterialException, for any bytes',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ maxLength: 300 }),
          fc.constantFrom('RSA_2048', 'ECC_NIST_P256', 'ECC_SECG_P256K1'),
          async (bytes, spec) => {
            const outcome = await checkImportedKeyPair(spec, bytes).catch((e: unknown) => e);
            expect(outcome).toBeInstanceOf(IncorrectKeyMaterialException);
            expect((outcome as Error).message).toMatch(new RegExp(`^The key material is not a valid ${spec} private key: .+\\.$`));
          },
        ),
        { numRuns: runs(200) },
      );
    },
    timeout(60_000),
  );

  it(
    'a valid key with one byte changed is refused or, where the byte is one that is ignored or re-derived, still the same key pair',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: P256_PKCS8.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, flip) => {
          const bytes = P256_PKCS8.slice();
          bytes[at]! ^= flip;
          const outcome = await checkImportedKeyPair('ECC_NIST_P256', bytes).catch((e: unknown) => e);
          if (outcome instanceof Error) {
            expect(outcome).toBeInstanceOf(IncorrectKeyMaterialException);
            return;
          }
          const { pkcs8, spki } = outcome as { pkcs8: Uint8Array; spki: Uint8Array };
          // Accepted: then what is stored is a well-formed key whose public key is computed from it.
          const key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
          expect(Buffer.from(spki)).toEqual(createPublicKey(key).export({ format: 'der', type: 'spki' }));
          if (Buffer.from(spki).equals(Buffer.from(P256_SPKI))) expect(Buffer.from(pkcs8)).toEqual(Buffer.from(P256_PKCS8));
        }),
        { numRuns: runs(200) },
      );
    },
    timeout(60_000),
  );
});
