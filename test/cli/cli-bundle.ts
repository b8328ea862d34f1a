// The kmsbox CLI as the tests spawn it: src/cli.ts bundled by esbuild once per test file, run with
// plain node. tsx compiles with the same esbuild, but its loader resolves and loads each module of
// src/ again on every start: a bundle starts about 4 times faster, and the suite spawns the CLI
// hundreds of times (test/cli, test/server, test/readme).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

// Three levels under the package root, as dist/cli.js is one: `kmsbox --version` finds the
// package.json above it (version() in src/cli/main.ts), and `--aws` imports the AWS SDK from the
// package's node_modules as the built CLI does.
const cache = join(root, 'node_modules', '.cache');
mkdirSync(cache, { recursive: true });
const dir = mkdtempSync(join(cache, 'kmsbox-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The bundled CLI's path: `node <cliBundle> <verb> ...` runs `kmsbox <verb> ...`. */
export const cliBundle = join(dir, 'cli.mjs');
await build({
  entryPoints: [join(root, 'src/cli.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: cliBundle,
  logLevel: 'silent',
});
