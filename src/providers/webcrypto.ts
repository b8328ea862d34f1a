/**
 * WebCryptoProvider: key material lives only inside non-extractable `CryptoKey` objects and
 * every operation runs through `crypto.subtle`, so script cannot read a key out. Records live in
 * memory, or, in browsers, in IndexedDB when `indexedDbName` is given (CryptoKeys are
 * structured-cloneable, so they persist without ever being exported).
 *
 * Ciphertexts use the same blob format and one-call key derivation as the other providers
 * (crypto/call-key.ts); the one-call AES key is imported non-extractable for that single call. A
 * SYMMETRIC_DEFAULT key is held as blob v2's PRK, an HMAC-SHA256 CryptoKey (generated material is
 * a random PRK: nothing else is ever derived from it), plus, for imported material, the material
 * itself as an HMAC key for v1 blobs made before v2.
 * New symmetric and HMAC material is made by `subtle.generateKey`, so only imported
 * material (BYOK) ever passes through script memory.
 *
 * Asymmetric keys (RSA, ECC_NIST_P256/384/521, Ed25519 where the runtime's WebCrypto has it) are
 * non-extractable CryptoKeys too, with limits WebCrypto sets: see webcrypto-asymmetric.ts. Not held:
 * HMAC_224, ECC_SECG_P256K1 and ML-DSA (WebCrypto has no SHA-224, secp256k1 or ML-DSA; holding
 * their material as bytes would break this provider's promise), nor ML-KEM and SM2.
 */
import type { KeySpec, KeyUsageType } from '../api/enums.js';
import { isImportedKeyPairSpec } from '../api/key-specs.js';
import { UnsupportedOperationException, ValidationException } from '../errors.js';
import { BLOB_V2_EXTRACT_SALT, CALL_KEY_LABEL } from '../crypto/call-key.js';
import { concatBytes } from '../crypto/bytes.js';
import { webBackend } from '../crypto/backend/index.js';
import { lazily } from '../lazy.js';
import { newMaterialId } from '../keys/arn.js';
import { emptyState, type StoreState } from '../keys/record.js';
import { transact } from './transact.js';
import type { KeyMaterialProvider, OpenRequest, SealRequest, SignRequest } from './types.js';
import type { HeldKeyPair } from './webcrypto-asymmetric.js';
import { isAsymmetricSpec } from './webcrypto-variants.js';

export interface WebCryptoProviderOptions {
  /** Persist keys and records in this IndexedDB database (browsers). Default: memory only. */
  indexedDbName?: string;
  /** The SubtleCrypto to use. Default: globalThis.crypto.subtle. */
  subtle?: SubtleCrypto;
}

/**
 * The secret-key specs WebCrypto can hold, as HMAC keys: symmetric encryption keys are HMAC-SHA256
 * keys from which each call's AES-256-GCM key is derived; HMAC keys are themselves. WebCrypto has
 * no SHA-224, so HMAC_224 is refused at CreateKey.
 */
const SPECS: Partial<Record<KeySpec, { bytes: number; hash: string }>> = {
  SYMMETRIC_DEFAULT: { bytes: 32, hash: 'SHA-256' },
  HMAC_256: { bytes: 32, hash: 'SHA-256' },
  HMAC_384: { bytes: 48, hash: 'SHA-384' },
  HMAC_512: { bytes: 64, hash: 'SHA-512' },
};
const BLOCK_ONE = new Uint8Array([1]);
/** RSA-OAEP encryption with a public key in software (bigint RSA), loaded on first use. */
const portableRsa = lazily(() => import('../crypto/backend/portable-rsa.js'));
/** The asymmetric keys' own code, loaded on the first asymmetric key. */
const asymmetric = lazily(() => import('./webcrypto-asymmetric.js'));
const RECORDS = 'records';
const KEYS = 'keys';

/**
 * What the provider holds per material: a secret CryptoKey, or an asymmetric key pair. For
 * SYMMETRIC_DEFAULT, `key` is blob v2's PRK and `v1` the material itself as an HMAC key (v1 blobs;
 * imported material only). A store written before blob v2 held the material itself as `key`: it is
 * migrated to `{ spec, v1 }` when opened (decrypts v1 blobs; encrypting needs the material again).
 */
