// An empty passphrase store made at scrypt's smallest cost (N = 2^10; the store file keeps its
// parameters, so every CLI spawn that opens it derives the root key at that cost). At the default
// cost (2^17) each spawn spends most of its time in scrypt, and the CLI tests spawn dozens. The
// seed flow in test/cli/verbs.test.ts still lets the CLI make its store at the default cost.
import { FileProvider } from 'kmsbox/node';

/** Writes an empty store at `path` whose root key comes from `passphrase` with scrypt N = 2^10. */
export async function lowCostPassphraseStore(path: string, passphrase: string): Promise<string> {
  await new FileProvider({ path, passphrase, scrypt: { N: 2 ** 10 } }).update(() => undefined);
  return path;
}
