/// <reference types="node" />
/**
 * `kmsbox store rotate-root-key --store FILE`: re-seals a key-store file under a new root key
 * (FileProvider.changeRootKey). Keys come as for every `--store` command: the current one from
 * `--root-key-file` or KMSBOX_PASSPHRASE, the new one from `--new-root-key-file` or
 * KMSBOX_NEW_PASSPHRASE (never a passphrase in a flag: flags show in `ps`).
 */
import { FileProvider } from '../providers/file.js';
import { UsageError } from './verbs.js';

export const STORE_USAGE = `usage: kmsbox store rotate-root-key --store FILE
         [--root-key-file FILE] [--new-root-key-file FILE]`;

const STORE_HELP = `${STORE_USAGE}

  Re-seals a key-store file, its previous generation (.bak) and its high-water
  mark under a new root key: afterwards no file of the store opens with the old
  one. The current root key comes from --root-key-file or KMSBOX_PASSPHRASE,
  the new one from --new-root-key-file or KMSBOX_NEW_PASSPHRASE (scrypt with a
  fresh salt).
  Processes that have the store open with the old key fail from their next
  request (AccessDeniedException: its root key was changed): restart them with
  the new one. Interrupted, the store opens with the old key (run this again) or
  with the new one (done); a wrong current key changes nothing.
  Exit codes: 0 done, 1 refused (a wrong key, an unreadable store), 252 a
  usage mistake.`;

/** The root key of one side: a root key file flag, or a passphrase variable. */
export function rootKeyOf(
  f: ReadonlyMap<string, string>,
  flag: 'root-key-file' | 'new-root-key-file',
  variable: 'KMSBOX_PASSPHRASE' | 'KMSBOX_NEW_PASSPHRASE',
): { rootKeyFile: string } | { passphrase: string } {
  const file = f.get(flag);
  if (file !== undefined) return { rootKeyFile: file };
  const passphrase = process.env[variable];
  if (!passphrase) throw new UsageError(`give --${flag} FILE or the ${variable} environment variable`);
  return { passphrase };
}

/** `--flag value` pairs of the allowed flags only, each at most once (the store and db commands). */
export function flagPairs(args: readonly string[], allowed: readonly string[], usage: string): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i]!;
    const value = args[i + 1];
    if (!flag.startsWith('--') || !allowed.includes(flag.slice(2))) throw new UsageError(`unexpected argument '${flag}' (${usage})`);
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    if (out.has(flag.slice(2))) throw new UsageError(`${flag} given twice`);
    out.set(flag.slice(2), value);
  }
  return out;
}

export async function storeCommand(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h' || rest.includes('--help')) {
    console.log(STORE_HELP);
    return 0;
  }
  if (sub !== 'rotate-root-key') throw new UsageError(STORE_USAGE);
  const f = flagPairs(rest, ['store', 'root-key-file', 'new-root-key-file'], STORE_USAGE);
  const path = f.get('store') ?? (process.env.KMSBOX_STORE || undefined);
  if (path === undefined) throw new UsageError(`give --store FILE (or KMSBOX_STORE) (${STORE_USAGE})`);
  const current = rootKeyOf(f, 'root-key-file', 'KMSBOX_PASSPHRASE');
  const next = rootKeyOf(f, 'new-root-key-file', 'KMSBOX_NEW_PASSPHRASE');
  await FileProvider.changeRootKey({
    path,
    ...current,
    ...('rootKeyFile' in next ? { newRootKeyFile: next.rootKeyFile } : { newPassphrase: next.passphrase }),
  });
  console.log(`${path}: re-sealed under the new root key; restart the processes that use it with the new key`);
  return 0;
}
