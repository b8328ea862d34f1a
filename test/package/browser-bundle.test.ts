// The `kmsbox` main entry bundles for a browser with no Node built-in in it (DESIGN §2): Node-only
// code lives behind `kmsbox/node`, and node:crypto is found at run time, never imported.
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = (name: string): string => new URL(`../../src/${name}`, import.meta.url).pathname;

async function bundle(file: string) {
  return build({ entryPoints: [entry(file)], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
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
