// A RecordBackend kept in this process's memory, shared by several ReplicatedRecords as a database
// is shared by several processes: every commit is a serialized entry of a log, a pull replays the
// log after a version. It lets tests drive src/providers/replica.ts with races a real store makes
// rare, and fail a commit on purpose.
import type { Pulled, RecordBackend } from '../../src/providers/replica.js';
import type { RecordChange } from '../../src/providers/records.js';

export class LogBackend implements RecordBackend {
  /**
   * `locked`: commit holds the lock from its pull to its write. `optimistic`: pull, apply, then
   * write only if nobody committed meanwhile, else again (as PostgresRecordBackend does).
   */
  constructor(readonly mode: 'locked' | 'optimistic' = 'locked') {}
  /** How many optimistic attempts lost a race (and called `apply` again). */
  conflicts = 0;
  /** Entry i holds version i + 1, serialized as a store would (JSON). */
  readonly log: string[] = [];
  /** Set to make the next commit fail after `apply` (as a full disk or a lost connection would). */
  failNextCommit = false;
  #lock: Promise<unknown> = Promise.resolve();

  async pull(since: number | undefined): Promise<Pulled> {
    await Promise.resolve(); // a store answers later, never synchronously
    return this.#delta(since);
  }

  commit(since: number | undefined, apply: (pulled: Pulled) => readonly RecordChange[]): Promise<number> {
    if (this.mode === 'optimistic') return this.#commitOptimistically(since, apply);
    const run = async (): Promise<number> => {
      await Promise.resolve();
      const changes = apply(this.#delta(since));
      if (changes.length === 0) return this.log.length;
      const entry = JSON.stringify(changes);
      await Promise.resolve();
      if (this.failNextCommit) {
        this.failNextCommit = false;
        throw new Error('commit failed on purpose');
      }
      this.log.push(entry);
      return this.log.length;
    };
    const next = this.#lock.then(run, run);
    this.#lock = next.catch(() => undefined);
    return next;
  }

  async #commitOptimistically(since: number | undefined, apply: (pulled: Pulled) => readonly RecordChange[]): Promise<number> {
    for (let from = since; ; ) {
      const pulled = await this.pull(from);
      const changes = apply(pulled);
      if (changes.length === 0) return pulled.version;
      const entry = JSON.stringify(changes);
      await Promise.resolve(); // the write's round trip: others may commit meanwhile
      if (this.failNextCommit) {
        this.failNextCommit = false;
        throw new Error('commit failed on purpose');
      }
      if (this.log.length === pulled.version) {
        this.log.push(entry);
        return this.log.length;
      }
      this.conflicts++;
      from = pulled.version;
    }
  }

  #delta(since: number | undefined): Pulled {
    const from = since ?? 0;
    const changes = this.log.slice(from).flatMap((e) => JSON.parse(e) as RecordChange[]);
    return { version: this.log.length, full: since === undefined, changes };
  }
}
