/// <reference types="node" />
/**
 * `kmsbox encrypt-file`, `kmsbox decrypt-file` and `kmsbox inspect`: envelopes for files, directory
 * trees and pipes, on a key-store file, a server or AWS KMS (src/cli/key-source.ts). The anchor is
 * the AWS Encryption SDK CLI (`aws-encryption-cli --encrypt --input … --output …`).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { KMSServiceException } from '../errors.js';
import { DataKeyCache } from '../envelope/cache.js';
import { createEncryptStream } from '../envelope/encrypt.js';
import { inspectEnvelope } from '../envelope/decrypt.js';
import { LIMITS, MAC_ITEM_BYTES } from '../envelope/format.js';
import type { KmsClientLike, KmsLike } from '../envelope/kms-like.js';
import type { DecryptOptions } from '../envelope/options.js';
import { EnvelopeReader } from '../envelope/reader.js';
import { EndpointUnreachable, EXIT_CONNECTION } from './endpoint.js';
import { FileError, fileError, fileSink, type Sink, sourceStream, stdoutSink } from './file-io.js';
import { FILE_HELP, type FileMode, type FileOptions, parseFileArgs } from './file-options.js';
import { openKeySource } from './key-source.js';
import { Progress } from './progress.js';
import { UsageError } from './verbs.js';

/** One file to do: `-` is stdin or stdout; `size` is known for a regular file. */
interface Job {
  readonly input: string;
  readonly output: string;
  readonly size: number | undefined;
  /** Part of a directory tree: the output's directories are made as needed. */
  readonly inTree?: boolean;
}

/**
 * The failure itself: the envelope code wraps what is not a kmsbox error (an unreachable endpoint,
 * an AWS SDK error) in KMSInternalException with the original on `cause` (src/envelope/invalid.ts).
 */
function unwrap(error: unknown): unknown {
  let e = error;
  while (e instanceof KMSServiceException && e.name === 'KMSInternalException' && e.cause !== undefined) e = e.cause;
  return e;
}

/** The AWS CLI's exit codes (README, "Exit codes"), and 1 for a file that cannot be read or written. */
export function exitCodeOf(failure: unknown): number {
  const error = unwrap(failure);
  if (error instanceof UsageError) return 252;
  if (error instanceof FileError) return 1;
  if (error instanceof EndpointUnreachable) return EXIT_CONNECTION;
  if (error instanceof KMSServiceException) return 254;
  const e = error as { $metadata?: unknown; code?: unknown; name?: unknown };
  // An AWS SDK error: answered by the service ($metadata with a status), or the network failed.
  if (typeof e?.$metadata === 'object' && e.$metadata !== null && 'httpStatusCode' in e.$metadata) return 254;
  if ((typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code)) || e?.name === 'TimeoutError') return EXIT_CONNECTION;
  return 1;
}

export function errorText(failure: unknown): string {
  const error = unwrap(failure);
  const e = error as Error;
  if (error instanceof UsageError || error instanceof FileError || error instanceof EndpointUnreachable) return e.message;
  return `${e?.name ?? 'Error'}: ${e?.message || '(no message)'}`;
}

/** realpath of a path that may not exist yet (its directory's realpath, then the name). */
async function canonical(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return join(await realpath(dirname(resolve(path))).catch(() => dirname(resolve(path))), basename(path));
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}

/** The files under `dir` (regular files only: symbolic links and devices are skipped), sorted. */
async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

/** What a name becomes: encrypting adds the suffix, decrypting takes it off. */
function renamed(o: FileOptions, name: string): string | undefined {
  if (o.mode === 'encrypt') return name + o.suffix;
  return name.endsWith(o.suffix) && name.length > o.suffix.length ? name.slice(0, -o.suffix.length) : undefined;
}

