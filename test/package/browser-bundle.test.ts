// The `kmsbox` main entry bundles for a browser with no Node built-in in it (package.json "exports"): Node-only
// code lives behind `kmsbox/node`, and node:crypto is found at run time, never imported.
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = (name: string): string => new URL(`../../src/${name}`, import.meta.url).pathname;

async function bundle(file: string) {
  return build({
    entryPoints: [entry(file)],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
}

describe('the browser bundle', () => {
  it('builds for platform browser and imports nothing from Node', async () => {
    const result = await bundle('index.ts');
    const imports = Object.values(result.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(imports.filter((p) => p.startsWith('node:') || ['fs', 'http', 'crypto', 'path', 'net', 'os'].includes(p))).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/\bfrom\s*["']node:|\brequire\(\s*["']node:|\bimport\(\s*["']node:/);
    // The providers a browser needs are in it; the file provider and the server are not.
    expect(code).toMatch(/\bWebCryptoProvider = class\b/);
    expect(code).not.toMatch(/\bFileProvider = class\b/);
    expect(code).not.toContain('createServer');
  });

  it('the Node entry is what pulls in node: modules (so the check above can fail)', async () => {
    await expect(bundle('node.ts')).rejects.toThrow(/node:/);
  });
});

// What a browser page pays for kmsbox (issue 14 §4): an esbuild bundle, minified and gzipped, of a
// page that only envelope-encrypts with a WebCryptoProvider symmetric key, and of a page that uses
// every export. Sizes are asserted, never timings. BENCHMARKS.md records the numbers.

const indexTs = new URL('../../src/index.ts', import.meta.url).pathname;

const PAGES = {
  envelope: `import { Kms, WebCryptoProvider, encryptEnvelope } from ${JSON.stringify(indexTs)};
    const kms = new Kms({ provider: new WebCryptoProvider() });
    const { KeyMetadata } = await kms.createKey({});
    document.body.textContent = String((await encryptEnvelope(new Uint8Array(10), { kms, keyId: KeyMetadata.KeyId })).length);`,
  full: `import * as kmsbox from ${JSON.stringify(indexTs)}; globalThis.kmsbox = kmsbox;`,
};

async function sizeOf(page: keyof typeof PAGES): Promise<{ minified: number; gzipped: number; inputs: string[] }> {
  const result = await build({
    stdin: { contents: PAGES[page], loader: 'ts', resolveDir: process.cwd() },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.contents;
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length, inputs: Object.keys(result.metafile.inputs) };
}

describe('browser bundle size (esbuild, minified)', () => {
  it('a page that only envelope-encrypts is smaller than the full page, and stays under its recorded bound', async () => {
    const [envelope, full] = [await sizeOf('envelope'), await sizeOf('full')];
    console.log(
      `envelope page: ${envelope.minified} B minified, ${envelope.gzipped} B gzipped; full page: ${full.minified} B, ${full.gzipped} B gzipped`,
    );
    expect(envelope.gzipped).toBeLessThan(full.gzipped);
    // The target is 50 KB gzipped; today the Kms class's operation table keeps the signing
    // code (noble curves, ML-DSA) in every page (BENCHMARKS.md). This bound catches growth: 82 KB
    // measured after ipaddr.js (aws:SourceIp), @scure/base and policy variables came in.
    expect(envelope.gzipped).toBeLessThanOrEqual(86 * 1024);
  });
});
