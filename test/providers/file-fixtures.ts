// Temp stores for the FileProvider tests: a root key file per store (no scrypt wait), or a
// passphrase with a small scrypt cost where the passphrase path itself is under test.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { build } from 'esbuild';
import { afterAll } from 'vitest';
import { FileProvider } from 'kmsbox/node';

export { decryptStore, generationOf, headerOf, journalLines } from './store-reader.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kmsbox-file-'));
  dirs.push(d);
  return d;
}

export interface Store {
  dir: string;
  path: string;
  rootKeyFile: string;
  rootKey: Buffer;
  open(): FileProvider;
}

export function newStore(): Store {
  const dir = tempDir();
  const rootKey = randomBytes(32);
  const rootKeyFile = join(dir, 'root.key');
  writeFileSync(rootKeyFile, rootKey, { mode: 0o600 });
  const path = join(dir, 'store', 'keys.kmsbox');
  return { dir, path, rootKeyFile, rootKey, open: () => new FileProvider({ path, rootKeyFile }) };
}

/** Bundles a worker script (TypeScript importing kmsbox) into one runnable .mjs file in a temp dir. */
export async function bundleWorker(source: URL): Promise<string> {
  const outfile = join(tempDir(), source.pathname.split('/').pop()!.replace(/\.ts$/, '.mjs'));
  await build({
    entryPoints: [source.pathname],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}
