// ECDH (DeriveSharedSecret) against Wycheproof, on both implementations: node:crypto (OpenSSL) and
// the portable path (@noble/curves) that browsers run. Each test's private scalar becomes a PKCS#8
// key as kmsbox holds it; its peer key is a DER SubjectPublicKeyInfo, as KMS takes it.
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { describe, expect, it } from 'vitest';
import { ecPkcs8 } from '../../src/crypto/key-der.js';
import { nodeCryptoBackend, webBackend } from '../../src/crypto/backend/index.js';
import { hex, loadVectors, toHex } from './wycheproof.js';

interface EcdhTest {
  tcId: number;
  public: string;
  private: string;
  shared: string;
  result: 'valid' | 'invalid' | 'acceptable';
  flags: string[];
}
interface EcdhGroup {
  curve: string;
  encoding: string;
  tests: EcdhTest[];
}

const FILES: Array<[string, keyof typeof CURVES]> = [
  ['ecdh_secp256r1_test', 'P-256'],
  ['ecdh_secp384r1_test', 'P-384'],
  ['ecdh_secp521r1_test', 'P-521'],
];
const CURVES = { 'P-256': p256, 'P-384': p384, 'P-521': p521 } as const;
const SCALAR_BYTES = { 'P-256': 32, 'P-384': 48, 'P-521': 66 } as const;

const keys = new Map<string, Uint8Array>();
/** Wycheproof's private key (a big-endian integer, maybe with a sign byte) as kmsbox's PKCS#8; one buffer per key, as a provider holds it. */
function pkcs8(curve: keyof typeof CURVES, privateHex: string): Uint8Array {
  let key = keys.get(`${curve} ${privateHex}`);
  if (key === undefined) {
    const d = hex(
      BigInt(`0x${privateHex}`)
        .toString(16)
        .padStart(SCALAR_BYTES[curve] * 2, '0'),
    );
    keys.set(`${curve} ${privateHex}`, (key = ecPkcs8(curve, d, CURVES[curve].getPublicKey(d, false))));
  }
  return key;
}

describe.each(FILES)('Wycheproof %s', (file, curve) => {
  const vectors = loadVectors<EcdhGroup>(file);
  it.each(['node', 'portable'] as const)(
    '%s implementation: valid peers give the shared secret, invalid ones undefined',
    async (impl) => {
      let valid = 0;
      let invalid = 0;
      for (const group of vectors.testGroups) {
        expect(group.encoding).toBe('asn');
        for (const t of group.tests) {
          const key = pkcs8(curve, t.private);
          const peer = hex(t.public);
          const secret = await (await (impl === 'node' ? nodeCryptoBackend! : webBackend).asymmetric()).deriveSharedSecret(key, peer);
          const label = `tcId ${t.tcId} ${t.flags.join(',')}`;
          if (t.result === 'valid') {
            expect(secret && toHex(secret), label).toBe(t.shared);
            valid++;
          } else if (t.result === 'invalid') {
            expect(secret, label).toBeUndefined();
            invalid++;
          } else if (secret !== undefined) {
            // 'acceptable' (e.g. a compressed peer point): refusing is allowed; a wrong secret is not.
            expect(toHex(secret), label).toBe(t.shared);
          }
        }
      }
      expect(valid).toBeGreaterThan(0);
      expect(invalid).toBeGreaterThan(0);
    },
    300_000,
  ); // a bound for a hang: the portable P-521 file took 30-42 s on a loaded machine (the 30 s default failed)
});
