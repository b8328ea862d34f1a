/**
 * The hash chain both audit logs keep (src/audit/file-log.ts in a file, src/audit/postgres-log.ts
 * in a table): line n is the JSON `{seq, prev, event}` where `seq` is n and `prev` the SHA-256 hex
 * of line n-1 (of 64 zeros for the first), so an edited, removed, inserted or reordered event
 * breaks the chain.
 */
import { createHash } from 'node:crypto';
import type { AuditEvent } from './event.js';

/** What the first line's `prev` is. */
export const GENESIS = '0'.repeat(64);

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Line `seq` of a chain whose line before hashes to `prev`. */
export const chainLine = (seq: number, prev: string, event: AuditEvent): string => JSON.stringify({ seq, prev, event });

/** A line parsed as JSON, or undefined when it is not JSON. */
export function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/**
 * Checks line `n` (parsed, or undefined when it is not JSON) against the sequence number and
 * hash it should carry, adding what is wrong to `problems`; returns its hash, which the next line
 * should carry. Never quotes the line: what a hostile log holds stays out of the report.
 */
export function checkLine(parsed: unknown, line: string, n: number, seq: number, prev: string, problems: string[]): string {
  if (parsed === undefined) problems.push(`line ${n}: not JSON`);
  else if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) problems.push(`line ${n}: not a JSON object`);
  else {
    const l = parsed as { seq?: unknown; prev?: unknown; event?: unknown };
    if (l.seq !== seq)
      problems.push(
        `line ${n}: sequence number ${typeof l.seq === 'number' ? l.seq : 'missing'}, expected ${seq} (an event was removed, inserted or moved)`,
      );
    if (l.prev !== prev) problems.push(`line ${n}: does not follow the line before it (an event was edited, removed or reordered)`);
    if (typeof l.event !== 'object' || l.event === null) problems.push(`line ${n}: no event`);
  }
  return sha256(line);
}

export interface AuditLogReport {
  /** True when the chain is intact from the first event to the head. */
  readonly ok: boolean;
  readonly events: number;
  /** What is wrong, by line number (1-based). */
  readonly problems: string[];
}
