// `npm run mutate` (docs/mutation.md): StrykerJS over the modules that authenticate, authorize and parse
// untrusted bytes. One module: `npm run mutate -- --mutate src/protocol/sigv4.ts`.
// Equivalent mutants are marked in the source with `// Stryker disable next-line <mutator>: <reason>`.
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
    'src/protocol/handler.ts',
    'src/providers/store-file.ts',
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
