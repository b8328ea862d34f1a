/**
 * WebCryptoProvider: key material lives only inside non-extractable `CryptoKey` objects and
 * every operation runs through `crypto.subtle`, so script cannot read a key out. Records live in
 * memory, or, in browsers, in IndexedDB when `indexedDbName` is given (CryptoKeys are
 * structured-cloneable, so they persist without ever being exported).
 *
 * Ciphertexts use the same blob format and one-call key derivation as the other providers
 * (HMAC-SHA256 under the material, see crypto/call-key.ts); the one-call AES key is imported
 * non-extractable for that single call.
 */
import type { KeySpec } from '../api/enums.js';
import { UnsupportedOperationException, ValidationException } from '../errors.js';
import { CALL_KEY_LABEL } from '../crypto/call-key.js';
import { concatBytes } from '../crypto/bytes.js';
import { randomBytes } from '../crypto/random.js';
import { newMaterialId } from '../keys/arn.js';
import { emptyState, type StoreState } from '../keys/record.js';
import { transact } from './transact.js';
import type { KeyMaterialProvider, OpenRequest, SealRequest } from './types.js';

export interface WebCryptoProviderOptions {
  /** Persist keys and records in this IndexedDB database (browsers). Default: memory only. */
  indexedDbName?: string;
  /** The SubtleCrypto to use. Default: globalThis.crypto.subtle. */
  subtle?: SubtleCrypto;
}

/**
 * The specs WebCrypto can hold, as HMAC keys: symmetric encryption keys are HMAC-SHA256 keys from
 * which each call's AES-256-GCM key is derived; HMAC keys are themselves. WebCrypto has no
 * SHA-224, so HMAC_224 (like secp256k1 and ML-DSA later) is refused at CreateKey.
 */
const SPECS: Partial<Record<KeySpec, { bytes: number; hash: string }>> = {
  SYMMETRIC_DEFAULT: { bytes: 32, hash: 'SHA-256' },
  HMAC_256: { bytes: 32, hash: 'SHA-256' },
  HMAC_384: { bytes: 48, hash: 'SHA-384' },
  HMAC_512: { bytes: 64, hash: 'SHA-512' },
};
const BLOCK_ONE = new Uint8Array([1]);
const RECORDS = 'records';
const KEYS = 'keys';

export class WebCryptoProvider implements KeyMaterialProvider {
  readonly name = 'webcrypto';
  readonly #subtle: SubtleCrypto;
  readonly #dbName: string | undefined;
  #state: StoreState = emptyState();
  readonly #keys = new Map<string, { spec: KeySpec; key: CryptoKey }>();
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

  supportsKeySpec(spec: KeySpec): boolean {
    return Object.hasOwn(SPECS, spec);
  }

  async createMaterial(spec: KeySpec): Promise<string> {
    const info = this.supportsKeySpec(spec) ? SPECS[spec] : undefined;
    if (info === undefined) {
      throw new UnsupportedOperationException({ message: `KeySpec ${spec} is not supported by the ${this.name} provider.` });
    }
    await this.#load();
    const bytes = randomBytes(info.bytes);
    // Imported non-extractable: from here on the material exists only inside the CryptoKey.
    const key = await this.#subtle.importKey('raw', bytes as BufferSource, { name: 'HMAC', hash: info.hash }, false, ['sign']);
    bytes.fill(0);
    const id = newMaterialId();
    this.#keys.set(id, { spec, key });
    await this.#persist();
    return id;
  }

  async destroyMaterial(materialIds: readonly string[]): Promise<void> {
    await this.#load();
    for (const id of materialIds) this.#keys.delete(id);
    await this.#persist();
  }

  async seal(materialId: string, r: SealRequest): Promise<Uint8Array> {
    const key = await this.#callKey(materialId, r.salt, 'encrypt');
    if (key === undefined) throw new Error(`key material ${materialId} is missing from the ${this.name} provider`);
    const params: AesGcmParams = { name: 'AES-GCM', iv: r.nonce as BufferSource, additionalData: r.aad as BufferSource, tagLength: 128 };
    return new Uint8Array(await this.#subtle.encrypt(params, key, r.plaintext as BufferSource));
  }

  async open(materialId: string, r: OpenRequest): Promise<Uint8Array | undefined> {
    if (r.sealed.length < 16) return undefined;
    const key = await this.#callKey(materialId, r.salt, 'decrypt');
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
    if (material === undefined || material.spec === 'SYMMETRIC_DEFAULT') throw new Error(`no HMAC key ${materialId} in the ${this.name} provider`);
    return new Uint8Array(await this.#subtle.sign('HMAC', material.key, message as BufferSource));
  }

  // Asymmetric keys are not held by this provider yet (supportsKeySpec refuses them at CreateKey).
  async publicKey(): Promise<Uint8Array> {
    throw new UnsupportedOperationException({ message: `The ${this.name} provider holds no asymmetric keys yet.` });
  }

  async sign(): Promise<Uint8Array> {
    throw new UnsupportedOperationException({ message: `The ${this.name} provider holds no asymmetric keys yet.` });
  }

  async asymmetricEncrypt(): Promise<Uint8Array> {
    throw new UnsupportedOperationException({ message: `The ${this.name} provider holds no asymmetric keys yet.` });
  }

  async asymmetricDecrypt(): Promise<Uint8Array | undefined> {
    throw new UnsupportedOperationException({ message: `The ${this.name} provider holds no asymmetric keys yet.` });
  }

  async deriveSharedSecret(): Promise<Uint8Array | undefined> {
    throw new UnsupportedOperationException({ message: `The ${this.name} provider holds no asymmetric keys yet.` });
  }

  async verify(): Promise<boolean> {
    throw new UnsupportedOperationException({ message: `The ${this.name} provider holds no asymmetric keys yet.` });
  }

  /** This call's AES-256-GCM key: HMAC-SHA256(material, label || salt || 1), imported non-extractable. */
  async #callKey(materialId: string, salt: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey | undefined> {
    await this.#load();
    const material = this.#keys.get(materialId);
    if (material === undefined || material.spec !== 'SYMMETRIC_DEFAULT') return undefined;
    const raw = new Uint8Array(await this.#subtle.sign('HMAC', material.key, concatBytes(CALL_KEY_LABEL, salt, BLOCK_ONE) as BufferSource));
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
      const keys = await request<Array<{ id: string; spec: KeySpec; key: CryptoKey }>>(tx.objectStore(KEYS).getAll());
      if (state !== undefined) this.#state = state;
      for (const { id, spec, key } of keys) this.#keys.set(id, { spec, key });
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
      for (const [id, { spec, key }] of this.#keys) keys.put({ id, spec, key });
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
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => {
    open.result.createObjectStore(RECORDS);
    open.result.createObjectStore(KEYS, { keyPath: 'id' });
  };
  return request<IDBDatabase>(open);
}
