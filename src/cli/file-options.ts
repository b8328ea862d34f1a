/// <reference types="node" />
/**
 * The command lines of `kmsbox encrypt-file` and `kmsbox decrypt-file`, parsed with node:util
 * parseArgs. The flags follow the AWS Encryption SDK CLI (`--input`, `--output`, `--wrapping-keys
 * key=…`, `--encryption-context k=v`, `--metadata-output`, `--suffix`, `-r`), with kmsbox's own for
 * what it adds. Every mistake is a UsageError (exit 252) before any file is touched.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ValidationException } from '../errors.js';
import { checkContext, checkSegmentSize, checkSuite } from '../envelope/options.js';
import { checkTrust, type DiscoveryFilter } from '../envelope/trust.js';
import { setOwn } from '../api/set-own.js';
import { parseKeyRef } from '../keys/arn.js';
import type { KeySourceFlags } from './key-source.js';
import { UsageError } from './verbs.js';

export type FileMode = 'encrypt' | 'decrypt';

export const DEFAULT_SUFFIX = '.kmsbox';

const COMMON = {
  input: { type: 'string', short: 'i' },
  output: { type: 'string', short: 'o' },
  recursive: { type: 'boolean', short: 'r' },
  suffix: { type: 'string' },
  'encryption-context': { type: 'string', short: 'c', multiple: true },
  'metadata-output': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  overwrite: { type: 'boolean' },
  'cache-max-age': { type: 'string' },
  store: { type: 'string' },
  'root-key-file': { type: 'string' },
  'endpoint-url': { type: 'string' },
  region: { type: 'string' },
  aws: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const ENCRYPT = {
  ...COMMON,
  'key-id': { type: 'string', multiple: true },
  'wrapping-keys': { type: 'string', short: 'w', multiple: true },
  'signing-key-id': { type: 'string' },
  'segment-size': { type: 'string' },
  suite: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const DECRYPT = {
  ...COMMON,
  'key-ids': { type: 'string', multiple: true },
  'key-id': { type: 'string', multiple: true },
  'wrapping-keys': { type: 'string', short: 'w', multiple: true },
  discovery: { type: 'boolean' },
  'discovery-account': { type: 'string', multiple: true },
  'discovery-partition': { type: 'string' },
  'signer-key-ids': { type: 'string', multiple: true },
} as const satisfies ParseArgsConfig['options'];

export const FILE_HELP: Record<FileMode, string> = {
  encrypt: `usage: kmsbox encrypt-file [--input] IN|- [--output OUT|-]
         --key-id K [--key-id K ...] [-c k=v ...] [--signing-key-id K]
         [--segment-size BYTES] [--suite 1|2] [-r] [--suffix .kmsbox]
         [--overwrite] [--quiet]
         [--metadata-output FILE|-] [--cache-max-age SECONDS]
         (--store FILE [--root-key-file F] | --endpoint-url URL | --aws)
         [--region R]
  Encrypts a file, a directory tree (-r) or stdin (-) into kmsbox envelopes.
  --key-id K, --wrapping-keys key=K
        a KMS key (id, ARN, alias) that wraps the data key; repeat it: any one
        of them decrypts
  -c, --encryption-context k=v   a pair bound to the envelope (repeat it)
  --signing-key-id K     sign with this ECC SIGN_VERIFY key
  --segment-size BYTES   a power of two, 4096..16777216 (default 1048576)
  --suite 1|2            the envelope suite (default 2; 1 for kmsbox readers
                         older than suite 2)
  -o OUT                 default: IN + suffix; stdout for stdin; a directory
                         for -r (default: IN itself)
  --cache-max-age SECONDS  reuse a data key across files for this long
  --metadata-output      one JSON line per file: what was done to it`,
  decrypt: `usage: kmsbox decrypt-file [--input] IN|- [--output OUT|-]
         (--key-ids K[,K...] | --discovery [--discovery-account ID ...]
                                           [--discovery-partition aws])
         [-c k=v ...] [--signer-key-ids K[,K...]] [-r] [--suffix .kmsbox]
         [--overwrite] [--quiet] [--metadata-output FILE|-]
         [--cache-max-age SECONDS]
         (--store FILE [--root-key-file F] | --endpoint-url URL | --aws)
         [--region R]
  Decrypts an envelope, a tree of them (-r: the files ending in the suffix)
  or stdin (-). A file output appears (0600) only once the whole envelope
  verified; on stdout, check the exit status (README: pipes).
  --key-ids K[,K]     the KMS keys (key ids or ARNs, not aliases) trusted to
                      unwrap the data key
  --discovery         any key the envelope names (its author picks the key)
  -c, --encryption-context k=v   a pair the envelope must have (repeat it)
  --signer-key-ids K  require a signature by one of these keys
  -o OUT              default: IN without the suffix; stdout for stdin`,
};

export interface FileOptions {
  readonly mode: FileMode;
  readonly input: string;
  readonly output: string | undefined;
  readonly recursive: boolean;
  readonly suffix: string;
  readonly encryptionContext: Record<string, string>;
  readonly metadataOutput: string | undefined;
  readonly quiet: boolean;
  readonly overwrite: boolean;
  readonly cacheMaxAgeMs: number | undefined;
  readonly source: KeySourceFlags;
  // encrypt
  readonly keyIds: readonly string[];
  readonly signingKeyId: string | undefined;
  readonly segmentSize: number | undefined;
  readonly suite: 1 | 2 | undefined;
  // decrypt
  readonly trust: { keyIds: string[] } | { discovery: true | DiscoveryFilter } | undefined;
  readonly signerKeyIds: readonly string[] | undefined;
}

/** Values of a repeatable flag, each also split on commas (`--key-ids a,b --key-ids c`). */
const listOf = (values: readonly string[] | undefined): string[] => (values ?? []).flatMap((v) => v.split(',')).filter((v) => v !== '');

