/**
 * The functions a V8 CPU profile (`node --cpu-prof`) spent the most self time in, and the total
 * time under each file: where a process's time went, without a browser to open the profile in.
 * `npx tsx bench/top-functions.ts FILE.cpuprofile [N]`.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, n = '30'] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: top-functions.ts FILE.cpuprofile [N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<number, number>();
for (const [i, id] of profile.samples.entries()) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const shortUrl = (url: string): string => url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '~/');
const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
for (const [id, us] of self) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const where = `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`;
  byFunction.set(where, (byFunction.get(where) ?? 0) + us);
  const f = shortUrl(url) || functionName;
  byFile.set(f, (byFile.get(f) ?? 0) + us);
}
// Inclusive time: each sample counts once for every function on its stack.
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const inclusive = new Map<string, number>();
for (const [id, us] of self) {
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const { functionName, url, lineNumber } = byId.get(at)!.callFrame;
    const where = `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`;
    if (seen.has(where)) continue;
    seen.add(where);
    inclusive.set(where, (inclusive.get(where) ?? 0) + us);
  }
}
const pct = (us: number): string => `${((us / total) * 100).toFixed(1)}%`;
console.log(`total sampled: ${(total / 1000).toFixed(0)} ms\n\nself time by function:`);
for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) console.log(`${pct(us).padStart(6)}  ${name}`);
console.log('\ninclusive time by function:');
for (const [name, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) console.log(`${pct(us).padStart(6)}  ${name}`);
console.log('\nself time by file:');
for (const [name, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) console.log(`${pct(us).padStart(6)}  ${name}`);
