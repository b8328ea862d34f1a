/// <reference types="node" />
/**
 * The file commands' byte plumbing: a source (a file or stdin) read in 1 MiB chunks and counted,
 * and a sink that is either stdout or a temporary file beside the output, created 0600 with O_EXCL
 * and moved into place only when the whole stream closed without error (as src/envelope/files.ts
 * does for encryptFile/decryptFile). A failed or interrupted run removes its temporary file, so
 * no partial output (no unverified plaintext) is ever left under the output's name or beside it.
 */
import { createReadStream, unlinkSync } from 'node:fs';
import { type FileHandle, link, open, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** A file-system failure (reading the input, writing the output): exit 1, with the path and reason. */
export class FileError extends Error {}

const REASONS: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ENOSPC: 'No space left on device',
  EDQUOT: 'Disk quota exceeded',
  EROFS: 'Read-only file system',
  EEXIST: 'File exists (--overwrite replaces it)',
  EPIPE: 'Broken pipe',
};

export function fileError(error: unknown, doing: string): FileError {
  if (error instanceof FileError) return error;
  const code = (error as { code?: unknown })?.code;
  const reason = typeof code === 'string' ? (REASONS[code] ?? code) : (error as Error)?.message;
  return new FileError(`${doing}: ${reason}`);
}

/** Bytes per read: large enough that per-chunk costs vanish next to the cipher, small next to 128 MiB. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * The input as a web stream of chunks; `counted` sees each chunk's length as it is read. `size`,
 * when known, bounds the read buffer: a 1 MiB buffer for each 1 KiB file of a tree is mostly garbage.
 */
export function sourceStream(path: string, counted: (n: number) => void, size?: number): ReadableStream<Uint8Array> {
  const chunk = size === undefined ? CHUNK_BYTES : Math.min(CHUNK_BYTES, Math.max(size + 1, 16 * 1024));
  const node = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: chunk });
  const chunks = node[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const name = path === '-' ? 'stdin' : path;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let next: IteratorResult<Buffer>;
        try {
          next = await chunks.next();
        } catch (error) {
          throw fileError(error, `cannot read ${name}`);
        }
        if (next.done) {
          controller.close();
          return;
        }
        counted(next.value.length);
        controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.length));
      },
      async cancel() {
        await chunks.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

/** Temporary files in flight, removed if the process is interrupted (SIGINT, SIGTERM). */
const inFlight = new Set<string>();
let handlersInstalled = false;

function removeOnSignal(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const path of inFlight) {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      }
      process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const)[signal]);
    });
  }
}

/** Where the bytes go, and what to do once they all went: `commit` (or `abort` after a failure). */
export interface Sink {
  readonly stream: WritableStream<Uint8Array>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** stdout: bytes go out as they come (a pipe cannot take them back: README, "Pipes"). */
export function stdoutSink(counted: (n: number) => void): Sink {
  let failure: unknown;
  // A write that fails (a closed pipe, a full disk) also emits 'error': handled here, not a crash.
  process.stdout.on('error', (error) => {
    failure ??= error;
  });
  const stream = new WritableStream<Uint8Array>({
    write: (chunk) =>
      new Promise<void>((resolve, reject) => {
        counted(chunk.length);
        process.stdout.write(chunk, (error) => {
          if (error) {
            failure = error;
            reject(fileError(error, 'cannot write stdout'));
          } else resolve();
        });
      }),
  });
  return {
    stream,
    commit: async () => {
      if (failure !== undefined) throw fileError(failure, 'cannot write stdout');
    },
    abort: async () => {},
  };
}

/**
 * A temporary file beside `output` (same directory, so the final move is a rename), mode 0600,
 * created exclusively. `commit` moves it to `output`: with `overwrite` by rename(2) (an existing
 * file is replaced atomically), else by link(2), which fails if `output` exists, then unlink.
 */
export async function fileSink(output: string, overwrite: boolean, counted: (n: number) => void): Promise<Sink> {
  removeOnSignal();
  const temp = join(dirname(output), `.${basename(output)}.${randomBytes(6).toString('hex')}.partial`);
  let handle: FileHandle;
  try {
    handle = await open(temp, 'wx', 0o600);
  } catch (error) {
    throw fileError(error, `cannot write ${output}`);
  }
  inFlight.add(temp);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  const stream = new WritableStream<Uint8Array>({
    async write(chunk) {
      let offset = 0;
      try {
        while (offset < chunk.length) offset += (await handle.write(chunk, offset, chunk.length - offset)).bytesWritten;
      } catch (error) {
        throw fileError(error, `cannot write ${output}`);
      }
      counted(chunk.length);
    },
  });
  const abort = async (): Promise<void> => {
    await close().catch(() => {});
    await unlink(temp).catch(() => {});
    inFlight.delete(temp);
  };
  return {
    stream,
    async commit() {
      try {
        await close();
        if (overwrite) await rename(temp, output);
        else {
          await link(temp, output);
          await unlink(temp);
        }
        inFlight.delete(temp);
      } catch (error) {
        await abort();
        throw fileError(error, `cannot write ${output}`);
      }
    },
    abort,
  };
}
