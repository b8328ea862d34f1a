import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (file: string): string => fileURLToPath(new URL(`./src/${file}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests import the package by its name, as users do; it resolves to the sources here
    // (test/package/ checks the built tarball separately).
    alias: [
      { find: /^kmsbox$/, replacement: src('index.ts') },
      { find: /^kmsbox\/node$/, replacement: src('node.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
