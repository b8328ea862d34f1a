// ReplicatedRecords.read with a request scope (src/providers/replica.ts): one catch-up per request
// (PostgresProvider's reads each cost a database round trip otherwise), still seeing every commit
// that completed before the request began.
import { expect, test } from 'vitest';
import { ReplicatedRecords, type RequestScope } from '../../src/providers/replica.js';
import { LogBackend } from './log-backend.js';

class CountingBackend extends LogBackend {
  pulls = 0;
  override pull(since: number | undefined) {
    this.pulls++;
    return super.pull(since);
  }
}

const aliasCount = (a: ReplicatedRecords, scope?: RequestScope) => a.read((s) => Object.keys(s.aliases).length, scope);
const addAlias = (a: ReplicatedRecords, name: string) =>
  a.update((s) => {
    s.aliases[name] = { AliasName: name, TargetKeyId: 'k', CreationDate: 0, LastUpdatedDate: 0 } as never;
  });

test('one catch-up per request: its first read sees every earlier commit, later reads share that catch-up', async () => {
  const backend = new CountingBackend();
  const [a, b] = [new ReplicatedRecords(backend), new ReplicatedRecords(backend)];
  await addAlias(a, 'alias/one');
  const request: RequestScope = {};
  backend.pulls = 0;
  expect(await aliasCount(b, request)).toBe(1); // committed before the request began: seen
  await addAlias(a, 'alias/two'); // committed during the request
  backend.pulls = 0;
  expect(await aliasCount(b, request)).toBe(1); // the same request: no second catch-up
  expect(await aliasCount(b, request)).toBe(1);
  expect(backend.pulls).toBe(0);
  expect(await aliasCount(b, {})).toBe(2); // the next request sees it
  expect(backend.pulls).toBe(1);
  expect(await aliasCount(b)).toBe(2); // no scope: a catch-up per read
  expect(await aliasCount(b)).toBe(2);
  expect(backend.pulls).toBe(3);
});

test("a request's own write is seen by its later reads without a catch-up", async () => {
  const backend = new CountingBackend();
  const [a, b] = [new ReplicatedRecords(backend), new ReplicatedRecords(backend)];
  const request: RequestScope = {};
  expect(await aliasCount(b, request)).toBe(0);
  await addAlias(a, 'alias/other');
  await addAlias(b, 'alias/own'); // its commit brings the other process's write too
  backend.pulls = 0;
  expect(await aliasCount(b, request)).toBe(2);
  expect(backend.pulls).toBe(0);
});
