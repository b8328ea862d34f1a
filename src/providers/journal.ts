/// <reference types="node" />
/**
 * The journal of a version-3 key-store file (store-file.ts has the whole layout): what follows the
 * snapshot line, one entry per line, each `base64(nonce ‖ AES-256-GCM(rootKey, payload) ‖ tag)\n`.
 * An entry is sealed with the AAD `["kmsbox-journal", 1, storeId, generation, seq, prev]`, where
 * `seq` counts the entries after the snapshot from 0 and `prev` is the GCM tag (base64) of the
 * entry before it, or of the snapshot's payload for entry 0. The tags form a MAC chain under the
 * root key: an entry moved, dropped from the middle, taken from another generation or another
 * store, or repeated fails authentication. Dropping entries at the end is what the chain cannot
 * show; the high-water mark (entry count and chain head) and each process's memory do.
 *
 * A last line without its `\n` is a write torn by a crash (never acknowledged: an entry is
 * acknowledged after fsync): it is ignored here and cut off by the next writer. Any complete line
 * that does not authenticate is refused (JournalError): nothing after it is trusted.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { randomBytes } from '../crypto/random.js';

/** What binds a journal to one snapshot of one store. */
export interface JournalContext {
  readonly storeId: string;
  readonly generation: number;
}

/** The chain position an entry is read or written at. */
export interface ChainHead {
  /** Entries before this position (the next entry's seq). */
  readonly seq: number;
  /** The tag of the entry before (or of the snapshot's payload): 16 bytes. */
  readonly tag: Uint8Array;
}

export interface JournalEntry {
  readonly plaintext: Buffer;
  readonly tag: Buffer;
  /** The byte offset just after this entry's `\n`, relative to the bytes parsed. */
  readonly end: number;
}

/** A malformed or unauthentic complete entry: the caller names the file. */
export class JournalError extends Error {}

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const NEWLINE = 0x0a;

function entryAad(ctx: JournalContext, seq: number, prev: Uint8Array): Buffer {
  return Buffer.from(JSON.stringify(['kmsbox-journal', 1, ctx.storeId, ctx.generation, seq, Buffer.from(prev).toString('base64')]));
}

/** One sealed entry, as the line appended to the file (with its `\n`), and its tag (the next chain head). */
export function sealEntry(rootKey: Uint8Array, ctx: JournalContext, head: ChainHead, plaintext: Uint8Array): { line: Buffer; tag: Buffer } {
  const nonce = randomBytes(NONCE_BYTES);
  // Stryker disable next-line ObjectLiteral: GCM's default tag length is 16 (the golden entry in test/providers/journal.mutation.test.ts pins it)
  const c = createCipheriv('aes-256-gcm', rootKey, nonce, { authTagLength: TAG_BYTES });
  c.setAAD(entryAad(ctx, head.seq, head.tag));
  const body = Buffer.concat([nonce, c.update(plaintext), c.final()]);
  const tag = c.getAuthTag();
  return { line: Buffer.from(`${Buffer.concat([body, tag]).toString('base64')}\n`), tag };
}

/**
 * The entries in `bytes` (journal bytes starting at chain position `head`), each authenticated in
 * turn. Stops at a last line without `\n` (`torn`: its bytes are not counted in `end`). Throws
 * JournalError naming the entry's seq for any complete line that is not a valid next entry.
 */
export function readEntries(
  rootKey: Uint8Array,
  ctx: JournalContext,
  head: ChainHead,
  bytes: Uint8Array,
): { entries: JournalEntry[]; end: number; torn: boolean } {
  const entries: JournalEntry[] = [];
  let seq = head.seq;
  let prev: Uint8Array = head.tag;
  let start = 0;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (;;) {
    if (start === buf.length) return { entries, end: start, torn: false };
    const nl = buf.indexOf(NEWLINE, start);
    if (nl < 0) return { entries, end: start, torn: true };
    const plaintext = openEntry(rootKey, ctx, seq, prev, buf.subarray(start, nl));
    if (plaintext === undefined)
      throw new JournalError(`journal entry ${seq} fails authentication (damaged, edited, moved or another store's)`);
    prev = plaintext.tag;
    entries.push({ plaintext: plaintext.plaintext, tag: plaintext.tag, end: nl + 1 });
    seq++;
    start = nl + 1;
  }
}

function openEntry(
  rootKey: Uint8Array,
  ctx: JournalContext,
  seq: number,
  prev: Uint8Array,
  line: Buffer,
): { plaintext: Buffer; tag: Buffer } | undefined {
  const text = line.toString('latin1');
  const raw = Buffer.from(text, 'base64');
  // Canonical base64 only, so that no two spellings of one entry pass (base64 decoding skips
  // characters outside its alphabet: only re-encoding shows them).
  // Stryker disable next-line ConditionalExpression,ArithmeticOperator: a line too short for nonce and tag fails setAuthTag/final below, which answers the same
  if (raw.toString('base64') !== text || raw.length < NONCE_BYTES + TAG_BYTES) return undefined;
  const tag = raw.subarray(raw.length - TAG_BYTES);
  try {
    // Stryker disable next-line ObjectLiteral: GCM's default tag length is 16, and the tag passed is always 16 bytes
    const d = createDecipheriv('aes-256-gcm', rootKey, raw.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
    d.setAAD(entryAad(ctx, seq, prev));
    d.setAuthTag(tag);
    const plaintext = Buffer.concat([d.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), d.final()]);
    return { plaintext, tag: Buffer.from(tag) };
  } catch {
    return undefined;
  }
}
