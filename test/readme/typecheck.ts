// Type-checks code blocks written out as .ts files (README blocks, TSDoc @example blocks) under the
// project's strict options, where `kmsbox` resolves to src/index.ts through tsconfig.json's paths.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;

/** Writes `dir`/tsconfig.json extending the project's (dir is two levels under test/). */
export function writeTsconfig(dir: string, compilerOptions: Record<string, unknown> = {}): void {
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../../tsconfig.json', // its strict options and its paths: `kmsbox` is src/index.ts
      compilerOptions: { types: ['node'], noEmit: true, ...compilerOptions },
      include: ['*.ts'],
    }),
  );
}

/** The `error TS` lines tsc reports for the project in `dir`. */
export async function typeErrors(dir: string): Promise<string[]> {
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const out = await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: root, encoding: 'utf8' }).then(
    (r) => r.stdout,
    (e: { stdout: string }) => e.stdout,
  );
  return out.split('\n').filter((l) => l.includes('error TS'));
}
