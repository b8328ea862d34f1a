/**
 * MemoryProvider: material as bytes in this process's memory, records in a plain object. The
 * default provider; nothing persists. Crypto runs on the runtime's native path (node:crypto,
 * else WebCrypto) with @noble as the fallback.
 */
import type { KeySpec } from '../api/enums.js';
import { UnsupportedOperationException } from '../errors.js';
import { aesGcm } from '../crypto/aes-gcm.js';
import { deriveCallKey } from '../crypto/call-key.js';
import { randomBytes } from '../crypto/random.js';
import { newMaterialId } from '../keys/arn.js';
import { emptyState, type StoreState } from '../keys/record.js';
import { transact } from './transact.js';
import type { KeyMaterialProvider, OpenRequest, SealRequest } from './types.js';

/** The specs each software provider can make material for, and how many bytes it is. */
const MATERIAL_BYTES: Partial<Record<KeySpec, number>> = { SYMMETRIC_DEFAULT: 32 };

export class MemoryProvider implements KeyMaterialProvider {
  readonly name = 'memory';
  // Private fields: invisible to JSON.stringify and util.inspect.
  readonly #state: StoreState = emptyState();
  readonly #material = new Map<string, Uint8Array>();

  async read<T>(fn: (state: Readonly<StoreState>) => T): Promise<T> {
    return fn(this.#state);
  }

  // Single-threaded and `fn` is synchronous, so each call is atomic; a throwing `fn` has
  // every change it made undone (see `transact`).
  async update<T>(fn: (state: StoreState) => T): Promise<T> {
    return transact(this.#state, fn);
  }

  supportsKeySpec(spec: KeySpec): boolean {
    // Own keys only: 'toString' or '__proto__' are not specs.
    return Object.hasOwn(MATERIAL_BYTES, spec);
  }

  async createMaterial(spec: KeySpec): Promise<string> {
    const size = this.supportsKeySpec(spec) ? MATERIAL_BYTES[spec] : undefined;
    if (size === undefined) {
      throw new UnsupportedOperationException({ message: `KeySpec ${spec} is not supported by the ${this.name} provider.` });
    }
    const id = newMaterialId();
    this.#material.set(id, randomBytes(size));
    return id;
  }

  async destroyMaterial(materialIds: readonly string[]): Promise<void> {
    for (const id of materialIds) {
      this.#material.get(id)?.fill(0);
      this.#material.delete(id);
    }
  }

  async seal(materialId: string, r: SealRequest): Promise<Uint8Array> {
    const key = await deriveCallKey(this.#get(materialId), r.salt);
    return aesGcm.seal(key, r.nonce, r.plaintext, r.aad);
  }

  async open(materialId: string, r: OpenRequest): Promise<Uint8Array | undefined> {
    const material = this.#material.get(materialId);
    if (material === undefined) return undefined;
    const key = await deriveCallKey(material, r.salt);
    return aesGcm.open(key, r.nonce, r.sealed, r.aad);
  }

  #get(materialId: string): Uint8Array {
    const material = this.#material.get(materialId);
    // A record names material the provider does not have: a broken store, not bad input.
    if (material === undefined) throw new Error(`key material ${materialId} is missing from the ${this.name} provider`);
    return material;
  }
}