/** `--wrapping-keys key=K` as the AWS Encryption SDK CLI writes it (or a bare K). */
function wrappingKeys(values: readonly string[] | undefined): string[] {
  return (values ?? []).map((v) => {
    if (v.startsWith('key=')) return v.slice(4);
    if (/^[a-z-]+=/.test(v)) throw new UsageError(`--wrapping-keys: kmsbox takes key=KEY here, not '${v.slice(0, v.indexOf('='))}='`);
    return v;
  });
}

function contextPairs(values: readonly string[] | undefined, forWrite: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of values ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--encryption-context: expected key=value, not '${pair}'`);
    const key = pair.slice(0, eq);
    if (Object.hasOwn(out, key)) throw new UsageError(`--encryption-context: '${key}' is given twice`);
    setOwn(out, key, pair.slice(eq + 1));
  }
  return library(() => checkContext(out, forWrite), '--encryption-context');
}

/** A library check's ValidationException, as a usage mistake naming the flag. */
function library<T>(check: () => T, flag: string): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ValidationException) throw new UsageError(`${flag}: ${error.message}`);
    throw error;
  }
}

function positiveNumber(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,12}(\.\d+)?$/.test(text) || Number(text) <= 0) throw new UsageError(`${flag} must be a positive number, not '${text}'`);
  return Number(text);
}

const NO_TRUST =
  'decrypt-file needs --key-ids K[,K...] (the KMS keys you trust to unwrap the data key: key ids or ARNs, not aliases) ' +
  'or --discovery (any key the envelope names), optionally limited with --discovery-account 111122223333 --discovery-partition aws';

function decryptTrust(v: Record<string, unknown>): FileOptions['trust'] {
  const keyIds = [
    ...listOf(v['key-ids'] as string[] | undefined),
    ...listOf(v['key-id'] as string[] | undefined),
    ...wrappingKeys(v['wrapping-keys'] as string[] | undefined),
  ];
  const accounts = listOf(v['discovery-account'] as string[] | undefined);
  const partition = v['discovery-partition'] as string | undefined;
  const discovering = v.discovery === true;
  if (!discovering && (accounts.length > 0 || partition !== undefined))
    throw new UsageError('--discovery-account and --discovery-partition go with --discovery');
  if (keyIds.length > 0 && discovering) throw new UsageError('give --key-ids or --discovery, not both');
  if (keyIds.length === 0 && !discovering) throw new UsageError(NO_TRUST);
  if (keyIds.length > 0) {
    library(() => checkTrust(keyIds, undefined), '--key-ids');
    return { keyIds };
  }
  if (accounts.length === 0 && partition === undefined) return { discovery: true };
  const filter = { accountIds: accounts, partition: partition ?? 'aws' };
  library(() => checkTrust(undefined, filter), '--discovery-account');
  return { discovery: filter };
}

/** The options of `kmsbox encrypt-file|decrypt-file ARGS`; `undefined` when --help was asked. */
export function parseFileArgs(mode: FileMode, args: string[]): FileOptions | undefined {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: mode === 'encrypt' ? ENCRYPT : DECRYPT, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const v = parsed.values;
  if (v.help === true) return undefined;
  const positionals = [...parsed.positionals];
  const input = (v.input as string | undefined) ?? positionals.shift();
  const output = (v.output as string | undefined) ?? positionals.shift();
  if (positionals.length > 0) {
    const extra = positionals[0]!;
    throw new UsageError(
      extra.includes('=') ? `unexpected argument '${extra}' (repeat -c for each pair: -c a=1 -c b=2)` : `unexpected argument '${extra}'`,
    );
  }
  if (input === undefined || input === '') throw new UsageError(`${mode}-file needs an input: a file, a directory with -r, or - for stdin`);
  const suffix = (v.suffix as string | undefined) ?? DEFAULT_SUFFIX;
  if (suffix === '' || suffix.includes('/')) throw new UsageError('--suffix must be a non-empty file name ending, such as .kmsbox');
  const metadataOutput = v['metadata-output'] as string | undefined;
  if (metadataOutput === '-' && (output === '-' || (output === undefined && input === '-')))
    throw new UsageError('--metadata-output - and the data cannot both go to stdout');
  const cacheSeconds = positiveNumber(v['cache-max-age'] as string | undefined, '--cache-max-age');
  const common = {
    mode,
    input,
    output,
    recursive: v.recursive === true,
    suffix,
    encryptionContext: contextPairs(v['encryption-context'] as string[] | undefined, mode === 'encrypt'),
    metadataOutput,
    quiet: v.quiet === true,
    overwrite: v.overwrite === true,
    cacheMaxAgeMs: cacheSeconds === undefined ? undefined : cacheSeconds * 1000,
    source: {
      store: v.store as string | undefined,
      'root-key-file': v['root-key-file'] as string | undefined,
      'endpoint-url': v['endpoint-url'] as string | undefined,
      region: v.region as string | undefined,
      aws: v.aws as boolean | undefined,
    },
  };
  if (mode === 'encrypt') {
    const keyIds = [...((v['key-id'] as string[] | undefined) ?? []), ...wrappingKeys(v['wrapping-keys'] as string[] | undefined)];
    if (keyIds.length === 0)
      throw new UsageError('encrypt-file needs --key-id K (or --wrapping-keys key=K): the KMS key that wraps the data key');
    const sizeText = v['segment-size'] as string | undefined;
    let segmentSize: number | undefined;
    if (sizeText !== undefined) {
      segmentSize = /^\d{1,9}$/.test(sizeText) ? Number(sizeText) : Number.NaN;
      library(() => checkSegmentSize(segmentSize), '--segment-size');
    }
    const suiteText = v.suite as string | undefined;
    const suite =
      suiteText === undefined
        ? undefined
        : library(() => checkSuite(/^\d{1,3}$/.test(suiteText) ? Number(suiteText) : suiteText), '--suite');
    return {
      ...common,
      keyIds,
      signingKeyId: v['signing-key-id'] as string | undefined,
      segmentSize,
      suite,
      trust: undefined,
      signerKeyIds: undefined,
    };
  }
  const signers = v['signer-key-ids'] === undefined ? undefined : listOf(v['signer-key-ids'] as string[]);
  // The library refuses aliases here too (src/envelope/options.ts), but only once a file is opened: a usage mistake, so 252 now.
  if (signers?.some((s) => parseKeyRef(s)?.kind !== 'key'))
    throw new UsageError('--signer-key-ids: signerKeyIds must list key ARNs or key ids (not aliases).');
  return {
    ...common,
    keyIds: [],
    signingKeyId: undefined,
    segmentSize: undefined,
    suite: undefined,
    trust: decryptTrust(v),
    signerKeyIds: signers,
  };
}
