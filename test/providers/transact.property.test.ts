// transact() (src/providers/transact.ts) against a structuredClone baseline: any sequence of mutations
// followed by a throw leaves the state as it was (values, key order, array holes, prototypes), and a committed
// transaction leaves it as the same mutations applied to a clone would, with no view left inside.
import { types } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { transact } from '../../src/providers/transact.js';

type Node = Record<string, unknown> | unknown[];

const KEYS = ['a', 'b', 'c', 'd', '0', '1', '7'];
const primitive = fc.oneof(
  fc.integer({ min: -3, max: 9 }),
  fc.constantFrom('x', 'y', ''),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);
const tree = fc.letrec<{ value: unknown; node: Node }>((t) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, primitive, t('node')),
  node: fc.oneof(
    { depthSize: 'small' },
    fc.dictionary(fc.constantFrom(...KEYS), t('value'), { maxKeys: 4, noNullPrototype: true }),
    fc.array(t('value'), { maxLength: 4 }),
  ),
}));
const root = fc.dictionary(fc.constantFrom(...KEYS), tree.node, { minKeys: 1, maxKeys: 4, noNullPrototype: true });

/** Picks a container by walking `steps` child choices from the root (the same choices on a draft and on a clone). */
const at = fc.array(fc.nat(), { maxLength: 3 });
const op = fc.oneof(
  fc.record({ t: fc.constantFrom('set', 'define', 'assign'), at, key: fc.constantFrom(...KEYS), value: tree.value }),
  fc.record({ t: fc.constant('delete'), at, key: fc.constantFrom(...KEYS) }),
  fc.record({ t: fc.constantFrom('alias', 'wrap'), at, key: fc.constantFrom(...KEYS), from: at }),
  fc.record({ t: fc.constantFrom('push', 'unshift', 'fill'), at, value: tree.value }),
  fc.record({ t: fc.constantFrom('pop', 'shift', 'reverse', 'sort'), at }),
  fc.record({ t: fc.constant('splice'), at, start: fc.integer({ min: -2, max: 5 }), count: fc.nat(3), value: tree.value }),
  fc.record({ t: fc.constant('length'), at, n: fc.nat(6) }),
);
type Op = {
  t: string;
  at: number[];
  key?: string;
  value?: unknown;
  from?: number[];
  start?: number;
  count?: number;
  n?: number;
};

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null;

function pick(start: Node, steps: number[]): Node {
  let node = start;
  for (const step of steps) {
    const children = Reflect.ownKeys(node)
      .map((k) => (node as Record<PropertyKey, unknown>)[k])
      .filter(isNode);
    if (children.length === 0) break;
    node = children[step % children.length]!;
  }
  return node;
}

function contains(tree: unknown, target: Node, seen = new Set<unknown>()): boolean {
  if (tree === target) return true;
  if (!isNode(tree) || seen.has(tree)) return false;
  seen.add(tree);
  return Reflect.ownKeys(tree).some((k) => contains((tree as Record<PropertyKey, unknown>)[k], target, seen));
}

/** A fresh copy of a generated value, so the draft and the clone never share a new object. */
const fresh = (v: unknown): unknown => structuredClone(v);

/** Applies one mutation the way kmsbox's operations write to the state: plain JavaScript on whatever it is given. */
function apply(state: Node, o: Op): void {
  const node = pick(state, o.at) as Record<string, unknown> & unknown[];
  const key = Array.isArray(node) && o.key !== undefined ? String(KEYS.indexOf(o.key)) : o.key!;
  switch (o.t) {
    case 'set':
      node[key] = fresh(o.value);
      return;
    case 'define':
      Object.defineProperty(node, key, { value: fresh(o.value), writable: true, enumerable: true, configurable: true });
      return;
    case 'assign':
      Object.assign(node, { [key]: fresh(o.value) });
      return;
    case 'delete':
      delete node[key];
      return;
    case 'alias':
    case 'wrap': {
      // A node moved or shared elsewhere, bare or inside a new object (a cycle is not a state kmsbox writes).
      const other = pick(state, o.from!);
      if (contains(other, node)) return;
      node[key] = o.t === 'alias' ? other : { inner: other, list: [other] };
      return;
    }
  }
  if (!Array.isArray(node)) return;
  switch (o.t) {
    case 'push':
      node.push(fresh(o.value));
      return;
    case 'unshift':
      node.unshift(fresh(o.value));
      return;
    case 'fill':
      node.fill(fresh(o.value));
      return;
    case 'pop':
      node.pop();
      return;
    case 'shift':
      node.shift();
      return;
    case 'reverse':
      node.reverse();
      return;
    case 'sort':
      node.sort();
      return;
    case 'splice':
      node.splice(o.start!, o.count!, fresh(o.value));
      return;
    case 'length':
      node.length = o.n!;
      return;
  }
}

/** Every own key in order, recursively: toStrictEqual does not compare the order of keys. */
function layout(v: unknown, seen = new Set<unknown>()): unknown {
  if (!isNode(v) || seen.has(v)) return typeof v;
  seen.add(v);
  return Reflect.ownKeys(v).map((k) => [k, layout((v as Record<PropertyKey, unknown>)[k], seen)]);
}

function hasView(v: unknown, seen = new Set<unknown>()): boolean {
  if (!isNode(v) || seen.has(v)) return false;
  if (types.isProxy(v)) return true;
  seen.add(v);
  return Reflect.ownKeys(v).some((k) => hasView((v as Record<PropertyKey, unknown>)[k], seen));
}

class Abort extends Error {}

describe('transact', () => {
  it('a throw after any mutations leaves the state exactly as a structuredClone taken before', () => {
    fc.assert(
      fc.property(root, fc.array(op, { maxLength: 12 }), (state, ops) => {
        const baseline = structuredClone(state);
        const children = Object.values(state);
        expect(() =>
          transact(state, (draft) => {
            for (const o of ops) apply(draft, o as Op);
            throw new Abort();
          }),
        ).toThrow(Abort);
        expect(state).toStrictEqual(baseline);
        expect(layout(state)).toEqual(layout(baseline));
        // Undone in place: the objects a reader holds are the state's own.
        expect(Object.values(state)).toEqual(children);
        for (const [i, child] of Object.values(state).entries()) expect(child).toBe(children[i]);
      }),
      { numRuns: 500 },
    );
  });

  it('a committed transaction equals the same mutations applied to a clone, and the state holds no view', () => {
    fc.assert(
      fc.property(root, fc.array(op, { maxLength: 12 }), (state, ops) => {
        const expected = structuredClone(state);
        for (const o of ops) apply(expected, o as Op);
        const result = transact(state, (draft) => {
          for (const o of ops) apply(draft, o as Op);
          return draft;
        });
        expect(result).toBe(state);
        expect(state).toStrictEqual(expected);
        expect(layout(state)).toEqual(layout(expected));
        expect(hasView(state)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
