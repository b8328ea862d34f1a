// A separate process serving a PostgreSQL store, for test/postgres/killed-connection.test.ts: a crash
// there (an uncaught exception) ends this process, which the test sees, rather than the test runner.
// Bundled with esbuild and run with plain node. Commands on stdin, one per line; answers on stdout:
//   disable <keyId> → "ok" or "error <exception name>";  enabled <keyId> → "enabled <true|false>"; exit.
import { createInterface } from 'node:readline';
import { Kms } from '../../src/index.js';
import { PostgresProvider } from '../../src/postgres.js';

const [url, schema] = process.argv.slice(2);
const provider = new PostgresProvider({ url: url!, schema: schema!, passphrase: 'correct horse battery staple', scrypt: { N: 2 ** 10 } });
const kms = new Kms({ provider });
const { KeyMetadata } = await kms.createKey({});
console.log(`ready ${KeyMetadata!.KeyId}`);

for await (const line of createInterface({ input: process.stdin })) {
  const [command, keyId] = line.split(' ');
  if (command === 'disable') {
    await kms.disableKey({ KeyId: keyId! }).then(
      () => console.log('ok'),
      (e: Error) => console.log(`error ${e.name}`),
    );
  } else if (command === 'enabled') {
    console.log(`enabled ${(await kms.describeKey({ KeyId: keyId! })).KeyMetadata!.Enabled}`);
  } else if (command === 'exit') {
    await provider.close();
    process.exit(0);
  }
}
