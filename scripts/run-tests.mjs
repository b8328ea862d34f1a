// Runs the vitest suite and ends with one plain line CI reads: `tests: N passed, M failed`.
// Extra arguments go to vitest (e.g. `npm test -- test/blob`).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';

// Debian packages the suite drives: chromium (test/browser, test/examples, through playwright;
// no browser is ever downloaded), awscli (test/server: the seed flow as users run it) and
// postgresql (test/postgres: a real server started in a temporary directory, test/postgres/server.ts).
// On a fresh machine they are installed here, so `npm test` alone is the whole story.
const hasPostgres = () =>
  existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/postgres`));
const needed = [
  ['/usr/bin/chromium', 'chromium'],
  ['/usr/bin/aws', 'awscli'],
  [hasPostgres, 'postgresql'],
]
  .filter(([bin]) => !(typeof bin === 'function' ? bin() : existsSync(bin)))
  .map(([, pkg]) => pkg);
if (needed.length > 0) {
  if (process.getuid?.() !== 0) {
    console.error(`The tests need Debian's ${needed.join(' and ')}: run  sudo apt-get install -y ${needed.join(' ')}  first.`);
    console.log('tests: 0 passed, 1 failed');
    process.exit(1);
  }
  console.log(`installing ${needed.join(', ')} with apt-get (needed by the browser and AWS CLI tests)`);
  const apt = (args) =>
    spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  if (!apt(['update', '-qq']) || !apt(['install', '-y', '-qq', ...needed])) {
    console.log('tests: 0 passed, 1 failed');
    process.exit(1);
  }
}

const report = '.vitest-report.json';
rmSync(report, { force: true });
const run = spawnSync(
  process.execPath,
  [
    'node_modules/vitest/vitest.mjs',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);

let passed = 0;
let failed = 0;
try {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed = json.numPassedTests;
  failed = json.numFailedTests + (json.numRuntimeErrorTestSuites ?? 0);
  // A suite that fails to load has no tests to count: count it as a failure.
  failed += json.testResults.filter((r) => r.status === 'failed' && r.assertionResults.length === 0).length;
} catch {
  failed = Math.max(failed, 1);
}
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(run.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
