// ML-DSA (FIPS 204) through kmsbox's ML-DSA module, against Wycheproof: SPKI encoding, verify of
// published signatures (RAW with empty context, and external μ), and seed-derived public keys.
import { describe, expect, it } from 'vitest';
import { mlDsaPublicKey, mlDsaSign, mlDsaVerify, type MlDsaSpec } from '../../src/crypto/ml-dsa.js';
import { hex, loadVectors, toHex } from './wycheproof.js';

interface VerifyTest {
  tcId: number;
  msg: string;
  ctx?: string;
  sig: string;
  result: 'valid' | 'invalid';
}
interface VerifyGroup {
  publicKey: string;
  publicKeyDer: string;
  tests: VerifyTest[];
}
interface SignTest {
  tcId: number;
  msg?: string;
  mu?: string;
  ctx?: string;
  rnd?: string;
  sig: string;
  result: 'valid' | 'invalid';
}
interface SignGroup {
  privateSeed: string;
  publicKey: string;
  tests: SignTest[];
}

describe.each([
  ['mldsa_44_verify_test', 'ML_DSA_44'],
  ['mldsa_65_verify_test', 'ML_DSA_65'],
  ['mldsa_87_verify_test', 'ML_DSA_87'],
] as const)('Wycheproof %s', (file, spec: MlDsaSpec) => {
  it('verifies every valid signature (pure ML-DSA, empty context) and rejects every invalid one', () => {
    const vectors = loadVectors<VerifyGroup>(file);
    let valid = 0;
    let invalid = 0;
    for (const group of vectors.testGroups) {
      for (const t of group.tests.filter((x) => x.ctx === undefined || x.ctx === '')) {
        const ok = mlDsaVerify(spec, hex(group.publicKeyDer), hex(t.msg), 'RAW', hex(t.sig));
        expect(ok, `tcId ${t.tcId}`).toBe(t.result === 'valid');
        if (t.result === 'valid') valid++;
        else invalid++;
      }
    }
    expect(valid).toBeGreaterThan(0);
    expect(invalid).toBeGreaterThan(0);
  });
});

describe('Wycheproof mldsa_65_sign_seed_test (known answers from a seed)', () => {
  const all = loadVectors<SignGroup>('mldsa_65_sign_seed_test');
  // Some groups give only an expanded private key; the seed ones are what kmsbox stores.
  const vectors = { ...all, testGroups: all.testGroups.filter((g) => g.privateSeed?.length === 64) };
  it("the seed gives the published public key, and its SPKI matches the verify vectors' encoding", () => {
    for (const group of vectors.testGroups) {
      const spki = mlDsaPublicKey('ML_DSA_65', hex(group.privateSeed));
      expect(toHex(spki.subarray(spki.length - group.publicKey.length / 2))).toBe(group.publicKey);
    }
    const verifyGroup = loadVectors<VerifyGroup>('mldsa_65_verify_test').testGroups[0]!;
    expect(toHex(hex(verifyGroup.publicKeyDer).subarray(0, 22))).toBe(
      toHex(mlDsaPublicKey('ML_DSA_65', hex(vectors.testGroups[0]!.privateSeed)).subarray(0, 22)),
    );
  });

  it('published signatures verify over the message (RAW) and over μ (EXTERNAL_MU); ours verify too', () => {
    let checked = 0;
    for (const group of vectors.testGroups) {
      const seed = hex(group.privateSeed);
      const spki = mlDsaPublicKey('ML_DSA_65', seed);
      for (const t of group.tests.filter((x) => x.result === 'valid' && (x.ctx === undefined || x.ctx === ''))) {
        if (t.msg !== undefined) expect(mlDsaVerify('ML_DSA_65', spki, hex(t.msg), 'RAW', hex(t.sig)), `tcId ${t.tcId}`).toBe(true);
        if (t.mu !== undefined) {
          expect(mlDsaVerify('ML_DSA_65', spki, hex(t.mu), 'EXTERNAL_MU', hex(t.sig)), `tcId ${t.tcId} mu`).toBe(true);
          expect(mlDsaVerify('ML_DSA_65', spki, hex(t.mu), 'EXTERNAL_MU', mlDsaSign('ML_DSA_65', seed, hex(t.mu), 'EXTERNAL_MU'))).toBe(
            true,
          );
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});
