// RSAES-OAEP decryption (the path Decrypt takes for RSA keys) against Wycheproof, on the node path
// (OpenSSL) and the portable path (WebCrypto, as browsers run it): every valid empty-label vector
// decrypts to its message, every invalid one yields nothing.
import { describe, expect, it } from 'vitest';
import { nodeCryptoBackend, webBackend } from '../../src/crypto/backend/index.js';
import { hex, loadVectors, toHex } from './wycheproof.js';

interface OaepTest {
  tcId: number;
  msg: string;
  ct: string;
  label: string;
  result: 'valid' | 'invalid' | 'acceptable';
  flags: string[];
}
interface OaepGroup {
  privateKeyPkcs8: string;
  tests: OaepTest[];
}

describe.each([
  ['rsa_oaep_2048_sha1_mgf1sha1_test', 'RSAES_OAEP_SHA_1'],
  ['rsa_oaep_2048_sha256_mgf1sha256_test', 'RSAES_OAEP_SHA_256'],
  ['rsa_oaep_3072_sha256_mgf1sha256_test', 'RSAES_OAEP_SHA_256'],
] as const)('Wycheproof %s', (file, algorithm) => {
  it.each(['node', 'portable'] as const)(
    '%s implementation: valid ciphertexts decrypt to their message; invalid ones do not decrypt',
    async (impl) => {
      const vectors = loadVectors<OaepGroup>(file);
      let valid = 0;
      let invalid = 0;
      for (const group of vectors.testGroups) {
        const pkcs8 = hex(group.privateKeyPkcs8);
        for (const t of group.tests.filter((x) => x.label === '')) {
          const out = await (await (impl === 'node' ? nodeCryptoBackend! : webBackend).asymmetric()).rsaDecrypt(
            pkcs8,
            algorithm,
            hex(t.ct),
          );
          if (t.result === 'valid') {
            expect(out && toHex(out), `tcId ${t.tcId}`).toBe(t.msg);
            valid++;
          } else if (t.result === 'invalid') {
            expect(out, `tcId ${t.tcId} ${t.flags.join(',')}`).toBeUndefined();
            invalid++;
          }
        }
      }
      expect(valid).toBeGreaterThan(0);
      expect(invalid).toBeGreaterThan(0);
    },
  );
});
