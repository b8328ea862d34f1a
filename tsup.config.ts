import { defineConfig, type Options } from 'tsup';

// One build per format, then the types of both in one pass. Both formats split shared code into
// chunks, so `kmsbox`, `kmsbox/node`, `kmsbox/postgres` and `kmsbox/testing` share one copy of every class within a
// format (`instanceof Kms` holds across `require('kmsbox')` and `require('kmsbox/node')`).
// No sourcemaps: they would point at sources the package does not ship. `npm run build` empties
// dist/ first (a `clean` here would race between the parallel builds).
const entry = { index: 'src/index.ts', node: 'src/node.ts', postgres: 'src/postgres.ts', testing: 'src/testing/index.ts' };
const common: Options = { entry, sourcemap: false, splitting: true, target: 'es2022', platform: 'neutral', dts: false };
// The AWS SDK is an optional peer of kmsbox/testing, loaded at run time from the user's project.
const external = [/^@aws-sdk\//];

export default defineConfig([
  // ESM keeps @noble external, so it dedupes with the user's own copy.
  { ...common, entry: { ...entry, cli: 'src/cli.ts' }, format: ['esm'], external: [/^@noble\//, /^@scure\//, ...external] },
  // @noble and @scure are ESM-only: a CJS build that require()s it fails under jest (and wherever require(esm)
  // is missing). The CJS build carries its own copy of the @noble/@scure code it uses instead.
  // import.meta.url is undefined there: src/testing/sdk.ts then uses the module's own require (jest's, under jest).
  { ...common, format: ['cjs'], noExternal: [/^@noble\//, /^@scure\//], external, define: { 'import.meta.url': 'undefined' } },
  { entry, format: ['esm', 'cjs'], dts: { only: true }, external: [/^@noble\//, /^@scure\//, ...external] },
]);
