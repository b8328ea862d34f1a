// Node-only vitest config for `npm run mutate` (stryker.config.mjs): the repo's vitest.config.ts also
// defines a chromium project, which Stryker's vitest runner must not start. Only the test files that
// exercise the mutated modules run, so a mutation run fits in minutes on a shared 2-core machine.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (file: string): string => fileURLToPath(new URL(`./src/${file}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^kmsbox$/, replacement: src('index.ts') },
      { find: /^kmsbox\/node$/, replacement: src('node.ts') },
    ],
  },
  test: {
    testTimeout: 300_000,
    hookTimeout: 120_000,
    // KMSBOX_MUTATE_TESTS (set by stryker.config.mjs from --mutate): the test files of the module under mutation.
    include: process.env.KMSBOX_MUTATE_TESTS?.split(',') ?? [
      'test/blob/*.test.ts',
      'test/protocol/sigv4-*.test.ts',
      'test/protocol/wire.test.ts',
      'test/protocol/*.mutation.test.ts',
      'test/policy/*.test.ts',
      'test/envelope/*.test.ts',
      'test/providers/file-format.test.ts',
      'test/providers/*.mutation.test.ts',
    ],
    // The policy property suites (thousands of runs each, one against @cloud-copilot/iam-simulate) would
    // make every policy mutant take ~15 s; the unit tests above pin the same decisions one by one.
    // files.test.ts sets process.umask(), which Stryker's worker threads cannot; it tests files.ts, not the reader.
    exclude: ['test/policy/*.property.test.ts', 'test/envelope/files.test.ts'],
  },
});
