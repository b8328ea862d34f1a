// Comments and docs point at things a reader of this repository (or of the npm package) can open:
// every `docs/….md` they name exists, every `docs/aws-behaviour.md#anchor` is a heading of that file,
// and nothing cites the design notes that live outside the repository (issue #12 §6).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const self = 'test/readme/doc-links.test.ts';

/** Every .ts and .md file under `dir` (vectors and generated files left out). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'vectors' || entry.name.startsWith('.')) continue;
      out.push(...filesUnder(path));
    } else if (/\.(ts|md)$/.test(entry.name)) out.push(path);
  }
  return out;
}

const files = [...filesUnder('src'), ...filesUnder('test'), ...filesUnder('docs'), 'README.md', 'BENCHMARKS.md'].filter((f) => f !== self);
const text = new Map(files.map((f) => [f, readFileSync(join(root, f), 'utf8')]));

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(markdownFile: string): Set<string> {
  const md = readFileSync(join(root, markdownFile), 'utf8');
  return new Set([...md.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1]!)));
}

describe('slug', () => {
  it("makes GitHub's heading anchors", () => {
    expect(slug('Multi-Region keys')).toBe('multi-region-keys');
    expect(slug('Key identifiers and aliases')).toBe('key-identifiers-and-aliases');
    expect(slug('Policy variables, global condition keys, ARNs, addresses')).toBe('policy-variables-global-condition-keys-arns-addresses');
  });
});

describe('pointers in comments and docs', () => {
  it('every docs/….md named exists', () => {
    const missing: string[] = [];
    for (const [file, body] of text) {
      for (const m of body.matchAll(/\bdocs\/([\w.-]+\.md)/g)) {
        if (!existsSync(join(root, 'docs', m[1]!))) missing.push(`${file}: docs/${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('every docs/aws-behaviour.md#anchor (and every #anchor inside it) is one of its headings', () => {
    const anchors = anchorsOf('docs/aws-behaviour.md');
    expect(anchors.size).toBeGreaterThan(10);
    const broken: string[] = [];
    for (const [file, body] of text) {
      for (const m of body.matchAll(/\bdocs\/aws-behaviour\.md#([\w-]+)/g)) {
        if (!anchors.has(m[1]!)) broken.push(`${file}: #${m[1]}`);
      }
    }
    for (const m of text.get('docs/aws-behaviour.md')!.matchAll(/\]\(#([\w-]+)\)/g)) {
      if (!anchors.has(m[1]!)) broken.push(`docs/aws-behaviour.md: #${m[1]}`);
    }
    expect(broken).toEqual([]);
  });

  it('nothing cites the design notes outside the repository (reference §x, DESIGN §n, ../shared)', () => {
    const found: string[] = [];
    for (const [file, body] of text) {
      body.split('\n').forEach((line, i) => {
        if (/reference §|DESIGN §|\.\.\/shared\/|ENVELOPE\.md/.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });
});
