/**
 * MemoryProvider: material as bytes in this process's memory, records in a plain object. The
 * default provider; nothing persists. Crypto runs on the runtime's native path (node:crypto,
 * else WebCrypto) with @noble as the fallback.
 */
import type { KeySpec } from '../api/enums.js';
import { newMaterialId } from '../keys/arn.js';
import { emptyState, type StoreState } from '../keys/record.js';
import { deriveWith, macWith, rsaDecryptWith, rsaEncryptWith, newMaterial, openWith, publicKeyWith, sealWith, signWith, supportsSpec, verifyWith, type Material } from './software.js';
import { transact } from './transact.js';
import type { KeyMaterialProvider, OpenRequest, SealRequest, SignRequest } from './types.js';

export class MemoryProvider implements KeyMaterialProvider {
  readonly name = 'memory';
  // Private fields: invisible to JSON.stringify and util.inspect.
  readonly #state: StoreState = emptyState();
  readonly #material = new Map<string, Material>();

  async read<T>(fn: (state: Readonly<StoreState>) => T): Promise<T> {
    return fn(this.#state);
  }

  // Single-threaded and `fn` is synchronous, so each call is atomic; a throwing `fn` has
  // every change it made undone (see `transact`).
  async update<T>(fn: (state: StoreState) => T): Promise<T> {
    return transact(this.#state, fn);
  }

  supportsKeySpec(spec: KeySpec): boolean {
    return supportsSpec(spec);
  }

  async createMaterial(spec: KeySpec): Promise<string> {
    const material = newMaterial(spec, this.name);
    const id = newMaterialId();
    this.#material.set(id, material);
    return id;
  }

  async destroyMaterial(materialIds: readonly string[]): Promise<void> {
    for (const id of materialIds) {
      this.#material.get(id)?.bytes.fill(0);
      this.#material.delete(id);
    }
  }

  async seal(materialId: string, r: SealRequest): Promise<Uint8Array> {
    return sealWith(this.#get(materialId), r);
  }

  async open(materialId: string, r: OpenRequest): Promise<Uint8Array | undefined> {
    const material = this.#material.get(materialId);
    return material === undefined ? undefined : openWith(material, r);
  }

  async mac(materialId: string, message: Uint8Array): Promise<Uint8Array> {
    return macWith(this.#get(materialId), message);
  }

  async publicKey(materialId: string): Promise<Uint8Array> {
    return publicKeyWith(this.#get(materialId));
  }

  async sign(materialId: string, r: SignRequest): Promise<Uint8Array> {
    return signWith(this.#get(materialId), r);
  }

  async asymmetricEncrypt(materialId: string, algorithm: 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256', plaintext: Uint8Array): Promise<Uint8Array> {
    return rsaEncryptWith(this.#get(materialId), algorithm, plaintext);
  }

  async asymmetricDecrypt(materialId: string, algorithm: 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256', ciphertext: Uint8Array): Promise<Uint8Array | undefined> {
    return rsaDecryptWith(this.#get(materialId), algorithm, ciphertext);
  }

  async deriveSharedSecret(materialId: string, peer: Uint8Array): Promise<Uint8Array | undefined> {
    return deriveWith(this.#get(materialId), peer);
  }

  async verify(materialId: string, r: SignRequest & { readonly signature: Uint8Array }): Promise<boolean> {
    return verifyWith(this.#get(materialId), r);
  }

  #get(materialId: string): Material {
    const material = this.#material.get(materialId);
    // A record names material the provider does not have: a broken store, not bad input.
    if (material === undefined) throw new Error(`key material ${materialId} is missing from the ${this.name} provider`);
    return material;
  }
}
