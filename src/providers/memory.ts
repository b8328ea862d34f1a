/**
 * MemoryProvider: material as bytes in this process's memory, records in a plain object. The
 * default provider; nothing persists. Crypto runs on the runtime's native path (node:crypto,
 * else WebCrypto) with @noble as the fallback.
 */
import type { KeySpec } from '../api/enums.js';
import { newMaterialId } from '../keys/arn.js';
import { emptyState, type StoreState } from '../keys/record.js';
import { serveRecordsNow } from './records-now.js';
import { forgetDerived, importedMaterial, newMaterial, SoftwareMaterialProvider, type Material } from './software.js';
import { transact } from './transact.js';
import type { KeyMaterialProvider } from './types.js';

export class MemoryProvider extends SoftwareMaterialProvider implements KeyMaterialProvider {
  readonly name = 'memory';
  // Private fields: invisible to JSON.stringify and util.inspect.
  readonly #state: StoreState = emptyState();

  constructor() {
    super();
    const state = this.#state;
    serveRecordsNow(this, MemoryProvider.prototype.read, () => state);
  }
  readonly #material = new Map<string, Material>();

  async read<T>(fn: (state: Readonly<StoreState>) => T): Promise<T> {
    return fn(this.#state);
  }

  // Single-threaded and `fn` is synchronous, so each call is atomic; a throwing `fn` has
  // every change it made undone (see `transact`).
  async update<T>(fn: (state: StoreState) => T): Promise<T> {
    return transact(this.#state, fn);
  }

  async createMaterial(spec: KeySpec): Promise<string> {
    const material = await newMaterial(spec, this.name);
    const id = newMaterialId();
    this.#material.set(id, material);
    return id;
  }

  async importMaterial(spec: KeySpec, bytes: Uint8Array, materialId: string): Promise<void> {
    const material = importedMaterial(spec, bytes, this.name);
    this.#wipe(materialId);
    this.#material.set(materialId, material);
  }

  async destroyMaterial(materialIds: readonly string[]): Promise<void> {
    for (const id of materialIds) {
      this.#wipe(id);
      this.#material.delete(id);
    }
  }

  #wipe(id: string): void {
    const m = this.#material.get(id);
    if (m === undefined) return;
    m.bytes.fill(0);
    forgetDerived(m);
  }

  protected findMaterial(id: string): Material | undefined {
    return this.#material.get(id);
  }
}
