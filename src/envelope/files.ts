/// <reference types="node" />
/**
 * Files in and out of envelopes (Node): streamed, so memory stays at about two segments whatever
 * the size, and written to a temporary file renamed into place only when the stream closed without
 * error, so a failed or tampered decryption leaves no partial plaintext behind. Both files are
 * created 0600 (owner only, as the FileProvider's store): the temporary one holds verified plaintext
 * while streaming, and the rename keeps its mode. The mode is given to open(2), not set afterwards
 * by chmod, so there is no moment at which another user could open the file.
 */
import { createReadStream, createWriteStream, rmSync, renameSync } from 'node:fs';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDecryptNodeStream, createEncryptNodeStream } from './node-streams.js';
import type { DecryptOptions, EncryptOptions } from './options.js';
import { ValidationException } from '../errors.js';
import { typed } from './invalid.js';
import { toHex } from '../crypto/bytes.js';
import { publicRandomBytes } from '../crypto/random.js';

/** Owner read/write only; the umask can only take bits away from it. */
const OWNER_ONLY = 0o600;

/** Through the node:stream Transforms (node-streams.ts): 10–16 points nearer raw AES-GCM than WHATWG streams (BENCHMARKS.md, "Node streams"). */
async function pipeFile(from: string, to: string, transform: Transform): Promise<void> {
  // Random, not the clock: whoever can write the directory must not guess it and plant a file there first.
  const tmp = `${to}.${process.pid}.${toHex(publicRandomBytes(8))}.partial`;
  try {
    await pipeline(createReadStream(from), transform, createWriteStream(tmp, { flags: 'wx', mode: OWNER_ONLY }));
    renameSync(tmp, to);
  } catch (error) {
    const code = (error as { code?: unknown })?.code;
    // A file that was at `tmp` before (O_EXCL refused it) is not ours to remove.
    if (!(code === 'EEXIST' && (error as { path?: unknown }).path === tmp)) rmSync(tmp, { force: true });
    // File-system failures are the caller's paths; everything else is typed as the streams type it.
    if (typeof code === 'string' && code.startsWith('E'))
      throw new ValidationException({ message: `Cannot read ${from} or write ${to}: ${code}.` });
    throw typed(error, false);
  }
}

/** Encrypts the file at `from` into an envelope at `to`. */
export async function encryptFile(from: string, to: string, opts: EncryptOptions): Promise<void> {
  await pipeFile(from, to, createEncryptNodeStream(opts));
}

/** Decrypts the envelope at `from` into `to`; `to` appears only once every segment (and any signature) verified. */
export async function decryptFile(from: string, to: string, opts: DecryptOptions): Promise<void> {
  await pipeFile(from, to, createDecryptNodeStream(opts));
}
