// Signature verification against Wycheproof, on both implementations. The node path: RAW through
// OpenSSL (node:crypto), DIGEST (the message pre-hashed) through @noble/curves or the RSA encodings
// over raw RSA. The portable path (browsers): ECDSA and EdDSA through @noble/curves for both message
// types, RSA RAW through WebCrypto and RSA DIGEST through the encodings over bigint RSA.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SigningAlgorithmSpec } from 'kmsbox';
import { nodeCryptoBackend, webBackend } from '../../src/crypto/backend/index.js';
import { hex, loadVectors } from './wycheproof.js';

interface SigTest {
  tcId: number;
  msg: string;
  sig: string;
  result: 'valid' | 'invalid' | 'acceptable';
  flags: string[];
}
interface SigGroup {
  publicKeyDer: string;
  tests: SigTest[];
}

const FILES: Array<[string, SigningAlgorithmSpec, 'sha256' | 'sha384' | 'sha512']> = [
  ['ecdsa_secp256r1_sha256_test', 'ECDSA_SHA_256', 'sha256'],
  ['ecdsa_secp384r1_sha384_test', 'ECDSA_SHA_384', 'sha384'],
  ['ecdsa_secp521r1_sha512_test', 'ECDSA_SHA_512', 'sha512'],
  ['ecdsa_secp256k1_sha256_test', 'ECDSA_SHA_256', 'sha256'],
  ['rsa_pss_2048_sha256_mgf1_32_test', 'RSASSA_PSS_SHA_256', 'sha256'],
  ['rsa_pss_2048_sha384_mgf1_48_test', 'RSASSA_PSS_SHA_384', 'sha384'],
  ['rsa_signature_2048_sha256_test', 'RSASSA_PKCS1_V1_5_SHA_256', 'sha256'],
  ['rsa_signature_3072_sha384_test', 'RSASSA_PKCS1_V1_5_SHA_384', 'sha384'],
  ['ed25519_test', 'ED25519_SHA_512', 'sha512'],
];

describe.each(FILES)('Wycheproof %s', (file, algorithm, hash) => {
  const vectors = loadVectors<SigGroup>(file);
  const types = algorithm === 'ED25519_SHA_512' ? (['RAW'] as const) : (['RAW', 'DIGEST'] as const);
  const paths = (['node', 'portable'] as const).flatMap((impl) => types.map((type) => [impl, type] as const));
  it.each(paths)('%s implementation, %s messages: valid signatures verify, invalid ones do not', async (impl, path) => {
    let valid = 0;
    let invalid = 0;
    for (const group of vectors.testGroups) {
      const spki = hex(group.publicKeyDer);
      for (const t of group.tests) {
        const msg = hex(t.msg);
        const input = path === 'RAW' ? msg : new Uint8Array(createHash(hash).update(msg).digest());
        const ok = await (await (impl === 'node' ? nodeCryptoBackend! : webBackend).asymmetric()).verify(
          spki,
          algorithm,
          input,
          path,
          hex(t.sig),
        );
        if (t.result === 'valid') {
          expect(ok, `tcId ${t.tcId} ${t.flags.join(',')}`).toBe(true);
          valid++;
        } else if (t.result === 'invalid') {
          expect(ok, `tcId ${t.tcId} ${t.flags.join(',')}`).toBe(false);
          invalid++;
        } // 'acceptable' (e.g. legacy encodings): either answer is allowed
      }
    }
    expect(valid).toBeGreaterThan(0);
    expect(invalid).toBeGreaterThan(0);
  });
});
