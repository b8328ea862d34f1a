/**
 * The records half of the storage contract (issue #17 §1): keys, aliases, grants and import
 * tokens, each a record of its own, changed in transactions. What a change is, at record
 * granularity, is worked out here once, so that every store persists exactly what a request
 * changed: a journal entry (FileProvider), rows (PostgreSQL), nothing (MemoryProvider).
 *
 * The Kms reads and changes records through `read(fn)` / `update(fn)` over a `StoreState` view
 * (src/ops/lookup.ts): `fn` is synchronous, so a decision and the change it makes cannot be split
 * by another request. A store that keeps its records elsewhere serves that view from a replica it
 * keeps current (replica.ts), and learns from `trackChanges` which records an update wrote.
 */
import type { AliasRecord, GrantRecord, ImportTokenRecord, KeyRecord, StoreState } from '../keys/record.js';
import { transactWith } from './transact.js';

/** The record collections of a store, by the `StoreState` member that holds each. */
export const COLLECTIONS = ['keys', 'aliases', 'grants', 'importTokens'] as const;
export type Collection = (typeof COLLECTIONS)[number];

/** The record type each collection holds. Ids: key ARN, alias ARN, grant id, import token (hex). */
export interface RecordOf {
  keys: KeyRecord;
  aliases: AliasRecord;
  grants: GrantRecord;
  importTokens: ImportTokenRecord;
}

/** One record written (`value`) or deleted (`value` undefined). */
export type RecordChange = {
  [C in Collection]: { readonly collection: C; readonly id: string; readonly value: RecordOf[C] | undefined };
}[Collection];

/** The records half of a provider: what the Kms reads and changes. */
export interface RecordStore {
  /** Runs `fn` over the current records. The state must be treated as read-only. */
  read<T>(fn: (state: Readonly<StoreState>) => T): Promise<T>;
  /**
   * Runs `fn` as one atomic read-modify-write of the records and returns its value. `fn` is
   * synchronous; if it throws, the update rejects with that error and keeps no change, even
   * one `fn` made before throwing. Once it resolves, every reader of the store (in any process
   * sharing it) sees the change.
   */
  update<T>(fn: (state: StoreState) => T): Promise<T>;
}

const isCollection = (key: PropertyKey): key is Collection => (COLLECTIONS as readonly PropertyKey[]).includes(key);

/** A state with every collection present (stores written before grants or imports lack some). */
export function completeState(state: Partial<StoreState>): StoreState & Required<Pick<StoreState, 'grants' | 'importTokens'>> {
  return { keys: state.keys ?? {}, aliases: state.aliases ?? {}, grants: state.grants ?? {}, importTokens: state.importTokens ?? {} };
}

/** What `trackChanges` leaves: `fn`'s result, the records it changed, and how to take them back. */
export interface TrackedUpdate<T> {
  readonly result: T;
  /**
   * Every record `fn` wrote or deleted, with its value now (the live record: a store serializes
   * it before its first await). In the order first written; a record written twice appears once.
   */
  readonly changes: RecordChange[];
  /** Takes every change back: for a store whose write failed after `fn` succeeded. */
  undo(): void;
}

/**
 * Runs `fn` over `state` all-or-nothing (transact.ts) and reports the records it changed: a write
 * anywhere inside a record (a tag pushed, a state set) changes that record; adding, replacing or
 * deleting `state.keys[arn]` changes that one; replacing a whole collection changes every record
 * that was or is in it. The cost is what `fn` touches, not the size of the store.
 */
export function trackChanges<T>(state: StoreState, fn: (state: StoreState) => T): TrackedUpdate<T> {
  // Which records (or collections) each reached object belongs to: usually one; two when an
  // update put one object into two records.
  type Owner = { readonly collection: Collection; readonly id?: string };
  const owners = new WeakMap<object, Owner[]>();
  const dirty = new Map<string, { collection: Collection; id: string }>();
  const mark = (collection: Collection, id: string): void => {
    const k = `${collection}\u0000${id}`;
    if (!dirty.has(k)) dirty.set(k, { collection, id });
  };
  const own = (child: object, owner: Owner): void => {
    const list = owners.get(child);
    if (list === undefined) owners.set(child, [owner]);
    else if (!list.some((o) => o.collection === owner.collection && o.id === owner.id)) list.push(owner);
  };
  const replaced = new Set<Collection>();
  const { result, undo } = transactWith(state, fn, {
    reached(parent, key, child) {
      if (parent === state) {
        if (isCollection(key)) own(child, { collection: key });
        return;
      }
      for (const above of owners.get(parent) ?? []) {
        own(child, above.id === undefined ? { collection: above.collection, id: String(key) } : above);
      }
    },
    writing(target, key) {
      if (target === state) {
        if (!isCollection(key)) return;
        // A collection replaced or deleted: its records as they were, and (below) as they are.
        for (const id of Object.keys(state[key] ?? {})) mark(key, id);
        replaced.add(key);
        return;
      }
      for (const o of owners.get(target) ?? []) mark(o.collection, o.id ?? String(key));
    },
  });
  for (const collection of replaced) for (const id of Object.keys(state[collection] ?? {})) mark(collection, id);
  const changes = [...dirty.values()].map(
    ({ collection, id }) => ({ collection, id, value: (state[collection] as Record<string, unknown> | undefined)?.[id] }) as RecordChange,
  );
  return { result, changes, undo };
}

/** Applies changes (another process's, or a loaded journal's) to a state in place. */
export function applyChanges(state: StoreState, changes: readonly RecordChange[]): void {
  const complete = state as ReturnType<typeof completeState>;
  for (const c of changes) {
    const records = (complete[c.collection] ??= {}) as Record<string, unknown>;
    if (c.value === undefined) delete records[c.id];
    else records[c.id] = c.value;
  }
}

/** Every record of a state, as changes that build it from empty (a snapshot, a full load). */
export function allRecords(state: StoreState): RecordChange[] {
  const out: RecordChange[] = [];
  const complete = completeState(state);
  for (const collection of COLLECTIONS) {
    for (const [id, value] of Object.entries(complete[collection])) out.push({ collection, id, value } as RecordChange);
  }
  return out;
}
