/**
 * All-or-nothing updates for providers that keep their records as live objects in memory
 * (MemoryProvider, WebCryptoProvider; FileProvider works on a structuredClone it then writes).
 *
 * Why an undo log and not a copy-on-write draft library (mutative, immer; issue #12 §8): their
 * recipes must either change the draft or return a new state, and they revoke every draft when the
 * recipe ends (immerjs.github.io/immer/return and /pitfalls, mutative.js.org "Pitfalls"). kmsbox's
 * update callbacks do both: they change the state and return the records they changed
 * (`updateKey` and `{ key, ids }` in src/ops/lookup.ts, `{ stored, related }` in
 * src/ops/multi-region.ts), which callers read after the update; each would have to copy them out
 * first. Copy-on-write also gives every changed record a new identity, where readers of `read()`
 * hold the live objects, and immer assumes no object appears twice in the tree. Undoing in place
 * keeps the state's objects, costs only what `fn` touches, and is proved against a structuredClone
 * baseline by test/providers/transact.property.test.ts.
 */

/**
 * Runs `fn` over `root` through a write-tracking view and undoes, in reverse order, every
 * write, definition and deletion it made on plain objects and arrays reachable from `root` if
 * it throws. The cost is proportional to what `fn` touches, not to the size of the store.
 * Values written into the state are stored unwrapped, so the state never holds a view.
 */
export function transact<S extends object, T>(root: S, fn: (draft: S) => T): T {
  return transactWith(root, fn).result;
}

/** Told of every object `fn` reaches and every write it makes (records.ts maps them to records). */
export interface TransactObserver {
  /** `child` was reached as `parent[key]` (each time: an object may sit in two places). */
  reached?(parent: object, key: PropertyKey, child: object): void;
  /** `target[key]` is about to be written, defined or deleted. */
  writing?(target: object, key: PropertyKey): void;
}

/** What a successful `transactWith` leaves: `fn`'s result, and the way to take its changes back. */
export interface Transaction<T> {
  readonly result: T;
  /** Undoes every change `fn` made, newest first (for a caller whose own follow-up failed). Once. */
  undo(): void;
}

/**
 * `transact` that also tells `observer` what `fn` reaches and writes, and returns an `undo` for
 * changes that must be taken back after `fn` succeeded: a store whose write to disk or database
 * fails (replica.ts).
 */
export function transactWith<S extends object, T>(root: S, fn: (draft: S) => T, observer: TransactObserver = {}): Transaction<T> {
  const undo: Array<() => void> = [];
  const views = new WeakMap<object, object>();
  const targets = new WeakMap<object, object>();
  let live = true;

  const plain = (v: unknown): v is object => {
    if (typeof v !== 'object' || v === null) return false;
    if (Array.isArray(v)) return true;
    const proto: unknown = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null;
  };
  const view = (v: unknown, parent?: object, key?: PropertyKey): unknown => {
    if (!live || !plain(v)) return v;
    if (parent !== undefined) observer.reached?.(parent, key as PropertyKey, v);
    let p = views.get(v);
    if (p === undefined) {
      p = new Proxy(v, handler);
      views.set(v, p);
      targets.set(p, v);
    }
    return p;
  };
  // Replaces views by their targets in a value about to be stored (it may be a new object built from views).
  const unwrap = (v: unknown, seen = new Set<object>()): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    const target = targets.get(v) ?? v;
    if (!plain(target) || seen.has(target)) return target;
    seen.add(target);
    for (const k of Reflect.ownKeys(target)) {
      const d = Reflect.getOwnPropertyDescriptor(target, k);
      if (d === undefined || !('value' in d) || typeof d.value !== 'object' || d.value === null) continue;
      const inner = unwrap(d.value, seen);
      if (inner !== d.value) Reflect.defineProperty(target, k, { ...d, value: inner });
    }
    return target;
  };
  const remember = (t: object, k: PropertyKey): void => {
    if (!live) return;
    const before = Reflect.getOwnPropertyDescriptor(t, k);
    undo.push(() => (before === undefined ? Reflect.deleteProperty(t, k) : Reflect.defineProperty(t, k, before)));
  };
  // A deleted key that comes back goes last; the keys that followed it are moved behind it again, so that
  // listings in insertion order (ListKeys, ListAliases over Object.values) do not change after an undo.
  const rememberOrder = (t: object, k: string | symbol): void => {
    if (!live || !Object.hasOwn(t, k)) return;
    const keys = Reflect.ownKeys(t);
    const following = keys.slice(keys.indexOf(k) + 1);
    undo.push(() => {
      for (const f of following) {
        const d = Reflect.getOwnPropertyDescriptor(t, f);
        if (d !== undefined && Reflect.deleteProperty(t, f)) Reflect.defineProperty(t, f, d);
      }
    });
  };
  // Arrays change as a side effect: an index past the end grows `length`, a shorter `length` drops items.
  const beforeWrite = (t: object, k: PropertyKey, value?: unknown): void => {
    observer.writing?.(t, k);
    if (Array.isArray(t) && k === 'length') {
      const n = Number(value);
      if (Number.isInteger(n)) for (let i = t.length - 1; i >= Math.max(n, 0); i--) remember(t, String(i));
    } else if (Array.isArray(t)) {
      remember(t, 'length');
    }
    remember(t, k);
  };
  const handler: ProxyHandler<object> = {
    get(t, k) {
      const v: unknown = Reflect.get(t, k);
      const d = Reflect.getOwnPropertyDescriptor(t, k);
      // A proxy must report non-configurable, read-only properties as they are.
      return d !== undefined && !d.configurable && !d.writable ? v : view(v, t, k);
    },
    getOwnPropertyDescriptor(t, k) {
      const d = Reflect.getOwnPropertyDescriptor(t, k);
      if (d?.configurable && 'value' in d) d.value = view(d.value, t, k);
      return d;
    },
    set(t, k, v) {
      beforeWrite(t, k, v);
      return Reflect.set(t, k, unwrap(v));
    },
    defineProperty(t, k, d) {
      beforeWrite(t, k, d.value);
      return Reflect.defineProperty(t, k, 'value' in d ? { ...d, value: unwrap(d.value) } : d);
    },
    deleteProperty(t, k) {
      observer.writing?.(t, k);
      if (!Array.isArray(t)) rememberOrder(t, k); // undone after `k` comes back
      remember(t, k);
      return Reflect.deleteProperty(t, k);
    },
    setPrototypeOf: () => false,
  };

  const rollback = (): void => {
    for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
    undo.length = 0;
  };
  try {
    const result = fn(view(root) as S);
    return {
      result: (typeof result === 'object' && result !== null ? (targets.get(result) ?? result) : result) as T,
      undo: rollback,
    };
  } catch (error) {
    rollback();
    throw error;
  } finally {
    live = false;
  }
}
