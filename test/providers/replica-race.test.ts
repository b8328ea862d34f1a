// ReplicatedRecords (src/providers/replica.ts): a write's own changes, applied to the replica once
// its commit resolves, must not go over newer records a pull brought meanwhile. Between a commit
// becoming durable and its caller resuming (a database's COMMIT reply in flight), another process
// may commit and a read of this process may pull both versions; re-applying the first write then
// put back a value the store no longer holds, and this process served it until the record changed
// again: here a key this process enabled, that another process disabled right after, stays
// enabled for this process.
import { expect, test } from 'vitest';
import type { KeyRecord, StoreState } from '../../src/keys/record.js';
import type { RecordChange } from '../../src/providers/records.js';
import { type Pulled, ReplicatedRecords } from '../../src/providers/replica.js';
import { LogBackend } from './log-backend.js';

/** A LogBackend whose commits reach their caller later than they are durable, after `inFlight` runs once. */
class SlowReplyBackend extends LogBackend {
  inFlight: (() => Promise<void>) | undefined;

  override async commit(since: number | undefined, apply: (pulled: Pulled) => readonly RecordChange[]): Promise<number> {
    const version = await super.commit(since, apply); // durable, and the backend's lock released
    const hook = this.inFlight;
    this.inFlight = undefined;
    if (hook !== undefined) await hook();
    return version;
  }
}

const key = (state: string): KeyRecord => ({ arn: 'k', keyId: 'k', state }) as unknown as KeyRecord;
const stateOf = (s: Readonly<StoreState>): string | undefined => s.keys.k?.state;
const ticks = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

test("a write's own changes do not overwrite a newer version a concurrent read already pulled", async () => {
  const backend = new SlowReplyBackend();
  const a = new ReplicatedRecords(backend); // this process
  const b = new ReplicatedRecords(backend); // another process
  await a.update((s) => {
    s.keys.k = key('Disabled');
  });
  expect(await b.read(stateOf)).toBe('Disabled');

  let reading: Promise<string | undefined> | undefined;
  backend.inFlight = async () => {
    // A's EnableKey is durable; before A hears so, B disables the key ...
    await b.update((s) => {
      s.keys.k!.state = 'Disabled';
    });
    // ... and a read in A pulls both versions (it then waits for A's write to finish).
    reading = a.read(stateOf);
    await ticks(5);
  };
  await a.update((s) => {
    s.keys.k!.state = 'Enabled';
  });
  expect(await reading).toBe('Disabled');
  expect(await a.read(stateOf)).toBe('Disabled'); // the store's value: B's write came last
  expect(await b.read(stateOf)).toBe('Disabled');
});

/** A LogBackend whose next commit fails after `meanwhile` ran (its lock released: others may commit). */
class FailingBackend extends LogBackend {
  meanwhile: (() => Promise<void>) | undefined;

  override async commit(since: number | undefined, apply: (pulled: Pulled) => readonly RecordChange[]): Promise<number> {
    const hook = this.meanwhile;
    if (hook === undefined) return super.commit(since, apply);
    this.meanwhile = undefined;
    this.failNextCommit = true;
    try {
      return await super.commit(since, apply);
    } catch (error) {
      await hook(); // the failed transaction is rolled back and its lock gone; the error is on its way
      throw error;
    }
  }
}

test('a failed write, taken back, does not take back a newer record a concurrent read pulled meanwhile', async () => {
  const backend = new FailingBackend();
  const a = new ReplicatedRecords(backend);
  const b = new ReplicatedRecords(backend);
  await a.update((s) => {
    s.keys.k = key('Enabled');
  });
  expect(await b.read(stateOf)).toBe('Enabled');

  let reading: Promise<string | undefined> | undefined;
  backend.meanwhile = async () => {
    await b.update((s) => {
      s.keys.k!.state = 'Disabled';
    });
    reading = a.read(stateOf);
    await ticks(5);
  };
  await expect(
    a.update((s) => {
      s.keys.k = key('PendingDeletion'); // a record replaced whole (as CreateAlias adds one): taking it back puts the old object back
    }),
  ).rejects.toThrow('commit failed on purpose');
  expect(await reading).toBe('Disabled');
  expect(await a.read(stateOf)).toBe('Disabled');
});
