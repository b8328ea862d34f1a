/// <reference types="node" />
/**
 * The `kmsbox` command. `kmsbox serve [--port N] [--host H] [--store FILE | --postgres URL]`: a
 * local KMS endpoint for the AWS CLI and SDKs, its keys in memory, in a FileProvider store or in
 * PostgreSQL (src/cli/postgres.ts).
 */
import { KMSServiceException } from '../errors.js';
import { Kms } from '../kms.js';
import { parseArguments, render, toInput, UsageError, VERBS, verbHelp } from './verbs.js';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { storeProvider } from './key-source.js';
import { checkBlobFileSizes } from './blob-limits.js';
import { errorText, exitCodeOf, fileCommand, inspectCommand } from './file-commands.js';
import type { SigV4Credential } from '../protocol/sigv4.js';
import { ACCESS_KEY_ID } from '../protocol/sigv4-authorization.js';
import { accountOf } from '../policy/evaluate.js';
import { SERVE_DEFAULTS, startServer } from '../server/http-server.js';
import { FileAuditSink, verifyAuditLog } from '../audit/file-log.js';
import { EXIT_CONNECTION, EndpointUnreachable, callEndpoint, cliRegion } from './endpoint.js';
import type { AuditSink } from '../audit/event.js';
import { DatabaseUnavailable, postgresUrl, shownUrl } from './postgres-url.js';
import { storeCommand } from './store-commands.js';

/** src/cli/postgres.ts, loaded only by the commands that use a database (it brings the client). */
const postgresCli = () => import('./postgres.js');

const AUDIT_USAGE = 'usage: kmsbox audit verify FILE | --postgres URL [--postgres-schema NAME] [--expect-head SEQ:HASH]';

/** `kmsbox audit verify FILE`, or `kmsbox audit verify --postgres URL` for the trail in a database. */
async function audit(args: string[]): Promise<number> {
  const [sub, file, ...extra] = args;
  if (sub === 'verify' && (file === '--postgres' || file === '--postgres-schema' || file === '--expect-head'))
    return (await postgresCli()).verifyPostgresAudit(args.slice(1));
  if (sub === 'verify' && file === undefined && process.env.KMSBOX_POSTGRES_URL) return (await postgresCli()).verifyPostgresAudit([]);
  if (sub !== 'verify' || file === undefined || extra.length > 0) throw new UsageError(AUDIT_USAGE);
  const report = verifyAuditLog(file);
  if (report.ok) {
    console.log(`ok: ${report.events} events, the hash chain is intact from the first to the head`);
    return 0;
  }
  console.log(`TAMPERED or incomplete: ${file} (${report.events} lines)`);
  for (const p of report.problems) console.log(`  ${p}`);
  return 1;
}

/** Words joined by ", ", wrapped to lines of at most `width` columns after `indent`. */
function wrapList(words: readonly string[], indent: string, width = 80): string {
  const lines: string[] = [];
  let line = '';
  for (const [i, word] of words.entries()) {
    const piece = i < words.length - 1 ? `${word},` : word;
    if (line !== '' && indent.length + line.length + 1 + piece.length > width) {
      lines.push(indent + line);
      line = piece;
    } else line = line === '' ? piece : `${line} ${piece}`;
  }
  if (line !== '') lines.push(indent + line);
  return lines.join('\n');
}

const USAGE = `usage: kmsbox <verb> [options]    (kmsbox <verb> --help lists a verb's options)

Files, directories and pipes (envelope encryption, data of any size):
  encrypt-file IN [-o OUT]  encrypt a file, a directory tree (-r) or stdin (-)
  decrypt-file IN [-o OUT]  decrypt; the output appears once all of it verified
  inspect FILE              an envelope's header (recipients, context), no key
A local KMS endpoint, and its audit log:
  serve                     the AWS KMS JSON API over HTTP, for the AWS CLI/SDKs
  audit verify FILE         check an audit log's hash chain (exit 1: tampered);
                            --postgres URL instead of FILE: the database's
  db migrate --postgres URL create or upgrade kmsbox's tables in PostgreSQL
  db rotate-root-key --postgres URL    re-seal the database under a new root key
  store rotate-root-key --store FILE   re-seal a key-store file under a new one
The aws kms verbs, on --store FILE (or KMSBOX_STORE) or --endpoint-url URL:
${wrapList([...VERBS.keys()].sort(), '  ')}
Keys for the file commands: --store FILE | --endpoint-url URL | --aws (AWS KMS).
kmsbox --version prints the version. Exit codes: 0 done, 1 a file could not be
read or written, 252 a usage mistake, 254 an error from KMS or a refused
envelope, 255 the endpoint could not be reached.`;