/** The jobs for the command line, every output checked not to be its input. */
async function plan(o: FileOptions): Promise<Job[]> {
  if (o.input === '-') {
    const output = o.output ?? '-';
    if (output !== '-' && (await isDirectory(output))) throw new UsageError(`--output ${output} is a directory; stdin needs a file or -`);
    if (output === '-' && o.mode === 'encrypt' && process.stdout.isTTY)
      throw new UsageError('refusing to write an envelope to a terminal: redirect stdout or give --output FILE');
    return [{ input: '-', output, size: undefined }];
  }
  // The input itself may be a link (the user named it); links inside a tree are not followed.
  const info = await stat(o.input).catch((error: unknown) => {
    throw new UsageError(fileError(error, `cannot read ${o.input}`).message);
  });
  let jobs: Job[];
  if (info.isDirectory()) {
    if (!o.recursive) throw new UsageError(`${o.input} is a directory: give -r (--recursive) to ${o.mode} the files under it`);
    const outDir = o.output ?? o.input;
    if (outDir === '-') throw new UsageError('a directory cannot go to stdout: give --output DIR');
    if ((await stat(outDir).catch(() => undefined))?.isDirectory() === false) throw new UsageError(`--output ${outDir} is not a directory`);
    const inside = relative(await canonical(o.input), await canonical(outDir));
    const outInside = inside !== '' && !inside.startsWith('..') && !inside.startsWith(sep);
    jobs = [];
    for (const file of await walk(o.input)) {
      const rel = relative(o.input, file);
      if (outInside && (rel === inside || rel.startsWith(inside + sep))) continue; // a previous run's output
      const name = renamed(o, basename(rel));
      if (name === undefined) continue; // decrypting: only the files with the suffix
      jobs.push({ input: file, output: join(outDir, dirname(rel), name), size: undefined, inTree: true });
    }
  } else if (info.isFile()) {
    let output = o.output;
    const name = renamed(o, basename(o.input));
    if (output === undefined || (output !== '-' && (await isDirectory(output)))) {
      if (name === undefined) throw new UsageError(`${o.input} does not end in ${o.suffix}: give --output FILE (or --suffix)`);
      output = output === undefined ? join(dirname(o.input), name) : join(output, name);
    }
    jobs = [{ input: o.input, output, size: info.size }];
  } else {
    throw new UsageError(`${o.input} is not a regular file or a directory`);
  }
  for (const job of jobs) {
    if (job.output === '-') continue;
    const same = (await canonical(job.input)) === (await canonical(job.output));
    const target = await stat(job.output).catch(() => undefined);
    const source = await stat(job.input).catch(() => undefined);
    if (same || (target && source && target.ino === source.ino && target.dev === source.dev))
      throw new UsageError(`${job.output} is the input ${job.input}: kmsbox never writes over its input`);
  }
  return jobs;
}

/** What --metadata-output records for one file (JSON Lines). */
type Record_ = Record<string, unknown>;

/**
 * Plaintext from envelope bytes, through the EnvelopeReader itself rather than createDecryptStream,
 * so that the metadata can say which key unwrapped the data key and who signed.
 */
function decryptTransform(opts: DecryptOptions): { stream: TransformStream<Uint8Array, Uint8Array>; facts: () => Record_ } {
  const reader = new EnvelopeReader(opts);
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform: (chunk, controller) => reader.push(chunk, (p) => controller.enqueue(p)),
    flush: (controller) => reader.end((p) => controller.enqueue(p)),
  });
  const facts = (): Record_ => ({
    keyId: reader.session?.keyId,
    encryptionContext: reader.session?.encryptionContext,
    segmentSize: reader.session?.segmentSize,
    signature: reader.signerKeyId === undefined ? 'none' : 'verified',
    ...(reader.signerKeyId === undefined ? {} : { signerKeyId: reader.signerKeyId }),
  });
  return { stream, facts };
}

/** The output directories this run made (or found): one mkdir each, not one per file. */
const madeDirectories = new Set<string>();

async function runJob(
  job: Job,
  o: FileOptions,
  kms: KmsLike | KmsClientLike,
  cache: DataKeyCache | undefined,
  progress: Progress,
): Promise<Record_> {
  let bytesIn = 0;
  let bytesOut = 0;
  let transform: TransformStream<Uint8Array, Uint8Array>;
  let facts: () => Record_;
  if (o.mode === 'encrypt') {
    transform = createEncryptStream({
      kms,
      keyId: o.keyIds,
      encryptionContext: o.encryptionContext,
      ...(o.segmentSize === undefined ? {} : { segmentSize: o.segmentSize }),
      ...(o.suite === undefined ? {} : { suite: o.suite }),
      ...(o.signingKeyId === undefined ? {} : { signingKeyId: o.signingKeyId }),
      ...(cache === undefined ? {} : { cache }),
    });
    facts = () => ({
      keyIds: o.keyIds,
      encryptionContext: o.encryptionContext,
      segmentSize: o.segmentSize ?? 2 ** LIMITS.segmentSizeLog2.default,
      ...(o.signingKeyId === undefined ? {} : { signingKeyId: o.signingKeyId }),
    });
  } else {
    const trust = o.trust!;
    ({ stream: transform, facts } = decryptTransform({
      kms,
      encryptionContext: o.encryptionContext,
      ...('keyIds' in trust ? { keyIds: trust.keyIds } : { discovery: trust.discovery }),
      ...(o.signerKeyIds === undefined ? {} : { signerKeyIds: o.signerKeyIds }),
      ...(cache === undefined ? {} : { cache }),
    }));
  }
  // A tree's files are sized here, one at a time, so that the bar has a total and the read buffer fits.
  const size = job.size ?? (job.input === '-' ? undefined : (await stat(job.input).catch(() => undefined))?.size);
  progress.start(job.input === '-' ? 'stdin' : job.input, size);
  if (job.inTree && !madeDirectories.has(dirname(job.output))) {
    await mkdir(dirname(job.output), { recursive: true, mode: 0o700 }).catch(() => {});
    madeDirectories.add(dirname(job.output));
  }
  const counted = (n: number) => {
    bytesOut += n;
  };
  const sink: Sink = job.output === '-' ? stdoutSink(counted) : await fileSink(job.output, o.overwrite, counted);
  const source = sourceStream(
    job.input,
    (n) => {
      bytesIn += n;
      progress.add(n);
    },
    size,
  );
  try {
    await source.pipeThrough(transform).pipeTo(sink.stream);
    await sink.commit();
  } catch (error) {
    await sink.abort();
    progress.finish(false);
    throw error;
  }
  progress.finish(true);
  return { mode: o.mode, input: job.input, output: job.output, status: 'ok', bytesIn, bytesOut, ...facts() };
}

