/**
 * The code under benchmark is the built package (dist/, what `npm install kmsbox` gives), not the
 * TypeScript sources under tsx: `npm run bench` builds first. Types come from the sources.
 */
import type * as Index from '../src/index.js';
import type * as NodeEntry from '../src/node.js';

export const kmsbox = (await import('../dist/index.js' as string)) as typeof Index;
export const kmsboxNode = (await import('../dist/node.js' as string)) as typeof NodeEntry;
