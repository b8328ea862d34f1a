/// <reference types="node" />
/**
 * Where the file commands' KMS keys are: a key-store file (`--store`, as the verbs take it), a
 * server (`--endpoint-url`, e.g. `kmsbox serve`), or AWS KMS (`--aws`, through the AWS SDK the user
 * installed: kmsbox does not depend on it). Exactly one is chosen; none is a usage mistake (an
 * implicit AWS would send a local file's data keys to whatever account the environment names).
 */
import { Kms } from '../kms.js';
import { FileProvider } from '../providers/file.js';
import type { KmsClientLike, KmsLike } from '../envelope/kms-like.js';
import { EndpointKms, cliRegion } from './endpoint.js';
import { UsageError } from './verbs.js';

/**
 * `--store FILE`: keys persist in a FileProvider store, its root key from `--root-key-file` or
 * the KMSBOX_PASSPHRASE environment variable (never a flag: flags show in `ps`).
 */
export function storeProvider(f: ReadonlyMap<string, string>): FileProvider | undefined {
  const path = f.get('store');
  if (path === undefined) {
    if (f.has('root-key-file')) throw new UsageError('--root-key-file goes with --store');
    return undefined;
  }
  const rootKeyFile = f.get('root-key-file');
  const passphrase = process.env.KMSBOX_PASSPHRASE;
  if (rootKeyFile === undefined && !passphrase)
    throw new UsageError('--store needs --root-key-file FILE or the KMSBOX_PASSPHRASE environment variable');
  return rootKeyFile !== undefined ? new FileProvider({ path, rootKeyFile }) : new FileProvider({ path, passphrase: passphrase! });
}

export interface KeySourceFlags {
  readonly store?: string | undefined;
  readonly 'root-key-file'?: string | undefined;
  readonly 'endpoint-url'?: string | undefined;
  readonly region?: string | undefined;
  readonly aws?: boolean | undefined;
}

/** The package `--aws` loads; a variable so that bundlers leave the import to run time. */
export const AWS_SDK_MODULE = '@aws-sdk/client-kms';

const NO_SOURCE =
  'give the keys: --store FILE (or KMSBOX_STORE) for a key-store file, --endpoint-url URL (or KMSBOX_ENDPOINT_URL) for a server such as kmsbox serve, or --aws for AWS KMS';

/** The KMS the file commands use, from the flags (and KMSBOX_STORE / KMSBOX_ENDPOINT_URL). */
export async function openKeySource(f: KeySourceFlags): Promise<KmsLike | KmsClientLike> {
  const endpoint = f['endpoint-url'] ?? (process.env.KMSBOX_ENDPOINT_URL || undefined);
  const store = f.store ?? (f['endpoint-url'] === undefined && !f.aws ? process.env.KMSBOX_STORE || undefined : undefined);
  const given = [f.store !== undefined, f['endpoint-url'] !== undefined, f.aws === true].filter(Boolean).length;
  if (given > 1) throw new UsageError('give one of --store, --endpoint-url and --aws');
  if (f.aws) {
    if (f['root-key-file'] !== undefined) throw new UsageError('--root-key-file goes with --store');
    return loadAwsKms(AWS_SDK_MODULE, f.region);
  }
  if (f['endpoint-url'] !== undefined || (store === undefined && endpoint !== undefined)) {
    const url = endpoint!;
    if (!/^https?:\/\/./.test(url) || !URL.canParse(url))
      throw new UsageError(`Bad value for --endpoint-url ${url}: expected an http:// or https:// URL`);
    if (f['root-key-file'] !== undefined) throw new UsageError('--root-key-file goes with --store');
    return new EndpointKms(url, cliRegion(f.region));
  }
  if (store === undefined) throw new UsageError(NO_SOURCE);
  const flags = new Map([['store', store]]);
  if (f['root-key-file'] !== undefined) flags.set('root-key-file', f['root-key-file']);
  return new Kms({ region: cliRegion(f.region), provider: storeProvider(flags) });
}

/**
 * A KMSClient of the user's @aws-sdk/client-kms with the SDK's default credential chain and region
 * (`--region` overrides the region). Not installed: a usage mistake that says how to install it.
 */
export async function loadAwsKms(moduleName: string, region: string | undefined): Promise<KmsClientLike> {
  let sdk: { KMSClient?: new (config: object) => KmsClientLike };
  try {
    sdk = await import(/* @vite-ignore */ moduleName);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new UsageError(
        `--aws needs the AWS SDK for JavaScript v3: npm install ${moduleName} (an optional peer dependency of kmsbox; it brings the default credential chain and region)`,
      );
    }
    throw error;
  }
  if (typeof sdk.KMSClient !== 'function') throw new UsageError(`${moduleName} has no KMSClient: is it @aws-sdk/client-kms v3?`);
  if (region !== undefined) cliRegion(region);
  return new sdk.KMSClient(region === undefined ? {} : { region });
}