/** --metadata-output: a file (appended, 0600) or stdout. */
function openMetadata(path: string | undefined): { write(record: Record_): void; close(): Promise<void> } {
  if (path === undefined) return { write() {}, close: async () => {} };
  const out: WriteStream | NodeJS.WriteStream = path === '-' ? process.stdout : createWriteStream(path, { flags: 'a', mode: 0o600 });
  let failure: unknown;
  out.on('error', (error) => {
    failure = error;
  });
  return {
    write: (record) => {
      out.write(`${JSON.stringify(record)}\n`);
    },
    close: () =>
      new Promise((done, fail) => {
        if (out === process.stdout) return done();
        out.end(() => (failure === undefined ? done() : fail(fileError(failure, `cannot write ${path}`))));
        if (failure !== undefined) fail(fileError(failure, `cannot write ${path}`));
      }),
  };
}

/** `kmsbox encrypt-file ARGS` / `kmsbox decrypt-file ARGS`: the exit code. */
export async function fileCommand(mode: FileMode, args: string[]): Promise<number> {
  const o = parseFileArgs(mode, args);
  if (o === undefined) {
    console.log(FILE_HELP[mode]);
    return 0;
  }
  const jobs = await plan(o);
  const kms = await openKeySource(o.source);
  const cache = o.cacheMaxAgeMs === undefined ? undefined : new DataKeyCache({ maxAgeMs: o.cacheMaxAgeMs });
  const progress = new Progress(process.stderr, o.quiet);
  const metadata = openMetadata(o.metadataOutput);
  let code = 0;
  let failed = 0;
  for (const job of jobs) {
    try {
      metadata.write(await runJob(job, o, kms, cache, progress));
    } catch (error) {
      failed++;
      const exit = exitCodeOf(error);
      if (code === 0) code = exit;
      const where = job.input === '-' ? 'stdin' : job.input;
      console.error(`kmsbox: ${mode}-file ${where}: ${errorText(error)}`);
      const e = unwrap(error) as Error;
      metadata.write({ mode, input: job.input, output: job.output, status: 'failed', error: { name: e?.name, message: e?.message } });
      // The keys cannot be reached at all: the other files would fail the same way.
      if (exit === EXIT_CONNECTION || exit === 252) break;
    }
  }
  await metadata.close();
  progress.summary(mode === 'encrypt' ? 'encrypted' : 'decrypted', failed);
  return code;
}

/** Enough bytes for the largest header a reader accepts, and its MAC item. */
const INSPECT_BYTES = LIMITS.headerBytesHardCap + MAC_ITEM_BYTES;

async function readPrefix(path: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (path === '-') {
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= INSPECT_BYTES) break;
    }
    return Buffer.concat(chunks).subarray(0, INSPECT_BYTES);
  }
  const handle = await open(path, 'r').catch((error: unknown) => {
    throw new UsageError(fileError(error, `cannot read ${path}`).message);
  });
  try {
    const buffer = new Uint8Array(INSPECT_BYTES);
    while (total < INSPECT_BYTES) {
      const { bytesRead } = await handle.read(buffer, total, INSPECT_BYTES - total, null);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    return buffer.subarray(0, total);
  } catch (error) {
    throw fileError(error, `cannot read ${path}`);
  } finally {
    await handle.close();
  }
}

export const INSPECT_HELP = `usage: kmsbox inspect FILE|-
  An envelope's header, without any key: recipients, encryption context,
  segment size, signer. Nothing in it is authenticated until a decrypt
  verifies the header ("verified": false).`;

/** `kmsbox inspect FILE`: the header facts as JSON. */
export async function inspectCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(INSPECT_HELP);
    return 0;
  }
  if (args.length !== 1 || (args[0]!.startsWith('-') && args[0] !== '-')) throw new UsageError(INSPECT_HELP);
  const path = args[0]!;
  const info = inspectEnvelope(await readPrefix(path));
  console.log(
    JSON.stringify(
      {
        suite: info.suite.name,
        messageId: Buffer.from(info.messageId).toString('hex'),
        segmentSize: info.segmentSize,
        recipients: info.recipients.map((r) => ({
          type: r.type === 1 ? 'kms' : r.type,
          keyId: r.keyId ?? null,
          wrappedBytes: r.wrappedBytes,
        })),
        encryptionContext: info.encryptionContext,
        contextStored: info.contextStored,
        signed: info.signer !== undefined,
        ...(info.signer === undefined ? {} : { signer: info.signer }),
        headerLength: info.headerLength,
        verified: info.verified,
      },
      null,
      4,
    ),
  );
  return 0;
}