type Held =
  | { spec: KeySpec; key: CryptoKey; v1?: CryptoKey }
  | { spec: 'SYMMETRIC_DEFAULT'; v1: CryptoKey }
  | ({ spec: KeySpec } & HeldKeyPair);
const DB_VERSION = 2;

export class WebCryptoProvider implements KeyMaterialProvider {
  readonly name = 'webcrypto';
  readonly #subtle: SubtleCrypto;
  readonly #dbName: string | undefined;
  #state: StoreState = emptyState();
  readonly #keys = new Map<string, Held>();
  #ready: Promise<void> | undefined;

  constructor(options: WebCryptoProviderOptions = {}) {
    const subtle = options.subtle ?? globalThis.crypto?.subtle;
    if (subtle === undefined) throw new UnsupportedOperationException({ message: 'This runtime has no WebCrypto (crypto.subtle).' });
    if (options.indexedDbName !== undefined && typeof indexedDB === 'undefined') {
      throw new ValidationException({ message: 'indexedDbName needs a runtime with IndexedDB (a browser).' });
    }
    this.#subtle = subtle;
    this.#dbName = options.indexedDbName;
  }

  async read<T>(fn: (state: Readonly<StoreState>) => T): Promise<T> {
    await this.#load();
    return fn(this.#state);
  }

  async update<T>(fn: (state: StoreState) => T): Promise<T> {
    await this.#load();
    const result = transact(this.#state, fn);
    await this.#persist();
    return result;
  }

  /**
   * Ed25519 is reported as supported; a runtime whose WebCrypto lacks it (older browsers) refuses
   * it at createMaterial with UnsupportedOperationException (only trying tells, asynchronously).
   */
  supportsKeySpec(spec: KeySpec): boolean {
    return Object.hasOwn(SPECS, spec) || isAsymmetricSpec(spec);
  }

  async createMaterial(spec: KeySpec, usage?: KeyUsageType): Promise<string> {
    if (!this.supportsKeySpec(spec)) {
      throw new UnsupportedOperationException({ message: `KeySpec ${spec} is not supported by the ${this.name} provider.` });
    }
    await this.#load();
    const held = Object.hasOwn(SPECS, spec)
      ? { spec, key: await this.#secretKey(SPECS[spec]!) }
      : { spec, ...(await (await asymmetric()).generateKeyPair(this.#subtle, spec, usage)) };
    const id = newMaterialId();
    this.#keys.set(id, held);
    await this.#persist();
    return id;
  }

  async importMaterial(spec: KeySpec, bytes: Uint8Array, materialId: string): Promise<void> {
    if (isImportedKeyPairSpec(spec) && isAsymmetricSpec(spec)) {
      await this.#load();
      this.#keys.set(materialId, { spec, ...(await (await asymmetric()).importKeyPair(this.#subtle, spec, bytes)) });
      await this.#persist();
      return;
    }
    if (!Object.hasOwn(SPECS, spec)) {
      throw new UnsupportedOperationException({ message: `Importing ${spec} key material is not supported by the ${this.name} provider.` });
    }
    await this.#load();
    // Imported non-extractable, as generated material is: the bytes are not kept.
    const copy = bytes.slice();
    let held: Held;
    try {
      const key = await this.#hmacKey(copy, SPECS[spec]!.hash);
      held = spec === 'SYMMETRIC_DEFAULT' ? { spec, key: await this.#blobPrk(copy), v1: key } : { spec, key };
    } finally {
      copy.fill(0);
    }
    this.#keys.set(materialId, held);
    await this.#persist();
  }

  #hmacKey(bytes: Uint8Array, hash: string): Promise<CryptoKey> {
    return this.#subtle.importKey('raw', bytes as BufferSource, { name: 'HMAC', hash }, false, ['sign']);
  }

  /** Blob v2's PRK of `material` (HKDF-Extract, crypto/call-key.ts), as a non-extractable HMAC key. */
  async #blobPrk(material: Uint8Array): Promise<CryptoKey> {
    const extract = await this.#hmacKey(BLOB_V2_EXTRACT_SALT, 'SHA-256');
    const prk = new Uint8Array(await this.#subtle.sign('HMAC', extract, material as BufferSource));
    try {
      return await this.#hmacKey(prk, 'SHA-256');
    } finally {
      prk.fill(0);
    }
  }

  /**
   * New secret material, generated inside WebCrypto and non-extractable, so it never exists in
   * script memory (imported material, above, is the only secret that ever passes through script).
   * The length is given: HMAC generateKey defaults to the hash's block size (64 or 128 bytes),
   * while AWS's specs fix it (SYMMETRIC_DEFAULT and HMAC_256: 32, HMAC_384: 48, HMAC_512: 64).
   */
  #secretKey(info: { bytes: number; hash: string }): Promise<CryptoKey> {
    return this.#subtle.generateKey({ name: 'HMAC', hash: info.hash, length: info.bytes * 8 }, false, ['sign']);
  }

  async destroyMaterial(materialIds: readonly string[]): Promise<void> {
    await this.#load();
    for (const id of materialIds) this.#keys.delete(id);
    await this.#persist();
  }

  async seal(materialId: string, r: SealRequest): Promise<Uint8Array> {
    const key = await this.#callKey(materialId, r.blobVersion, r.salt, 'encrypt');
    if (key === undefined) {
      const held = this.#keys.get(materialId);
      if (held?.spec === 'SYMMETRIC_DEFAULT' && !('key' in held) && !('spki' in held)) {
        throw new UnsupportedOperationException({
          message:
            'This key material was stored before ciphertext blob format v2 and can only decrypt: import the same key material again, or ReEncrypt under another key.',
        });
      }
      throw new Error(`key material ${materialId} is missing from the ${this.name} provider`);
    }
    const params: AesGcmParams = { name: 'AES-GCM', iv: r.nonce as BufferSource, additionalData: r.aad as BufferSource, tagLength: 128 };
    return new Uint8Array(await this.#subtle.encrypt(params, key, r.plaintext as BufferSource));
  }

  async open(materialId: string, r: OpenRequest): Promise<Uint8Array | undefined> {
    if (r.sealed.length < 16) return undefined;
    const key = await this.#callKey(materialId, r.blobVersion, r.salt, 'decrypt');
    if (key === undefined) return undefined;
    const params: AesGcmParams = { name: 'AES-GCM', iv: r.nonce as BufferSource, additionalData: r.aad as BufferSource, tagLength: 128 };
    try {
      return new Uint8Array(await this.#subtle.decrypt(params, key, r.sealed as BufferSource));
    } catch {
      return undefined; // authentication failed: nothing is released
    }
  }

  async mac(materialId: string, message: Uint8Array): Promise<Uint8Array> {
    await this.#load();
    const material = this.#keys.get(materialId);
    if (material === undefined || material.spec === 'SYMMETRIC_DEFAULT' || !('key' in material))
      throw new Error(`no HMAC key ${materialId} in the ${this.name} provider`);
    return new Uint8Array(await this.#subtle.sign('HMAC', material.key, message as BufferSource));
  }

  async publicKey(materialId: string): Promise<Uint8Array> {
    return (await this.#pair(materialId)).spki.slice(); // a copy: callers own what they get
  }

  async sign(materialId: string, request: SignRequest): Promise<Uint8Array> {
    const pair = await this.#pair(materialId);
    return (await asymmetric()).signWith(this.#subtle, pair, request);
  }

  /** Public-key work: software over the SPKI (crypto/backend/portable-asymmetric.ts), for every message type. */
  async verify(materialId: string, r: SignRequest & { readonly signature: Uint8Array }): Promise<boolean> {
    if (r.messageType === 'EXTERNAL_MU') return false;
    const { spki } = await this.#pair(materialId);
    return (await webBackend.asymmetric()).verify(spki, r.algorithm, r.message, r.messageType, r.signature);
  }

  async asymmetricEncrypt(
    materialId: string,
    algorithm: 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256',
    plaintext: Uint8Array,
  ): Promise<Uint8Array> {
    const { spki } = await this.#pair(materialId);
    return (await portableRsa()).rsaOaepEncrypt(spki, algorithm, plaintext);
  }

  async asymmetricDecrypt(
    materialId: string,
    algorithm: 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256',
    ciphertext: Uint8Array,
  ): Promise<Uint8Array | undefined> {
    const pair = await this.#pair(materialId);
    return (await asymmetric()).decryptWith(this.#subtle, pair, algorithm, ciphertext);
  }

  async deriveSharedSecret(materialId: string, peerPublicKey: Uint8Array): Promise<Uint8Array | undefined> {
    const pair = await this.#pair(materialId);
    return (await asymmetric()).deriveWith(this.#subtle, pair, peerPublicKey);
  }

  async #pair(materialId: string): Promise<HeldKeyPair> {
    await this.#load();
    const material = this.#keys.get(materialId);
    if (material === undefined || !('spki' in material)) throw new Error(`no key pair ${materialId} in the ${this.name} provider`);
    return material;
  }

  /**
   * This call's AES-256-GCM key, imported non-extractable (crypto/call-key.ts): v2 HMAC-SHA256(PRK,
   * salt || 1), v1 HMAC-SHA256(material, label || salt || 1). `undefined` when this material cannot.
   */
  async #callKey(materialId: string, blobVersion: 1 | 2, salt: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey | undefined> {
    await this.#load();
    const material = this.#keys.get(materialId);
    if (material === undefined || material.spec !== 'SYMMETRIC_DEFAULT' || 'spki' in material) return undefined;
    const hmacKey = blobVersion === 2 ? ('key' in material ? material.key : undefined) : material.v1;
    if (hmacKey === undefined) return undefined;
    const message = blobVersion === 2 ? concatBytes(salt, BLOCK_ONE) : concatBytes(CALL_KEY_LABEL, salt, BLOCK_ONE);
    const raw = new Uint8Array(await this.#subtle.sign('HMAC', hmacKey, message as BufferSource));
    try {
      return await this.#subtle.importKey('raw', raw as BufferSource, 'AES-GCM', false, [usage]);
    } finally {
      raw.fill(0);
    }
  }

  // --- IndexedDB persistence (browsers, opt-in) -------------------------------------------

  #load(): Promise<void> {
    this.#ready ??= this.#dbName === undefined ? Promise.resolve() : this.#readDb();
    return this.#ready;
  }

  async #readDb(): Promise<void> {
    const db = await openDb(this.#dbName!);
    try {
      const tx = db.transaction([RECORDS, KEYS], 'readonly');
      const state = await request<StoreState | undefined>(tx.objectStore(RECORDS).get('state'));
      const keys = await request<Array<{ id: string } & Held>>(tx.objectStore(KEYS).getAll());
      if (state !== undefined) this.#state = state;
      for (const { id, ...held } of keys) this.#keys.set(id, held);
    } finally {
      db.close();
    }
  }

  async #persist(): Promise<void> {
    if (this.#dbName === undefined) return;
    const db = await openDb(this.#dbName);
    try {
      const tx = db.transaction([RECORDS, KEYS], 'readwrite');
      tx.objectStore(RECORDS).put(structuredClone(this.#state), 'state');
      const keys = tx.objectStore(KEYS);
      keys.clear();
      for (const [id, held] of this.#keys) keys.put({ id, ...held });
      await new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  }
}

function request<T>(r: IDBRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result as T);
    r.onerror = () => reject(r.error);
  });
}

function openDb(name: string): Promise<IDBDatabase> {
  const open = indexedDB.open(name, DB_VERSION);
  open.onupgradeneeded = (event) => {
    if (event.oldVersion < 1) {
      open.result.createObjectStore(RECORDS);
      open.result.createObjectStore(KEYS, { keyPath: 'id' });
      return;
    }
    // Version 1 (before blob v2) held SYMMETRIC_DEFAULT material itself as `key`: it is v1's key.
    if (event.oldVersion === 1) {
      open.transaction!.objectStore(KEYS).openCursor().onsuccess = (e) => {
        const cursor = (e.target as IDBRequest<IDBCursorWithValue | null>).result;
        if (cursor === null) return;
        const held = cursor.value as { id: string; spec: KeySpec; key?: CryptoKey };
        if (held.spec === 'SYMMETRIC_DEFAULT' && held.key !== undefined) cursor.update({ id: held.id, spec: held.spec, v1: held.key });
        cursor.continue();
      };
    }
  };
  return request<IDBDatabase>(open);
}
