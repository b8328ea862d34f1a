/**
 * The asymmetric half of this runtime's crypto backend (backend/index.ts), under the names the
 * software providers and GenerateDataKeyPair call. On Node it is node:crypto; elsewhere @noble/curves,
 * WebCrypto and bigint RSA for DIGEST verification only (RSA DIGEST signing is refused there:
 * UnsupportedOperationException, bigint RSA is not constant-time). The code behind it is loaded on
 * the first call (CryptoBackend.asymmetric), so every call here is async except `canGenerate`.
 */
import type { KeySpec } from '../api/enums.js';
import { backend } from './backend/index.js';
import type { AsymmetricBackend } from './backend/types.js';

/** Which backend this runtime uses. */
export const asymmetricBackend: 'node' | 'portable' = backend.name;

/**
 * The key pairs the backend makes, answered without loading it: what both backends' own
 * `canGenerate` say (test/crypto/lazy-asymmetric.test.ts compares them for every KeySpec). The
 * portable backend makes RSA keys only where WebCrypto is (portable-rsa.ts `generateRsa`).
 */
const EC_AND_ED25519: ReadonlySet<KeySpec> = new Set([
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'ECC_NIST_EDWARDS25519',
]);
const RSA: ReadonlySet<KeySpec> = new Set(['RSA_2048', 'RSA_3072', 'RSA_4096']);

export function canGenerate(spec: KeySpec): boolean {
  if (EC_AND_ED25519.has(spec)) return true;
  return RSA.has(spec) && (backend.name === 'node' || globalThis.crypto?.subtle !== undefined);
}

type Async<F> = F extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;

/** The backend once loaded: later calls go straight to it, without waiting on the load again (issue #16). */
let loaded: AsymmetricBackend | undefined;

/** The backend if it is loaded already, else `undefined` (then `withAsymmetric` loads it). */
export function asymmetricNow(): AsymmetricBackend | undefined {
  return loaded;
}

/** `f` of the backend, once it is loaded; always a promise (a throw rejects it). */
export function withAsymmetric<T>(f: (asymmetric: AsymmetricBackend) => T | Promise<T>): Promise<T> {
  if (loaded === undefined) return backend.asymmetric().then((asymmetric) => f((loaded = asymmetric)));
  try {
    return Promise.resolve(f(loaded));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** A method of the loaded backend, called once it is loaded; always answers with a promise (a throw rejects it). */
function call<K extends Exclude<keyof AsymmetricBackend, 'canGenerate'>>(name: K): Async<AsymmetricBackend[K]> {
  return ((...args: unknown[]) => {
    if (loaded === undefined)
      return backend.asymmetric().then((asymmetric) => ((loaded = asymmetric)[name] as (...a: unknown[]) => unknown)(...args));
    try {
      return Promise.resolve((loaded[name] as (...a: unknown[]) => unknown)(...args));
    } catch (error) {
      return Promise.reject(error);
    }
  }) as Async<AsymmetricBackend[K]>;
}

export const generatePrivateKey = call('generatePrivateKey');
/** The SPKI DER public key of a PKCS#8 private key (the same buffer each time for one key: copy before handing it out). */
export const publicKeyOf = call('publicKeyOf');
export const sign = call('sign');
export const verify = call('verify');
export const rsaEncrypt = call('rsaEncrypt');
export const rsaDecrypt = call('rsaDecrypt');
export const deriveSharedSecret = call('deriveSharedSecret');
