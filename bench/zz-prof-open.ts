import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStore } from '/work/wt/file-journal/test/providers/store-builder.js';
import { Kms } from '/work/wt/file-journal/src/index.js';
import { FileProvider } from '/work/wt/file-journal/src/node.js';
const dir = mkdtempSync(join(tmpdir(), 'prof-'));
const rootKey = randomBytes(32);
const rootKeyFile = join(dir, 'root.key');
writeFileSync(rootKeyFile, rootKey);
const path = join(dir, 's.kmsbox');
await buildStore(path, rootKeyFile, rootKey, Number(process.argv[2] ?? 10000));
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  const c = process.cpuUsage();
  const p = new FileProvider({ path, rootKeyFile });
  await p.read(() => 0);
  const cu = process.cpuUsage(c);
  console.log('cpu ms', ((cu.user + cu.system) / 1000).toFixed(0));
  const t1 = performance.now();
  await new Kms({ provider: p }).listKeys({ Limit: 1 });
  console.log('open', (t1 - t).toFixed(0), 'listKeys', (performance.now() - t1).toFixed(0));
}
