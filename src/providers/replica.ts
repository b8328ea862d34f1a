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
 * processes' writes are serialized and neither is lost. A write's changes are in the replica
 * before they are known to be stored: reads and pulls that arrive meanwhile queue behind it in
 * this process's write queue (first come, first served, so a stream of writes cannot starve them).
 */
import { emptyState, type StoreState } from '../keys/record.js';
import { applyChanges, type RecordChange, type RecordStore, type TrackedUpdate, trackChanges } from './records.js';

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
  /** That write's changes, while they are in the replica and not known to be stored. */
  #unconfirmed: TrackedUpdate<unknown> | undefined;
  #pulling: Promise<void> | undefined;
  #nextPull: Promise<void> | undefined;

  constructor(backend: RecordBackend) {
    this.#backend = backend;
  }

  /**
   * The records as they are now, for a reader that has already judged them fresh enough (a
   * provider in freshness 'notify'), or undefined while a write's changes are in the replica and
   * not yet known to be stored (`read` then waits for that write, so must the caller).
   */
  stateNow(): Readonly<StoreState> | undefined {
    return this.#writing === undefined && this.#version !== undefined ? this.#state : undefined;
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
    return this.#betweenWrites(() => fn(this.#state));
  }

  /**
   * Runs `f` now if no write's changes are in the replica, else right after that write is known
   * to be stored or not and before the next write starts (it takes its place in the write queue).
   */
  #betweenWrites<T>(f: () => T): T | Promise<T> {
    if (this.#writing === undefined) return f();
    const turn = this.#writes.then(f);
    this.#writes = turn.catch(() => undefined);
    return turn;
  }

  update<T>(fn: (state: StoreState) => T): Promise<T> {
    const run = async (): Promise<T> => {
      let tracked: TrackedUpdate<T> | undefined;
      let stored = '';
      const commit = this.#backend.commit(this.#version, (pulled) => {
        this.#takeBack(); // an optimistic backend's retry: the attempt before lost the race
        this.#take(pulled);
        tracked = trackChanges(this.#state, fn); // a throw undoes fn's changes and rejects the commit
        this.#unconfirmed = tracked;
        // What the backend stores: the replica keeps that, not the objects `fn` built (an object `fn`
        // put into two records would be one object here but two in the store, and a later write
        // through one record would change the other unseen by trackChanges).
        stored = JSON.stringify(tracked.changes);
        return tracked.changes;
      });
      this.#writing = commit;
      try {
        const version = await commit;
        // A pull that reached this version while the commit's answer was on its way brought these
        // changes already, and maybe newer ones of other processes: applying them again would put
        // back what those replaced (test/providers/replica-race.test.ts).
        if (this.#version === undefined || version > this.#version) {
          if (this.#unconfirmed === tracked) this.#unconfirmed = undefined;
          applyChanges(this.#state, JSON.parse(stored) as RecordChange[]); // records are JSON (keys/record.ts)
          this.#version = version;
        }
      } catch (error) {
        if (this.#unconfirmed === tracked) this.#takeBack(); // not written (or not known to be: the next pull brings what was)
        throw error;
      } finally {
        if (this.#unconfirmed === tracked) this.#unconfirmed = undefined;
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
      // A write's attempt is in the replica until it is known to be stored or not: an optimistic
      // backend's attempt may lose its race and be taken back, which would take back what this
      // pull brought too. Take the pull after it (it is skipped if that write brought it already).
      const pull = this.#backend.pull(this.#version).then((pulled) => this.#betweenWrites(() => this.#take(pulled)));
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

  /** Takes the changes of the write under way out of the replica. */
  #takeBack(): void {
    this.#unconfirmed?.undo();
    this.#unconfirmed = undefined;
  }

  #take(pulled: Pulled): void {
    // A pull that raced a newer one (or this process's own commit) has nothing new, also a full one.
    if (this.#version !== undefined && pulled.version <= this.#version) return;
    // Newer records go over the store's, not over a write's that may still fail: taken back later,
    // that write would put back records as they were before it, over these.
    this.#takeBack();
    if (pulled.full) this.#state = emptyState();
    applyChanges(this.#state, pulled.changes);
    this.#version = pulled.version;
  }
}
