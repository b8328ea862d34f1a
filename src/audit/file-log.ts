/// <reference types="node" />
/**
 * An append-only JSON Lines audit log in which every line carries the SHA-256 of the line before
 * it, so an edited, removed, inserted or reordered event breaks the chain. A head file beside it
 * (`<log>.head`: the last sequence number and line hash, replaced atomically after every append)
 * makes truncation at the end detectable too.
 *
 * Durability: each event is appended with a synchronous write before the call returns, so a crash
 * of the writing process loses nothing it reported; with `fsync: 'always'` (the default) the log
 * and head are also flushed to disk before the call returns, so an OS crash or power loss does not
 * lose them either. One writer per log: two processes appending to one file break the chain.
 */
import { closeSync, constants, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync } from 'node:fs';
import { KMSInternalException } from '../errors.js';
import { writeAll, writeAtomic } from '../providers/atomic-write.js';
import { readRegularFile } from '../providers/read-regular-file.js';
import type { AuditEvent, AuditSink } from './event.js';
import { type AuditLogReport, GENESIS, chainLine, checkLine, parseLine, sha256 } from './chain.js';

export type { AuditLogReport } from './chain.js';

interface Head {
  seq: number;
  hash: string;
}

export interface FileAuditSinkOptions {
  /** `always` (default): fsync log and head after every event. `never`: leave flushing to the OS. */
  readonly fsync?: 'always' | 'never';
}

/**
 * How the log is opened for appending: created owner-only (events name principals, keys and
 * encryption contexts; the key store and the head file are 0600 too), and never through a
 * symbolic link, which someone who can write the directory could plant to make kmsbox append
 * to a file of their choosing.
 */
const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
const OWNER_ONLY = 0o600;

export class FileAuditSink implements AuditSink {
  readonly path: string;
  readonly #fsync: boolean;
  #head: Head;

  constructor(path: string, options: FileAuditSinkOptions = {}) {
    this.path = path;
    this.#fsync = (options.fsync ?? 'always') === 'always';
    this.#head = readHead(path) ?? lastLine(path) ?? { seq: 0, hash: GENESIS };
  }

  write(event: AuditEvent): void {
    const line = chainLine(this.#head.seq + 1, this.#head.hash, event);
    const fd = openSync(this.path, APPEND, OWNER_ONLY);
    try {
      const end = fstatSync(fd).size;
      try {
        // writeSync may write part of the line without throwing (a full disk, a size limit): writeAll goes on or throws.
        writeAll(fd, Buffer.from(`${line}\n`));
      } catch (error) {
        // Cut the part off again: a torn line would break the chain for every event after it.
        ftruncateSync(fd, end);
        throw error;
      }
      if (this.#fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.#head = { seq: this.#head.seq + 1, hash: sha256(line) };
    writeAtomic(`${this.path}.head`, JSON.stringify(this.#head), { durable: this.#fsync });
  }
}

function readHead(path: string): Head | undefined {
  if (!existsSync(`${path}.head`)) return undefined;
  try {
    const h = JSON.parse(readRegularFile(`${path}.head`).toString('utf8')) as Head;
    return Number.isInteger(h.seq) && typeof h.hash === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

/** Where a log without a head file goes on: its last line. Never quotes the file (it may not be a log at all). */
function lastLine(path: string): Head | undefined {
  let text: string;
  try {
    text = readRegularFile(path, { followSymlinks: false }).toString('utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new KMSInternalException({
      message: `Audit log ${path} cannot be used: ${code === 'ELOOP' ? 'it is a symbolic link' : `cannot read it (${code ?? 'error'})`}.`,
    });
  }
  const lines = text.split('\n').filter((l) => l.length > 0);
  const last = lines[lines.length - 1];
  if (last === undefined) return undefined;
  let seq: unknown;
  try {
    seq = (JSON.parse(last) as { seq?: unknown } | null)?.seq;
  } catch {
    seq = undefined;
  }
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1)
    throw new KMSInternalException({
      message: `Audit log ${path} cannot be used: its last line is not an audit event (kmsbox audit verify ${path}).`,
    });
  return { seq, hash: sha256(last) };
}

/** Checks an audit log: every line parses, sequence numbers run 1, 2, 3…, each line names the hash of the one before, and the last matches the head file. */
export function verifyAuditLog(path: string): AuditLogReport {
  const problems: string[] = [];
  if (!existsSync(path)) return { ok: false, events: 0, problems: [`${path} does not exist`] };
  const text = readFileSync(path, 'utf8');
  if (text.length > 0 && !text.endsWith('\n')) problems.push('the last line is incomplete (a torn write)');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let prev = GENESIS;
  let seq = 0;
  lines.forEach((line, i) => {
    seq += 1;
    prev = checkLine(parseLine(line), line, i + 1, seq, prev, problems);
  });

  const head = readHead(path);
  if (head === undefined) problems.push('no head file: truncation at the end cannot be ruled out');
  else if (head.seq !== seq || head.hash !== prev)
    problems.push(
      `the log ends at event ${seq} but the head records event ${head.seq} (events were removed from the end, or the last one was changed)`,
    );
  return { ok: problems.length === 0, events: lines.length, problems };
}
