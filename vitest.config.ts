import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';

const src = (file: string): string => fileURLToPath(new URL(`./src/${file}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests import the package by its name, as users do; it resolves to the sources here
    // (test/package/ checks the built tarball separately).
    alias: [
      { find: /^kmsbox$/, replacement: src('index.ts') },
      { find: /^kmsbox\/node$/, replacement: src('node.ts') },
      { find: /^kmsbox\/postgres$/, replacement: src('postgres.ts') },
      { find: /^kmsbox\/testing$/, replacement: src('testing/index.ts') },
    ],
  },
  // The browser project's dependencies, pre-bundled up front: one found mid-run makes Vite reload the page.
  optimizeDeps: {
    include: [
      '@noble/curves/abstract/modular.js',
      '@noble/curves/ed25519.js',
      '@noble/curves/nist.js',
      '@noble/curves/secp256k1.js',
      '@noble/hashes/sha2.js',
      '@noble/post-quantum/ml-dsa.js',
      'ipaddr.js',
      '@scure/base',
    ],
  },
  test: {
    // Timeouts only catch hangs: CI shares its 2 cores, and a CPU-heavy vector test took over 30 s under load.
    testTimeout: 300_000,
    hookTimeout: 120_000,
    // Two files at a time on CI's 2 cores: vitest's default (one worker fewer than cores) is one there,
    // and the suite then ran one file at a time on less than one core. Files share nothing: each works
    // in its own temp directories, servers take free ports, and only test/package reads dist/ (the
    // CLI tests run a bundle of their own, test/cli/cli-bundle.ts).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      { extends: true, test: { name: 'node', include: ['test/**/*.test.ts'], exclude: ['test/browser/**'] } },
      {
        // Debian's Chromium, driven by playwright; never a downloaded browser.
        extends: true,
        test: {
          name: 'chromium',
          include: ['test/browser/**/*.test.ts'],
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: {
                executablePath: '/usr/bin/chromium',
                args: [
                  '--no-sandbox',
                  '--headless',
                  '--disable-gpu',
                  '--disable-background-networking',
                  '--disable-component-update',
                  '--disable-sync',
                  '--no-first-run',
                ],
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
