/**
 * Key material as bytes (MemoryProvider, FileProvider): which specs it can be, how it is made,
 * and the keyed operations on it.
 */
import type { KeySpec } from '../api/enums.js';
import { HMAC_SPECS, isHmacSpec, isImportedKeyPairSpec } from '../api/key-specs.js';
import { UnsupportedOperationException } from '../errors.js';
import { backend } from '../crypto/backend/index.js';
import { deriveCallKey, expandCallKey, extractPrk } from '../crypto/call-key.js';
import { isMlDsa, ML_DSA_SEED_BYTES } from '../crypto/ml-dsa-spec.js';
import { randomBytes } from '../crypto/random.js';
import {
  asymmetricNow,
  canGenerate,
  deriveSharedSecret,
  generatePrivateKey,
  publicKeyOf,
  rsaDecrypt,
  rsaEncrypt,
  sign,
  verify,
  withAsymmetric,
} from '../crypto/asymmetric.js';
import { lazily } from '../lazy.js';
import type { OpenRequest, SealRequest, SignRequest } from './types.js';

/** ML-DSA (@noble/post-quantum, SHA-3), loaded on the first ML-DSA call. */
const mlDsa = lazily(() => import('../crypto/ml-dsa.js'));

export interface Material {
  readonly spec: KeySpec;
  readonly bytes: Uint8Array;
}

/** The specs software providers hold, and their material length in bytes. */
const MATERIAL_BYTES: Partial<Record<KeySpec, number>> = {
  SYMMETRIC_DEFAULT: 32,
  ...Object.fromEntries(Object.entries(HMAC_SPECS).map(([spec, s]) => [spec, s.bytes])),
};

export function supportsSpec(spec: KeySpec): boolean {
  return Object.hasOwn(MATERIAL_BYTES, spec) || canGenerate(spec) || isMlDsa(spec);
}

/** New material: random bytes for symmetric and HMAC keys, a PKCS#8 private key for asymmetric ones. */
export async function newMaterial(spec: KeySpec, provider: string): Promise<Material> {
  if (isMlDsa(spec)) return { spec, bytes: randomBytes(ML_DSA_SEED_BYTES) }; // the key-generation seed
  if (canGenerate(spec)) return { spec, bytes: await generatePrivateKey(spec) };
  const size = Object.hasOwn(MATERIAL_BYTES, spec) ? MATERIAL_BYTES[spec] : undefined;
  if (size === undefined)
    throw new UnsupportedOperationException({ message: `KeySpec ${spec} is not supported by the ${provider} provider.` });
  return { spec, bytes: randomBytes(size) };
}

/** Given material (ImportKeyMaterial): symmetric and HMAC bytes, or an RSA or ECC key pair's PKCS#8 (checked by ops/imported-key-pair.ts). */
export function importedMaterial(spec: KeySpec, bytes: Uint8Array, provider: string): Material {
  if (spec !== 'SYMMETRIC_DEFAULT' && !isHmacSpec(spec) && !isImportedKeyPairSpec(spec)) {
    throw new UnsupportedOperationException({ message: `Importing ${spec} key material is not supported by the ${provider} provider.` });
  }
  return { spec, bytes: bytes.slice() };
}

export async function publicKeyWith(m: Material): Promise<Uint8Array> {
  if (isMlDsa(m.spec)) return (await mlDsa()).mlDsaPublicKey(m.spec, m.bytes);
  return (await publicKeyOf(m.bytes)).slice(); // a copy: callers own what they get
}

export async function signWith(m: Material, r: SignRequest): Promise<Uint8Array> {
  if (isMlDsa(m.spec))
    return (await mlDsa()).mlDsaSign(m.spec, m.bytes, r.message, r.messageType === 'EXTERNAL_MU' ? 'EXTERNAL_MU' : 'RAW');
  return sign(m.bytes, r.algorithm, r.message, r.messageType === 'DIGEST' ? 'DIGEST' : 'RAW');
}

export async function rsaEncryptWith(
  m: Material,
  algorithm: 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256',
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  return rsaEncrypt(m.bytes, algorithm, plaintext);
}

