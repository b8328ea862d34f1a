// trackChanges (src/providers/records.ts) and ReplicatedRecords (src/providers/replica.ts): the
// records an update reports are exactly enough to rebuild its result elsewhere, and replicas
// sharing one backend (as processes share a database) lose no update and read every commit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KeyRecord, StoreState } from '../../src/keys/record.js';
import { allRecords, applyChanges, completeState, trackChanges } from '../../src/providers/records.js';
import { ReplicatedRecords } from '../../src/providers/replica.js';
import { LogBackend } from './log-backend.js';

const IDS = ['k1', 'k2', 'k3', 'k4'];
const record = (id: string, n: number): KeyRecord =>
  ({
    keyId: id,
    arn: id,
    description: `d${n}`,
    tags: [{ TagKey: 't', TagValue: String(n) }],
    rotation: { enabled: false, onDemandCount: n },
  }) as unknown as KeyRecord;

type Op =
  | { t: 'put' | 'describe' | 'tag' | 'untag' | 'rotate'; id: string; n: number }
  | { t: 'delete'; id: string }
  | { t: 'share'; from: string; to: string }
  | { t: 'replace-grants'; n: number };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    t: fc.constantFrom('put', 'describe', 'tag', 'untag', 'rotate'),
    id: fc.constantFrom(...IDS),
    n: fc.nat(9),
  }) as fc.Arbitrary<Op>,
  fc.record({ t: fc.constant('delete'), id: fc.constantFrom(...IDS) }) as fc.Arbitrary<Op>,
  fc.record({ t: fc.constant('share'), from: fc.constantFrom(...IDS), to: fc.constantFrom(...IDS) }) as fc.Arbitrary<Op>,
  fc.record({ t: fc.constant('replace-grants'), n: fc.nat(3) }) as fc.Arbitrary<Op>,
);

function run(s: StoreState, o: Op): void {
  const keys = s.keys;
  switch (o.t) {
    case 'put':
      keys[o.id] = record(o.id, o.n);
      return;
    case 'delete':
      delete keys[o.id];
      return;
    case 'replace-grants':
      s.grants = Object.fromEntries(Array.from({ length: o.n }, (_, i) => [`g${i}`, { grantId: `g${i}` }])) as NonNullable<
        StoreState['grants']
      >;
      return;
    case 'share': {
      // One object in two records: a later write through either must change both.
      const from = keys[o.from];
      const to = keys[o.to];
      if (from && to) to.rotation = from.rotation;
      return;
    }
    default: {
      const k = keys[o.id];
      if (k === undefined) return;
      if (o.t === 'describe') k.description = `d${o.n}`;
      else if (o.t === 'tag') k.tags.push({ TagKey: `t${o.n}`, TagValue: 'v' });
      else if (o.t === 'untag') k.tags.splice(0, 1);
      else k.rotation.onDemandCount = o.n;
    }
  }
}

const initial = fc.array(fc.tuple(fc.constantFrom(...IDS), fc.nat(9)), { maxLength: 4 }).map((pairs) => {
  const s = completeState({});
  for (const [id, n] of pairs) s.keys[id] = record(id, n);
  s.grants = { g0: { grantId: 'g0' } as never, g9: { grantId: 'g9' } as never };
  return s;
});

describe('trackChanges', () => {
  it('reports every record an update changed: applied to a copy of the state before, they give the state after', () => {
    fc.assert(
      fc.property(initial, fc.array(op, { maxLength: 12 }), (state, ops) => {
        const before = structuredClone(state);
        const { changes } = trackChanges(state, (s) => {
          for (const o of ops) run(s, o);
        });
        const rebuilt = structuredClone(before);
        applyChanges(rebuilt, structuredClone(changes));
        expect(JSON.parse(JSON.stringify(rebuilt))).toEqual(JSON.parse(JSON.stringify(state)));
      }),
      { numRuns: 300 },
    );
  });

  it('reports only records the update wrote', () => {
    fc.assert(
      fc.property(initial, fc.constantFrom(...IDS), fc.nat(9), (state, id, n) => {
        const { changes } = trackChanges(state, (s) => {
          void Object.values(s.keys).map((k) => k.tags.length); // reading everything changes nothing
          const k = s.keys[id];
          if (k) k.description = `x${n}`;
        });
        expect(changes.map((c) => c.id)).toEqual(state.keys[id] ? [id] : []);
      }),
    );
  });

  it('undo() takes a successful update back', () => {
    const state = completeState({});
    state.keys.k1 = record('k1', 1);
    const before = structuredClone(state);
    const t = trackChanges(state, (s) => {
      s.keys.k1!.tags.push({ TagKey: 'new', TagValue: 'v' });
      delete s.keys.k1;
      s.keys.k2 = record('k2', 2);
    });
    expect(t.changes.map((c) => [c.id, c.value === undefined])).toEqual([
      ['k1', true],
      ['k2', false],
    ]);
    t.undo();
    expect(state).toEqual(before);
  });
});

