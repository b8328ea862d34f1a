/**
 * The formatter and the linter (Biome, configured in biome.json) as part of the suite, so CI
 * refuses unformatted code and lint errors: `npm run format` fixes the first, `npm run lint` shows both.
 */
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

it('biome ci: every source, test and bench file is formatted and lint-clean', () => {
  const run = spawnSync(process.execPath, ['node_modules/@biomejs/biome/bin/biome', 'ci', '--error-on-warnings', '.'], {
    cwd: root,
    encoding: 'utf8',
  });
  expect(run.status, run.stdout + run.stderr).toBe(0);
});