export async function rsaDecryptWith(
  m: Material,
  algorithm: 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256',
  ciphertext: Uint8Array,
): Promise<Uint8Array | undefined> {
  return rsaDecrypt(m.bytes, algorithm, ciphertext);
}

export async function deriveWith(m: Material, peer: Uint8Array): Promise<Uint8Array | undefined> {
  return deriveSharedSecret(m.bytes, peer);
}

export async function verifyWith(m: Material, r: SignRequest & { readonly signature: Uint8Array }): Promise<boolean> {
  if (isMlDsa(m.spec)) {
    const { mlDsaPublicKey, mlDsaVerify } = await mlDsa();
    return mlDsaVerify(
      m.spec,
      mlDsaPublicKey(m.spec, m.bytes),
      r.message,
      r.messageType === 'EXTERNAL_MU' ? 'EXTERNAL_MU' : 'RAW',
      r.signature,
    );
  }
  return verify(await publicKeyOf(m.bytes), r.algorithm, r.message, r.messageType === 'DIGEST' ? 'DIGEST' : 'RAW', r.signature);
}

/**
 * Blob v2's PRK per material object (crypto/call-key.ts), so a call costs one HMAC as in v1. Weak:
 * it goes when the provider drops the material (destroyed, or a FileProvider reload).
 */
const prks = new WeakMap<Material, Uint8Array>();

/** Wipes what was derived from `m` (with its bytes, when a provider destroys material). */
export function forgetDerived(m: Material): void {
  prks.get(m)?.fill(0);
  prks.delete(m);
}

/** The one-call AES key of a blob of format `blobVersion` (crypto/call-key.ts). */
function callKey(m: Material, blobVersion: 1 | 2, salt: Uint8Array): Uint8Array {
  if (m.spec !== 'SYMMETRIC_DEFAULT') throw new Error(`material of spec ${m.spec} is not a symmetric encryption key`);
  if (blobVersion === 1) return deriveCallKey(m.bytes, salt);
  let prk = prks.get(m);
  if (prk === undefined) prks.set(m, (prk = extractPrk(m.bytes)));
  return expandCallKey(prk, salt);
}

const NO_PREFIX = new Uint8Array(0);
const TAG_BYTES = 16;