describe('ReplicatedRecords over one shared backend', () => {
  const counter = (s: StoreState): number => Number((s.keys.counter?.description ?? 'd0').slice(1));
  const bump = (s: StoreState): number => {
    const n = counter(s) + 1;
    s.keys.counter = record('counter', n);
    return n;
  };

  it.each(['locked', 'optimistic'] as const)(
    'loses no update when replicas race (%s commits), and each read sees every commit that completed before it',
    async (mode) => {
      let conflicts = 0;
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 2, max: 4 }), fc.array(fc.nat(3), { minLength: 1, maxLength: 30 }), async (replicas, who) => {
          const backend = new LogBackend(mode);
          const stores = Array.from({ length: replicas }, () => new ReplicatedRecords(backend));
          const answers = await Promise.all(who.map((i) => stores[i % replicas]!.update(bump)));
          // Every answer is what some order of the requests gives: 1..N, each once.
          expect([...answers].sort((a, b) => a - b)).toEqual(who.map((_, i) => i + 1));
          for (const s of stores) expect(await s.read(counter)).toBe(who.length);
          conflicts += backend.conflicts;
        }),
        { numRuns: 60 },
      );
      // The optimistic runs must have raced for real: attempts that lost and were made again.
      if (mode === 'optimistic') expect(conflicts).toBeGreaterThan(0);
    },
  );

  it('a failed commit changes nothing, here or anywhere', async () => {
    const backend = new LogBackend();
    const a = new ReplicatedRecords(backend);
    const b = new ReplicatedRecords(backend);
    await a.update(bump);
    backend.failNextCommit = true;
    await expect(a.update(bump)).rejects.toThrow('commit failed on purpose');
    expect(await a.read(counter)).toBe(1);
    expect(await b.read(counter)).toBe(1);
    expect(await b.update(bump)).toBe(2);
    expect(await a.read(counter)).toBe(2);
  });

  it('a throwing update changes nothing and later updates go on', async () => {
    const backend = new LogBackend();
    const a = new ReplicatedRecords(backend);
    await a.update(bump);
    await expect(
      a.update((s) => {
        bump(s);
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await a.read(counter)).toBe(1);
    expect(backend.log).toHaveLength(1);
    expect(await a.update(bump)).toBe(2);
  });

  it('an object an update put into two records stays two records in later updates', async () => {
    const backend = new LogBackend();
    const a = new ReplicatedRecords(backend);
    await a.update((s) => {
      s.keys.k1 = record('k1', 1);
      s.keys.k2 = record('k2', 2);
      s.keys.k2.rotation = s.keys.k1.rotation;
    });
    await a.update((s) => {
      s.keys.k1!.rotation.onDemandCount = 9;
    });
    const read = (s: StoreState) => [s.keys.k1?.rotation.onDemandCount, s.keys.k2?.rotation.onDemandCount];
    expect(await a.read(read)).toEqual([9, 1]);
    expect(await new ReplicatedRecords(backend).read(read)).toEqual([9, 1]);
  });

  it('a replica started late loads everything', async () => {
    const backend = new LogBackend();
    const a = new ReplicatedRecords(backend);
    for (let i = 0; i < 5; i++) await a.update(bump);
    await a.update((s) => {
      s.keys.other = record('other', 7);
    });
    const late = new ReplicatedRecords(backend);
    expect(await late.read((s) => allRecords(s).map((c) => c.id))).toEqual(['counter', 'other']);
  });
});
