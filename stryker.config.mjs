// `npm run mutate` (docs/mutation.md): StrykerJS over the modules that authenticate, authorize and parse
// untrusted bytes. One module: `npm run mutate -- --mutate src/protocol/sigv4.ts`.
// Equivalent mutants are marked in the source with `// Stryker disable next-line <mutator>: <reason>`.

/**
 * The test files that pin each module (next to it), so that a mutant is not re-run against every test
 * that happens to execute it (every Kms request runs the policy code): `--mutate` of modules of one
 * group selects that group's tests for the vitest workers (vitest.stryker.config.ts); anything else runs all.
 */
const TESTS = {
  'src/blob/': ['test/blob/*.test.ts'],
  'src/protocol/wire-handler.ts': [
    'test/protocol/wire.test.ts',
    'test/protocol/handler-scope.mutation.test.ts',
    'test/protocol/sigv4-verify.test.ts',
  ],
  'src/protocol/sigv4': ['test/protocol/sigv4-*.test.ts', 'test/protocol/sigv4.mutation.test.ts'],
  'src/policy/': ['test/policy/*.test.ts'],
  'src/envelope/': ['test/envelope/*.test.ts'],
  // The parser and format functions directly, under a root key (no scrypt): file-format.test.ts opens
  // passphrase stores through FileProvider, which took ~12 s a mutant.
  'src/providers/store-file.ts': ['test/providers/store-file.mutation.test.ts'],
  // The journal entry parser (issue #17 §2), under a root key directly.
  'src/providers/journal.ts': ['test/providers/journal.property.test.ts', 'test/providers/journal.mutation.test.ts'],
  // The snapshot plaintext (versions 1-4) and version 4's material table, decoded directly.
  'src/providers/snapshot-payload.ts': ['test/providers/snapshot-payload.test.ts'],
};
const at = process.argv.indexOf('--mutate');
const targets = at < 0 ? [] : process.argv[at + 1].split(',');
const groups = [...new Set(targets.map((t) => Object.keys(TESTS).find((prefix) => t.startsWith(prefix))))];
if (groups.length === 1 && groups[0] !== undefined) process.env.KMSBOX_MUTATE_TESTS = TESTS[groups[0]].join(',');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.ts' },
  mutate: [
    'src/blob/ciphertext-blob.ts',
    'src/blob/encryption-context.ts',
    'src/protocol/sigv4.ts',
    'src/protocol/sigv4-authorization.ts',
    'src/policy/conditions.ts',
    'src/policy/evaluate.ts',
    'src/policy/variables.ts',
    'src/envelope/reader.ts',
    'src/envelope/key-schedule.ts',
    'src/protocol/wire-handler.ts',
    'src/providers/store-file.ts',
    'src/providers/journal.ts',
    'src/providers/snapshot-payload.ts',
  ],
  coverageAnalysis: 'perTest',
  concurrency: 1,
  reporters: ['clear-text', 'progress', 'json'],
  clearTextReporter: { logTests: false, allowColor: false },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  // Added to the measured test time per mutant: a mutant that loops is a timeout (killed) after this.
  timeoutMS: 10_000,
  thresholds: { high: 90, low: 80, break: null },
};
