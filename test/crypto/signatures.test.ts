// Signature verification on both paths, against Wycheproof: RAW through OpenSSL (node:crypto), and
// DIGEST (the message pre-hashed) through @noble/curves or the RSA encodings over raw RSA.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SigningAlgorithmSpec } from 'kmsbox';
import { verify } from '../../src/crypto/signatures.js';
import { hex, loadVectors } from './wycheproof.js';

interface SigTest { tcId: number; msg: string; sig: string; result: 'valid' | 'invalid' | 'acceptable'; flags: string[] }
interface SigGroup { publicKeyDer: string; tests: SigTest[] }

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
  const paths = algorithm === 'ED25519_SHA_512' ? (['RAW'] as const) : (['RAW', 'DIGEST'] as const);
  it.each(paths)('%s path: valid signatures verify, invalid ones do not', (path) => {
    let valid = 0;
    let invalid = 0;
    for (const group of vectors.testGroups) {
      const spki = hex(group.publicKeyDer);
      for (const t of group.tests) {
        const msg = hex(t.msg);
        const input = path === 'RAW' ? msg : new Uint8Array(createHash(hash).update(msg).digest());
        const ok = verify(spki, algorithm, input, path, hex(t.sig));
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
