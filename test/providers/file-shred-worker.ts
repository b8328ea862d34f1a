// A separate process for the shredding crash test (bundled with esbuild, run with plain node):
//   <store> <rootKeyFile>: forever, create material and destroy the previous one; print
//   `created <id> <base64 bytes>` and `destroyed <id>` once each step has returned.
import { FileProvider } from '../../src/node.js';
import { readFileSync } from 'node:fs';
import { decryptStore } from './store-reader.js';

const [path, rootKeyFile] = process.argv.slice(2);
const provider = new FileProvider({ path: path!, rootKeyFile: rootKeyFile!, lockTimeoutMs: 60_000 });
const rootKey = readFileSync(rootKeyFile!);
let previous: string | undefined;
console.log('ready');
for (;;) {
  const id = await provider.createMaterial('SYMMETRIC_DEFAULT');
  const payload = decryptStore(path!, rootKey);
  console.log(`created ${id} ${payload.materials[id]!.key}`);
  if (previous !== undefined) {
    await provider.destroyMaterial([previous]);
    console.log(`destroyed ${previous}`);
  }
  previous = id;
}