/** `prefix ‖ pieces…` in one new buffer; one piece and no prefix is returned as it is (a view of it). */
function joinAfter(prefix: Uint8Array, pieces: readonly Uint8Array[]): Uint8Array {
  if (prefix.length === 0 && pieces.length === 1) {
    const only = pieces[0]!;
    return new Uint8Array(only.buffer, only.byteOffset, only.length);
  }
  let size = prefix.length;
  for (const p of pieces) size += p.length;
  const out = new Uint8Array(size);
  out.set(prefix, 0);
  let at = prefix.length;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Method pairs that do exactly what the same provider's direct calls do: `seal`/`open` what
 * `sealBlob`/`openNow` do (with no prefix), `sign`/`verify` what `signNow`/`verifyNow` do. This
 * class's own, and a subclass's that registers its pair (PostgresProvider's `seal`/`open` load
 * material first, and so do its `sealBlob`/`openNow`; its `sign`/`verify` are not registered).
 */
const directPairs = new Map<unknown, unknown>();

/** For a subclass whose `seal`/`open` and `sealBlob`/`openNow` are overridden alike (see directPairs). */
export function registerDirectSymmetric(seal: unknown, open: unknown): void {
  directPairs.set(seal, open);
}

/**
 * Whether `provider` is a software provider whose methods `a` and `b` are a registered pair: not
 * overridden by a subclass that did not register them, not wrapped (a Proxy hands out bound copies).
 */
function hasDirectPair(provider: object, a: 'seal' | 'sign', b: 'open' | 'verify'): provider is SoftwareMaterialProvider {
  return provider instanceof SoftwareMaterialProvider && directPairs.has(provider[a]) && directPairs.get(provider[a]) === provider[b];
}

/** The provider, when its `sealBlob`/`openNow` may stand for its `seal`/`open`; otherwise undefined, and the Kms calls `seal`/`open`. */
export function directSymmetric(provider: object): SoftwareMaterialProvider | undefined {
  return hasDirectPair(provider, 'seal', 'open') ? provider : undefined;
}

/** The provider, when its `signNow`/`verifyNow` may stand for its `sign`/`verify`; otherwise undefined, and the Kms calls `sign`/`verify`. */
export function directSigner(provider: object): SoftwareMaterialProvider | undefined {
  return hasDirectPair(provider, 'sign', 'verify') ? provider : undefined;
}

/**
 * The keyed operations of a provider that holds material as bytes (MemoryProvider, FileProvider):
 * one implementation, so both compute exactly the same thing. A subclass says where material lives.
 */
export abstract class SoftwareMaterialProvider {
  abstract readonly name: string;

  /** The material, or `undefined` when this provider does not hold it. */
  protected abstract findMaterial(id: string): Material | undefined;

  /** The material a record names; its absence means a broken store, not bad input. */
  protected material(id: string): Material {
    const m = this.findMaterial(id);
    if (m === undefined) throw new Error(`key material ${id} is missing from the ${this.name} provider`);
    return m;
  }

  supportsKeySpec(spec: KeySpec): boolean {
    return supportsSpec(spec);
  }

  async seal(id: string, r: SealRequest): Promise<Uint8Array> {
    return this.sealBlob(id, r, NO_PREFIX);
  }

  async open(id: string, r: OpenRequest): Promise<Uint8Array | undefined> {
    return this.openNow(id, r);
  }

  /**
   * `seal`, written after `prefix` into one new buffer (`prefix ‖ ciphertext ‖ tag`), and without a
   * promise when the backend is synchronous (node:crypto). The Kms passes the blob header as the
   * prefix (ops/encryption.ts): the blob is then the only copy of the data, where joining the
   * ciphertext and tag and then the header to them copied it twice. The per-call key is wiped once used.
   */
  sealBlob(id: string, r: SealRequest, prefix: Uint8Array): Uint8Array | Promise<Uint8Array> {
    const key = callKey(this.material(id), r.blobVersion, r.salt);
    let pieces: Uint8Array[] | Promise<Uint8Array[]>;
    try {
      pieces = backend.aesGcm(key).sealPieces(r.nonce, r.aad, [r.plaintext]);
    } finally {
      if (!(pieces! instanceof Promise)) key.fill(0);
    }
    if (!(pieces instanceof Promise)) return joinAfter(prefix, pieces);
    return pieces.then((p) => joinAfter(prefix, p)).finally(() => key.fill(0));
  }

  /** `open`, without a promise when the backend is synchronous (node:crypto). */
  openNow(id: string, r: OpenRequest): Uint8Array | undefined | Promise<Uint8Array | undefined> {
    const m = this.findMaterial(id);
    if (m === undefined || m.spec !== 'SYMMETRIC_DEFAULT' || r.sealed.length < TAG_BYTES) return undefined;
    const key = callKey(m, r.blobVersion, r.salt);
    const at = r.sealed.length - TAG_BYTES;
    let pieces: Uint8Array[] | undefined | Promise<Uint8Array[] | undefined>;
    try {
      pieces = backend.aesGcm(key).openPieces(r.nonce, r.aad, [r.sealed.subarray(0, at)], r.sealed.subarray(at));
    } finally {
      if (!(pieces! instanceof Promise)) key.fill(0);
    }
    if (!(pieces instanceof Promise)) return pieces && joinAfter(NO_PREFIX, pieces);
    return pieces.then((p) => p && joinAfter(NO_PREFIX, p)).finally(() => key.fill(0));
  }

  async mac(id: string, message: Uint8Array): Promise<Uint8Array> {
    const m = this.material(id);
    if (!isHmacSpec(m.spec)) throw new Error(`material of spec ${m.spec} is not an HMAC key`);
    return backend.hmac(HMAC_SPECS[m.spec].hash, m.bytes, message);
  }

  async publicKey(id: string): Promise<Uint8Array> {
    const m = this.material(id);
    if (isMlDsa(m.spec)) return (await mlDsa()).mlDsaPublicKey(m.spec, m.bytes);
    return (await publicKeyOf(m.bytes)).slice(); // a copy: callers own what they get
  }

  /** `material(id)`, or its error as a rejected promise (for the promise-returning methods below). */
  private materialOrRejection(id: string): Material | Promise<never> {
    try {
      return this.material(id);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // Sign and Verify: no `async` around the backend's promise (an async function returning a promise
  // costs two more turns of the microtask queue before the caller resumes).
  sign(id: string, r: SignRequest): Promise<Uint8Array> {
    const m = this.materialOrRejection(id);
    if (m instanceof Promise) return m;
    const spec = m.spec;
    if (isMlDsa(spec))
      return mlDsa().then((d) => d.mlDsaSign(spec, m.bytes, r.message, r.messageType === 'EXTERNAL_MU' ? 'EXTERNAL_MU' : 'RAW'));
    return sign(m.bytes, r.algorithm, r.message, r.messageType === 'DIGEST' ? 'DIGEST' : 'RAW');
  }

  verify(id: string, r: SignRequest & { readonly signature: Uint8Array }): Promise<boolean> {
    const m = this.materialOrRejection(id);
    if (m instanceof Promise) return m;
    const spec = m.spec;
    if (isMlDsa(spec)) {
      return mlDsa().then(({ mlDsaPublicKey, mlDsaVerify }) =>
        mlDsaVerify(spec, mlDsaPublicKey(spec, m.bytes), r.message, r.messageType === 'EXTERNAL_MU' ? 'EXTERNAL_MU' : 'RAW', r.signature),
      );
    }
    return withAsymmetric((a) =>
      a.verify(a.publicKeyOf(m.bytes), r.algorithm, r.message, r.messageType === 'DIGEST' ? 'DIGEST' : 'RAW', r.signature),
    );
  }

  /**
   * `sign`, answered at once when it can be: the backend signs synchronously (node:crypto) and is
   * loaded, and the key is not ML-DSA. Otherwise `undefined`, and the caller calls `sign`. The same
   * computation as `sign` (a throw here is the rejection there).
   */
  signNow(id: string, r: SignRequest): Uint8Array | undefined {
    const a = asymmetricNow();
    if (a?.signNow === undefined) return undefined;
    const m = this.material(id);
    if (isMlDsa(m.spec)) return undefined;
    return a.signNow(m.bytes, r.algorithm, r.message, r.messageType === 'DIGEST' ? 'DIGEST' : 'RAW');
  }

  /** `verify`, answered at once when it can be (as `signNow`); otherwise `undefined`. */
  verifyNow(id: string, r: SignRequest & { readonly signature: Uint8Array }): boolean | undefined {
    const a = asymmetricNow();
    if (a?.verifyNow === undefined) return undefined;
    const m = this.material(id);
    if (isMlDsa(m.spec)) return undefined;
    return a.verifyNow(a.publicKeyOf(m.bytes), r.algorithm, r.message, r.messageType === 'DIGEST' ? 'DIGEST' : 'RAW', r.signature);
  }

  async asymmetricEncrypt(id: string, algorithm: 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256', plaintext: Uint8Array): Promise<Uint8Array> {
    return rsaEncrypt(this.material(id).bytes, algorithm, plaintext);
  }

  async asymmetricDecrypt(
    id: string,
    algorithm: 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256',
    ciphertext: Uint8Array,
  ): Promise<Uint8Array | undefined> {
    return rsaDecrypt(this.material(id).bytes, algorithm, ciphertext);
  }

  async deriveSharedSecret(id: string, peer: Uint8Array): Promise<Uint8Array | undefined> {
    return deriveSharedSecret(this.material(id).bytes, peer);
  }
}

registerDirectSymmetric(SoftwareMaterialProvider.prototype.seal, SoftwareMaterialProvider.prototype.open);
directPairs.set(SoftwareMaterialProvider.prototype.sign, SoftwareMaterialProvider.prototype.verify);