const SERVE_HELP = `usage: kmsbox serve [--port N] [--host 127.0.0.1] [--allowed-hosts NAME,...]
         [--region us-east-1] [--account-id 111122223333]
         [--store FILE | --postgres URL [--postgres-schema NAME]
                         [--postgres-freshness notify|strict]
                         [--postgres-max-staleness-ms MS]]
         [--root-key-file FILE] [--credentials FILE]
         [--audit-log FILE|postgres|none] [--max-connections N]
         [--headers-timeout-ms MS]
         [--request-timeout-ms MS]
         [--keep-alive-timeout-ms MS] [--max-requests-per-connection N]
         [--idle-timeout-ms MS]

  Runs a local AWS KMS endpoint (awsJson1_1); point clients at it with
  --endpoint-url http://127.0.0.1:PORT (any credentials, any signature).
  Keys live in memory, or with --store in an encrypted key-store file whose root
  key comes from --root-key-file or the KMSBOX_PASSPHRASE environment variable.
  --postgres URL (or KMSBOX_POSTGRES_URL) keeps them in a PostgreSQL database
  that any number of kmsbox serve processes share; key material is encrypted
  under the root key (same two sources), which never reaches the database. The
  schema is created or upgraded on start (or by kmsbox db migrate).
  --postgres-freshness notify (the default, or KMSBOX_POSTGRES_FRESHNESS):
  requests are served from this process's copy of the records, kept fresh by
  LISTEN/NOTIFY, so a change through another process is seen once its
  notification arrives (milliseconds), and at the latest after
  --postgres-max-staleness-ms (default 1000) should notifications be lost;
  strict: every request first asks the database (a round trip), so a change
  is seen by the very next request to any process.
  --credentials FILE verifies SigV4 signatures against a JSON file of access
  keys: { "AKID": { "secretAccessKey": "...",
                    "principal": "arn:aws:iam::111122223333:role/app" } }
  On a loopback address only requests for a loopback Host (127.0.0.1, [::1],
  localhost, *.localhost) or a name in --allowed-hosts are answered (no DNS
  rebinding from a web page).
  --audit-log FILE appends every call as a CloudTrail-shaped event to a
  hash-chained JSON Lines file (fsync per event). With --postgres, events go to
  the database by default (--audit-log postgres): one hash chain for every
  process, committed before the answer; --audit-log none records nothing.
  Connection limits (positive integers; defaults: ${SERVE_DEFAULTS.maxConnections} connections, headers
  within ${SERVE_DEFAULTS.headersTimeoutMs} ms, a whole request within ${SERVE_DEFAULTS.requestTimeoutMs} ms, keep-alive ${SERVE_DEFAULTS.keepAliveTimeoutMs} ms,
  ${SERVE_DEFAULTS.maxRequestsPerConnection} requests per connection, idle ${SERVE_DEFAULTS.idleTimeoutMs} ms).`;

/** `kmsbox --version`: this package's version (package.json beside src/ or dist/) and Node's. */
function version(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'kmsbox' && typeof pkg.version === 'string') return `kmsbox/${pkg.version} node/${process.version}`;
    } catch {
      // not here: one directory up
    }
  }
  return `kmsbox/unknown node/${process.version}`;
}

/**
 * `kmsbox serve`'s flags, parsed by node:util parseArgs (strict: every flag takes a value, no
 * positional arguments), its errors worded as before: `unexpected argument 'x'`, `unknown option
 * --x`, `--x needs a value`.
 */
