/**
 * Which asymmetric key specs WebCryptoProvider holds, and as which WebCrypto algorithms: the part
 * of webcrypto-asymmetric.ts that CreateKey asks before any key exists. The rest of that module is
 * loaded on the first asymmetric key (src/lazy.ts).
 */
import type { KeySpec, KeyUsageType } from '../api/enums.js';
import type { CurveName } from '../crypto/key-der.js';

/** One CryptoKey of a key: what it is imported as, and for which private-key operation. */
export interface Variant {
  readonly name: string;
  readonly algorithm: Algorithm & Record<string, unknown>;
  readonly usage: KeyUsageType;
  readonly uses: KeyUsage[];
}

export const WEB_HASH = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' } as const;
const EC: Partial<Record<KeySpec, Exclude<CurveName, 'secp256k1'>>> = {
  ECC_NIST_P256: 'P-256',
  ECC_NIST_P384: 'P-384',
  ECC_NIST_P521: 'P-521',
};
export const RSA: Partial<Record<KeySpec, number>> = { RSA_2048: 2048, RSA_3072: 3072, RSA_4096: 4096 };

export function variants(spec: KeySpec): Variant[] {
  const curve = Object.hasOwn(EC, spec) ? EC[spec] : undefined;
  if (curve !== undefined) {
    return [
      { name: 'ECDSA', algorithm: { name: 'ECDSA', namedCurve: curve }, usage: 'SIGN_VERIFY', uses: ['sign'] },
      { name: 'ECDH', algorithm: { name: 'ECDH', namedCurve: curve }, usage: 'KEY_AGREEMENT', uses: ['deriveBits'] },
    ];
  }
  if (spec === 'ECC_NIST_EDWARDS25519') return [{ name: 'Ed25519', algorithm: { name: 'Ed25519' }, usage: 'SIGN_VERIFY', uses: ['sign'] }];
  if (Object.hasOwn(RSA, spec)) {
    const out: Variant[] = [];
    for (const hash of Object.values(WEB_HASH)) {
      out.push({ name: `RSA-PSS/${hash}`, algorithm: { name: 'RSA-PSS', hash }, usage: 'SIGN_VERIFY', uses: ['sign'] });
      out.push({ name: `RSASSA-PKCS1-v1_5/${hash}`, algorithm: { name: 'RSASSA-PKCS1-v1_5', hash }, usage: 'SIGN_VERIFY', uses: ['sign'] });
    }
    for (const hash of ['SHA-1', 'SHA-256'])
      out.push({ name: `RSA-OAEP/${hash}`, algorithm: { name: 'RSA-OAEP', hash }, usage: 'ENCRYPT_DECRYPT', uses: ['decrypt'] });
    return out;
  }
  return [];
}

export function isAsymmetricSpec(spec: KeySpec): boolean {
  return variants(spec).length > 0;
}
