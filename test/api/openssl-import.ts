// Key pairs made by the OpenSSL CLI and wrapped by it as AWS's developer guide shows ("Step 3:
// Encrypt the key material"): `openssl pkeyutl -encrypt` with RSA-OAEP, and for the
// RSA_AES_KEY_WRAP_* algorithms an ephemeral AES-256 key, `openssl enc -id-aes256-wrap-pad`
// (RFC 5649) of the PKCS#8 private key, and the RSA-OAEP-encrypted AES key in front of it.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../providers/file-fixtures.js';

export type Wrapping = 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256' | 'RSA_AES_KEY_WRAP_SHA_1' | 'RSA_AES_KEY_WRAP_SHA_256';

const GENPKEY: Record<string, string[]> = {
  RSA_2048: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  RSA_3072: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'],
  RSA_4096: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:4096'],
  ECC_NIST_P256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-pkeyopt', 'ec_param_enc:named_curve'],
  ECC_NIST_P384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-pkeyopt', 'ec_param_enc:named_curve'],
  ECC_NIST_P521: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521', '-pkeyopt', 'ec_param_enc:named_curve'],
  ECC_SECG_P256K1: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1', '-pkeyopt', 'ec_param_enc:named_curve'],
  ED25519: ['-algorithm', 'ED25519'],
};

let work: string | undefined;
const dir = () => (work ??= tempDir());
let n = 0;
const file = (name: string) => join(dir(), `${n++}-${name}`);

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * A new private key for `spec`, as PKCS#8 DER: made by `openssl genpkey`, converted by `openssl pkcs8
 * -topk8 -nocrypt` as AWS's developer guide shows (OpenSSL 3.0's `genpkey -outform DER` writes the
 * algorithm's own format, PKCS#1 or SEC1, not PKCS#8).
 */
export function opensslPrivateKey(spec: string): Uint8Array {
  const pem = file('key.pem');
  const out = file('key.der');
  openssl(['genpkey', ...GENPKEY[spec]!, '-out', pem]);
  openssl(['pkcs8', '-topk8', '-nocrypt', '-in', pem, '-outform', 'DER', '-out', out]);
  return new Uint8Array(readFileSync(out));
}

/** The same private key in its algorithm's own DER format (PKCS#1 RSAPrivateKey, SEC1 ECPrivateKey), as OpenSSL 3.0 writes DER (`genpkey` or `pkey -outform DER`). */
export function opensslTraditional(pkcs8: Uint8Array): Uint8Array {
  const input = file('key.der');
  const out = file('trad.der');
  writeFileSync(input, pkcs8);
  openssl(['pkey', '-inform', 'DER', '-in', input, '-outform', 'DER', '-out', out]);
  return new Uint8Array(readFileSync(out));
}

/** The SPKI DER public key of a PKCS#8 DER private key, as `openssl pkey -pubout` writes it. */
export function opensslPublicKey(pkcs8: Uint8Array): Uint8Array {
  const input = file('key.der');
  const out = file('pub.der');
  writeFileSync(input, pkcs8);
  openssl(['pkey', '-inform', 'DER', '-in', input, '-pubout', '-outform', 'DER', '-out', out]);
  return new Uint8Array(readFileSync(out));
}

/** The same EC key re-encoded by OpenSSL as PKCS#8 without its public key (`openssl ec -no_public`, then `openssl pkcs8 -topk8`). */
export function opensslWithoutPublicKey(pkcs8: Uint8Array): Uint8Array {
  const input = file('key.der');
  const sec1 = file('sec1.der');
  const out = file('bare.der');
  writeFileSync(input, pkcs8);
  openssl(['ec', '-inform', 'DER', '-in', input, '-no_public', '-outform', 'DER', '-out', sec1]);
  openssl(['pkcs8', '-topk8', '-nocrypt', '-inform', 'DER', '-in', sec1, '-outform', 'DER', '-out', out]);
  return new Uint8Array(readFileSync(out));
}

/** What a user sends as EncryptedKeyMaterial: `material` wrapped by OpenSSL under GetParametersForImport's PublicKey. */
export function opensslWrap(wrappingPublicKey: Uint8Array, algorithm: Wrapping, material: Uint8Array): Uint8Array {
  const pub = file('wrapping.der');
  writeFileSync(pub, wrappingPublicKey);
  const md = algorithm.endsWith('SHA_256') ? 'sha256' : 'sha1';
  const oaep = (input: string, out: string) =>
    openssl([
      'pkeyutl',
      '-encrypt',
      '-pubin',
      '-keyform',
      'DER',
      '-inkey',
      pub,
      '-pkeyopt',
      'rsa_padding_mode:oaep',
      '-pkeyopt',
      `rsa_oaep_md:${md}`,
      '-pkeyopt',
      `rsa_mgf1_md:${md}`,
      '-in',
      input,
      '-out',
      out,
    ]);
  const plain = file('material.der');
  writeFileSync(plain, material);
  if (algorithm.startsWith('RSAES_OAEP')) {
    const out = file('wrapped.bin');
    oaep(plain, out);
    return new Uint8Array(readFileSync(out));
  }
  const aesKey = randomBytes(32);
  const aesFile = file('aes.bin');
  writeFileSync(aesFile, aesKey);
  const wrappedAes = file('aes-wrapped.bin');
  oaep(aesFile, wrappedAes);
  const wrappedMaterial = file('kwp.bin');
  openssl(['enc', '-id-aes256-wrap-pad', '-K', aesKey.toString('hex'), '-iv', 'A65959A6', '-in', plain, '-out', wrappedMaterial]);
  return new Uint8Array(Buffer.concat([readFileSync(wrappedAes), readFileSync(wrappedMaterial)]));
}