function serveFlags(args: string[]): Map<string, string> {
  const options = Object.fromEntries(SERVE_FLAGS.map((name) => [name, { type: 'string' as const }]));
  try {
    // `--flag -5` is the value -5 (then refused by its own check, with its own message), as before:
    // parseArgs alone would call it ambiguous. A value starting with -- is still a missing value.
    const joined: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const next = args[i + 1];
      if (SERVE_FLAGS.includes(a.slice(2)) && a.startsWith('--') && next?.startsWith('-') && !next.startsWith('--')) {
        joined.push(`${a}=${next}`);
        i++;
      } else joined.push(a);
    }
    const { values } = parseArgs({ args: joined, options, strict: true, allowPositionals: false });
    return new Map(Object.entries(values).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`unexpected argument '${quoted}'`);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${quoted}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(`${quoted.split(' ')[0]} needs a value`);
    throw error;
  }
}

/**
 * `--credentials FILE`: signatures are verified against these keys. JSON:
 * `{ "<access key id>": { "secretAccessKey": "…", "principal": "arn:aws:iam::111122223333:role/app" } }`.
 */
function readCredentials(path: string): Map<string, SigV4Credential> {
  let parsed: unknown;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--credentials ${path}: ${(error as Error).message}`);
  }
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the text around the mistake, which here is a secret key.
    throw new UsageError(`--credentials ${path}: not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError(`--credentials ${path}: expected a JSON object of access keys`);
  const out = new Map<string, SigV4Credential>();
  for (const [id, v] of Object.entries(parsed)) {
    const c = v as { secretAccessKey?: unknown; principal?: unknown };
    if (typeof c?.secretAccessKey !== 'string' || (c.principal !== undefined && typeof c.principal !== 'string')) {
      throw new UsageError(`--credentials ${path}: ${id} needs a string secretAccessKey (and optionally a string principal)`);
    }
    const problem = credentialProblem(id, c.secretAccessKey, c.principal as string | undefined);
    if (problem !== undefined) throw new UsageError(`--credentials ${path}: ${problem}`);
    out.set(
      id,
      c.principal === undefined
        ? { secretAccessKey: c.secretAccessKey }
        : { secretAccessKey: c.secretAccessKey, principal: c.principal as string },
    );
  }
  return out;
}

/** An IAM or STS principal ARN, which names its account (a bare account id or `*` is not a caller). */
const PRINCIPAL_ARN = /^arn:aws[\w-]*:(?:iam|sts)::\d{12}:.+$/;

/**
 * What makes a credentials-file entry mean something other than it seems, if anything: an access
 * key id no Authorization header can carry, an empty secret (anyone knowing the id could sign), a
 * principal that is not an IAM or STS ARN, or a 12-digit access key id that names another account
 * than its principal's (requests act in the principal's account: src/protocol/wire-handler.ts).
 */
function credentialProblem(id: string, secret: string, principal: string | undefined): string | undefined {
  if (!ACCESS_KEY_ID.test(id)) return `'${id}' is not an access key id (1 to 128 letters, digits or _)`;
  if (secret === '') return `${id} needs a non-empty secretAccessKey`;
  if (principal === undefined) return undefined;
  if (!PRINCIPAL_ARN.test(principal))
    return `${id}'s principal '${principal}' is not an IAM or STS ARN such as arn:aws:iam::111122223333:role/app`;
  const account = accountOf(principal)!;
  if (/^\d{12}$/.test(id) && id !== account) {
    return `${id} is an account id, but its principal ${principal} is in account ${account} (the principal's account is the one its requests act in)`;
  }
  return undefined;
}

/** `kmsbox serve`'s flags for startServer's connection limits (README: "Limits of kmsbox serve"). */
const LIMIT_FLAGS = {
  'max-connections': 'maxConnections',
  'headers-timeout-ms': 'headersTimeoutMs',
  'request-timeout-ms': 'requestTimeoutMs',
  'keep-alive-timeout-ms': 'keepAliveTimeoutMs',
  'max-requests-per-connection': 'maxRequestsPerConnection',
  'idle-timeout-ms': 'idleTimeoutMs',
} as const satisfies Record<string, keyof typeof SERVE_DEFAULTS>;

