/// <reference types="node" />
/**
 * Reading a file that someone else may have planted (Node): only a regular file is read. A FIFO
 * in its place would block readFileSync, and with it the whole process, until someone writes to
 * it; a device (a symlink to /dev/zero) would be read without end. The file is opened
 * non-blocking (so opening a FIFO returns at once) and checked with fstat on the open descriptor
 * (so it is the file that was checked that gets read).
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

/** What readRegularFile throws when the path names a FIFO, a device, a directory or a socket. */
export class NotRegularFileError extends Error {
  readonly code = 'ENOTREGULAR';
  constructor(path: string) {
    super(`${path} is not a regular file`);
  }
}

/**
 * The bytes of the regular file at `path`. `followSymlinks: false`: a symbolic link as the last
 * component is refused (ELOOP), for files kmsbox appends to or that must be its own.
 */
export function readRegularFile(path: string, { followSymlinks = true }: { followSymlinks?: boolean } = {}): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | (followSymlinks ? 0 : constants.O_NOFOLLOW));
  try {
    if (!fstatSync(fd).isFile()) throw new NotRegularFileError(path);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}
