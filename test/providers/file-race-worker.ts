// A separate process for the stale-lock race test (bundled by the test with esbuild, run with node):
//   <store> <rootKeyFile> <startAt ms> <rounds> <roundMs>: at startAt + i·roundMs, create one key;
//   print each created key id on its own line.
import { Kms } from '../../src/index.js';
import { FileProvider } from '../../src/node.js';

const [path, rootKeyFile, startAt, rounds, roundMs] = process.argv.slice(2);
const kms = new Kms({ provider: new FileProvider({ path: path!, rootKeyFile: rootKeyFile!, lockTimeoutMs: 30_000 }) });
await kms.listKeys(); // loaded before the rounds start
for (let round = 0; round < Number(rounds); round++) {
  const at = Number(startAt) + round * Number(roundMs);
  while (Date.now() < at); // all processes start each round at the same moment
  const { KeyMetadata } = await kms.createKey({ Description: `p${process.pid}` });
  console.log(KeyMetadata!.KeyId);
}
