/**
 * A `RecordStore` for records kept somewhere else — a journal file, a database — served from an
 * in-process replica that is brought up to date before every read (or once per API request, given
 * the request's scope) and inside every write. A
 * store implements `RecordBackend` (changes in, changes out) and gets the Kms's synchronous
 * `read(fn)` / `update(fn)` from here, with writes that cost what they change (records.ts).
 *
 * Freshness: a read sees every commit that completed, in any process, before the read (or its
 * request) began, because it waits for a pull that started after that (concurrent reads share
 * one). A write makes its decision on records brought up to date inside the commit, which the
 * backend stores only if no other commit came in between (else it decides again), so two
 * processes' writes are serialized and neither is lost.
 */
import { emptyState, type StoreState } from '../keys/record.js';
import { applyChanges, type RecordChange, type RecordStore, trackChanges } from './records.js';

/** What a backend returns for "what changed after version N". */
export interface Pulled {
  /** The store's version these changes bring a replica to (it only grows). */
  readonly version: number;
  /** true: `changes` are every record of the store (start from empty); false: the changes after `since`. */
  readonly full: boolean;
  readonly changes: readonly RecordChange[];
}

/** Where a store keeps its records: the part a journal file or a database implements. */
export interface RecordBackend {
  /**
   * What changed after version `since`, or every record (`full`) when `since` is undefined or the
   * backend no longer has that delta. Reflects every commit that completed before the call.
   */
  pull(since: number | undefined): Promise<Pulled>;
  /**
   * One atomic write. Calls `apply` with what changed after `since` (as `pull` would) and persists
   * the changes `apply` returns as the next version, provided no commit of any process came in
   * between; resolves with the store's version once they are durable and every `pull` sees them
   * (none returned: nothing is written). Either hold the store's write lock from the pull to the
   * write (a lock file), or commit optimistically: write only if the store is still at
   * `pulled.version`, else pull what came after it and call `apply` again (it takes back its
   * previous changes first) — which is what a database does in one statement, with no
   * transaction held open across a round trip. If `apply` throws or persisting fails, nothing is
   * written and it rejects with that error. Serialize `apply`'s changes before the first await:
   * they are live records.
   */
  commit(since: number | undefined, apply: (pulled: Pulled) => readonly RecordChange[]): Promise<number>;
}

/** One API request's catch-up, shared by its reads. */
export interface RequestScope {
  caughtUp?: Promise<void>;
}

export class ReplicatedRecords implements RecordStore {
  readonly #backend: RecordBackend;
  #state: StoreState = emptyState();
  #version: number | undefined;
  /** This process's writes, one at a time (the backend serializes processes). */
  #writes: Promise<unknown> = Promise.resolve();
  /** The write whose changes are in the replica but not yet durable: reads wait for it. */
  #writing: Promise<unknown> | undefined;
  #pulling: Promise<void> | undefined;
  #nextPull: Promise<void> | undefined;

  constructor(backend: RecordBackend) {
    this.#backend = backend;
  }

  /** The version the replica is at (undefined before the first pull). */
  get version(): number | undefined {
    return this.#version;
  }

  /**
   * `request`: the scope of one API request (provider.ts keeps it in an AsyncLocalStorage): its
   * first read catches up, later reads of the same request share that catch-up. Without one,
   * every read catches up.
   */
  async read<T>(fn: (state: Readonly<StoreState>) => T, request?: RequestScope): Promise<T> {
    if (request === undefined) await this.#catchUp();
    else {
      request.caughtUp ??= this.#catchUp();
      await request.caughtUp;
    }
    // Never show a write that may still fail.
    while (this.#writing !== undefined) await this.#writing.catch(() => undefined);
    return fn(this.#state);
  }

  update<T>(fn: (state: StoreState) => T): Promise<T> {
    const run = async (): Promise<T> => {
      let tracked: ReturnType<typeof trackChanges<T>> | undefined;
      const commit = this.#backend.commit(this.#version, (pulled) => {
        tracked?.undo(); // an optimistic backend's retry: the attempt before lost the race
        tracked = undefined;
        this.#take(pulled);
        tracked = trackChanges(this.#state, fn); // a throw undoes fn's changes and rejects the commit
        return tracked.changes;
      });
      this.#writing = commit;
      try {
        const version = await commit;
        if (this.#version === undefined || version > this.#version) this.#version = version;
        // The replica keeps what was stored, not the objects `fn` built: an object `fn` put into two
        // records would be one object here but two in the store, and a later write through one
        // record would change the other unseen by trackChanges.
        const changes = (tracked as NonNullable<typeof tracked>).changes;
        applyChanges(this.#state, JSON.parse(JSON.stringify(changes)) as RecordChange[]); // records are JSON (keys/record.ts)
      } catch (error) {
        tracked?.undo(); // not written (or not known to be: the next pull brings what was)
        throw error;
      } finally {
        this.#writing = undefined;
      }
      return (tracked as NonNullable<typeof tracked>).result;
    };
    const next = this.#writes.then(run, run);
    this.#writes = next.catch(() => undefined);
    return next;
  }

  /**
   * Brings the replica up to date. A pull already running may have started before a commit this
   * caller must see, so callers arriving meanwhile share the one that starts after it.
   */
  #catchUp(): Promise<void> {
    if (this.#pulling === undefined) {
      const pull = this.#backend.pull(this.#version).then(async (pulled) => {
        // A write's attempt is in the replica until it is known to be stored or not: an optimistic
        // backend's attempt may lose its race and be taken back, which would take back what this
        // pull brought too. Take the pull after it (if it is still news then).
        while (this.#writing !== undefined) await this.#writing.catch(() => undefined);
        this.#take(pulled);
      });
      this.#pulling = pull.finally(() => {
        this.#pulling = undefined;
      });
      return this.#pulling;
    }
    this.#nextPull ??= this.#pulling
      .catch(() => undefined)
      .then(() => {
        this.#nextPull = undefined;
        return this.#catchUp();
      });
    return this.#nextPull;
  }

  #take(pulled: Pulled): void {
    // A pull that raced a newer one (or this process's own commit) has nothing new, also a full one.
    if (this.#version !== undefined && pulled.version <= this.#version) return;
    if (pulled.full) this.#state = emptyState();
    applyChanges(this.#state, pulled.changes);
    this.#version = pulled.version;
  }
}
