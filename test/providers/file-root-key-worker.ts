// A separate process changing a FileProvider store's root key, for the crash test.
// Bundled by the test with esbuild and run with plain node.
//   <store> <oldRootKeyFile> <newRootKeyFile> <stopAt>: prints `rotating`, then `step <name>` after
//   each step of the rotation; at step <stopAt> it stops there (never returns) until killed.
//   `none`: runs to the end and prints `done`.
import { changeStoreRootKey } from '../../src/providers/file.js';

const [path, rootKeyFile, newRootKeyFile, stopAt] = process.argv.slice(2);
const halt = new Int32Array(new SharedArrayBuffer(4));
console.log('rotating');
await changeStoreRootKey({ path: path!, rootKeyFile: rootKeyFile!, newRootKeyFile: newRootKeyFile!, lockTimeoutMs: 60_000 }, (step) => {
  console.log(`step ${step}`);
  // Blocks the thread where it is: the parent's SIGKILL lands exactly after this step.
  if (step === stopAt) for (;;) Atomics.wait(halt, 0, 0);
});
console.log('finished');
