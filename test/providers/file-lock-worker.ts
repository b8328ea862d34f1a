// A separate process holding a FileProvider store's lock (src/providers/file-lock.ts), for the
// lock liveness tests. Bundled by the test with esbuild and run with plain node.
//   hold <store> <staleMs>: takes the lock, prints `held`, keeps it (its event loop free, so it
//   refreshes it) until a line arrives on stdin, then releases it and prints `released <content>`
//   (the lock file's content just before: still its own if nobody took it over).
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { lockStore } from '../../src/providers/file-lock.js';

const [mode, path, staleMs] = process.argv.slice(2);
if (mode !== 'hold') throw new Error(`unknown mode ${mode}`);
const unlock = await lockStore(path!, 60_000, undefined, Number(staleMs));
const mine = readFileSync(`${path}.lock`, 'utf8');
console.log(`held ${mine}`);
const lines = createInterface({ input: process.stdin });
lines.once('line', () => {
  const now = readFileSync(`${path}.lock`, 'utf8');
  unlock();
  console.log(`released ${now === mine ? 'mine' : 'taken over'}`);
  lines.close();
});
