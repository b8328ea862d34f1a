/**
 * The code under benchmark is the built package (dist/, what `npm install kmsbox` gives), not the
 * TypeScript sources under tsx: `npm run bench` builds first. Types come from the sources.
 * KMSBOX_BENCH_DIST=<dir> measures another build instead (a copy of an earlier dist/, for before/after).
 */
import type * as Index from '../src/index.js';
import type * as NodeEntry from '../src/node.js';

const dist = process.env.KMSBOX_BENCH_DIST ?? new URL('../dist', import.meta.url).pathname;
export const kmsbox = (await import(`${dist}/index.js`)) as typeof Index;
export const kmsboxNode = (await import(`${dist}/node.js`)) as typeof NodeEntry;