/** Every flag of `kmsbox serve` (each takes a value). */
const SERVE_FLAGS = [
  'port',
  'host',
  'allowed-hosts',
  'region',
  'account-id',
  'store',
  'postgres',
  'postgres-schema',
  'postgres-freshness',
  'postgres-max-staleness-ms',
  'root-key-file',
  'credentials',
  'audit-log',
  ...Object.keys(LIMIT_FLAGS),
];

/** The limits given on the command line: each a positive integer, the headers timeout no longer than the request timeout. */
function serveLimits(f: Map<string, string>): Partial<Record<keyof typeof SERVE_DEFAULTS, number>> {
  const out: Partial<Record<keyof typeof SERVE_DEFAULTS, number>> = {};
  for (const [flag, option] of Object.entries(LIMIT_FLAGS)) {
    const text = f.get(flag);
    if (text === undefined) continue;
    const value = /^\d{1,15}$/.test(text) ? Number(text) : 0;
    if (value < 1) throw new UsageError(`--${flag} must be a positive integer, not '${text}'`);
    out[option] = value;
  }
  const headers = out.headersTimeoutMs ?? SERVE_DEFAULTS.headersTimeoutMs;
  const request = out.requestTimeoutMs ?? SERVE_DEFAULTS.requestTimeoutMs;
  if (headers > request) throw new UsageError(`--headers-timeout-ms (${headers}) must not exceed --request-timeout-ms (${request})`);
  return out;
}

async function serve(args: string[]): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(SERVE_HELP);
    return;
  }
  const f = serveFlags(args);
  const limits = serveLimits(f);
  // KMSBOX_POSTGRES_URL applies when no --store is given (an explicit flag wins over the environment).
  const database = postgresUrl(f, !f.has('store'));
  if (database !== undefined && f.has('store')) throw new UsageError('give one of --store and --postgres');
  for (const flag of ['postgres-schema', 'postgres-freshness', 'postgres-max-staleness-ms']) {
    if (database === undefined && f.has(flag)) throw new UsageError(`--${flag} goes with --postgres`);
  }
  const auditLog = f.get('audit-log');
  if (database === undefined && auditLog === 'postgres') throw new UsageError('--audit-log postgres goes with --postgres');
  const credentials = f.has('credentials') ? readCredentials(f.get('credentials')!) : undefined;
  const port = Number(f.get('port') ?? 0);
  if (!/^\d{1,5}$/.test(f.get('port') ?? '0') || port > 65535) throw new UsageError(`--port must be 0..65535`);
  const cli = database === undefined ? undefined : await postgresCli();
  const pg = cli === undefined ? undefined : await cli.openPostgresProvider(database!, f);
  const provider = pg ?? storeProvider(f);
  let sink: AuditSink | undefined = pg === undefined ? undefined : cli!.postgresAuditSink(pg, f);
  if (sink === undefined && auditLog !== undefined && auditLog !== 'none' && auditLog !== 'postgres') sink = new FileAuditSink(auditLog);
  const kms = new Kms({
    region: f.get('region'),
    accountId: f.get('account-id'),
    provider,
    ...(sink ? { audit: sink } : {}),
  });
  const server = await startServer(kms, {
    port,
    host: f.get('host') ?? '127.0.0.1',
    ...limits,
    ...(f.has('allowed-hosts')
      ? {
          allowedHosts: f
            .get('allowed-hosts')!
            .split(',')
            .filter((h) => h !== ''),
        }
      : {}),
    ...(credentials ? { verify: { credentials: (id: string) => credentials.get(id) } } : {}),
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`kmsbox: ${signal}, finishing in-flight requests`);
    void server
      .close()
      .then(() => pg?.close())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  if (database !== undefined)
    console.log(
      `kmsbox: keys in PostgreSQL ${shownUrl(database)}; audit events ${sink === undefined ? 'not recorded' : sink instanceof FileAuditSink ? `to ${auditLog}` : 'to the database'}`,
    );
  // Announce only once the handlers are in place: a supervisor that signals as soon as it reads this line
  // must get a clean shutdown, not the default kill.
  console.log(`kmsbox listening on ${server.url} (region ${kms.region}, account ${kms.accountId})`);
}

/** One `aws kms`-style verb, on a key-store file or a server. */
async function verb(operation: string, args: string[]): Promise<number> {
  if (args.includes('--help')) {
    console.log(verbHelp(operation));
    return 0;
  }
  // Everything about the command line is checked here, before any request is sent; a file too large
  // for the operation before it is read.
  checkBlobFileSizes(operation, args);
  const { request, globals } = parseArguments(operation, args);
  const endpoint = globals.get('endpoint-url') ?? (process.env.KMSBOX_ENDPOINT_URL || undefined);
  if (endpoint !== undefined && !globals.has('endpoint-url')) {
    if (!/^https?:\/\/./.test(endpoint) || !URL.canParse(endpoint))
      throw new UsageError(`KMSBOX_ENDPOINT_URL '${endpoint}' is not an http:// or https:// URL`);
  }
  const region = cliRegion(globals.get('region'));
  let output: unknown;
  try {
    if (endpoint !== undefined) {
      output = toInput(await callEndpoint(endpoint, operation, request, region));
    } else {
      const store = globals.get('store') ?? process.env.KMSBOX_STORE;
      if (store === undefined)
        throw new UsageError('give --store FILE (or KMSBOX_STORE) for a key-store file, or --endpoint-url URL for a server');
      const flags = new Map([
        ['store', store],
        ...(globals.has('root-key-file') ? [['root-key-file', globals.get('root-key-file')!] as [string, string]] : []),
      ]);
      const kms = new Kms({ region, provider: storeProvider(flags) });
      output = await kms.invoke(operation, toInput(request));
    }
  } catch (error) {
    if (error instanceof EndpointUnreachable) {
      console.error(`kmsbox: ${error.message}`);
      return EXIT_CONNECTION;
    }
    if (error instanceof KMSServiceException) {
      console.error(`\nAn error occurred (${error.name}) when calling the ${operation} operation: ${error.message}`);
      return 254;
    }
    throw error;
  }
  const rendered = render(output, globals);
  if (rendered !== '{}') console.log(rendered);
  return 0;
}

/** A file command's failure outside any one file (the key source, the plan): its message and exit code. */
async function fileCommandExit(run: () => Promise<number>, command: string): Promise<number> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    console.error(`kmsbox: ${command}: ${errorText(error)}`);
    return exitCodeOf(error);
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const operation = command === undefined ? undefined : VERBS.get(command);
    if (operation !== undefined) return await verb(operation, rest);
    switch (command) {
      case 'serve':
        await serve(rest);
        return 0;
      case 'audit':
        return await audit(rest);
      case 'db':
        return await (await postgresCli()).dbCommand(rest);
      case 'store':
        return await storeCommand(rest);
      case 'encrypt-file':
      case 'decrypt-file':
        return await fileCommandExit(() => fileCommand(command === 'encrypt-file' ? 'encrypt' : 'decrypt', rest), command);
      case 'inspect':
        return await fileCommandExit(() => inspectCommand(rest), command);
      case '--version':
        console.log(version());
        return 0;
      case undefined:
      case '--help':
      case 'help':
        if (command === undefined) {
          // No command is a usage mistake, as `aws` alone is: the usage on stderr, exit 252.
          console.error(USAGE);
          return 252;
        }
        console.log(USAGE);
        return 0;
      default:
        throw new UsageError(`unknown command '${command}' (kmsbox --help lists the commands)`);
    }
  } catch (error) {
    const e = error as Error;
    if (e instanceof DatabaseUnavailable) {
      console.error(`kmsbox: ${e.message}`);
      return e.exitCode;
    }
    console.error(`kmsbox: ${e.name === 'Error' ? '' : `${e.name}: `}${e.message}`);
    if (e instanceof UsageError) {
      const op = command === undefined ? undefined : VERBS.get(command);
      if (op !== undefined) console.error(verbHelp(op));
      return 252;
    }
    return 1;
  }
}
