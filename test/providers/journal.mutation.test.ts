// The journal entry parser (src/providers/journal.ts) case by case, beside its property test: the
// exact answer for a torn last line, an empty line, a damaged entry, another spelling of an entry,
// and a golden entry that pins the sealed format (its AAD) across versions.
import { describe, expect, it } from 'vitest';
import { type ChainHead, JournalError, readEntries, sealEntry } from '../../src/providers/journal.js';

const KEY = Buffer.alloc(32, 7);
const CTX = { storeId: 'c3RvcmUtaWQtZ29sZGVu', generation: 3 };
const HEAD: ChainHead = { seq: 5, tag: Buffer.alloc(16, 9) };

function lines(n: number): { bytes: Buffer; ends: number[] } {
  const out: Buffer[] = [];
  const ends: number[] = [];
  let head = HEAD;
  for (let i = 0; i < n; i++) {
    const { line, tag } = sealEntry(KEY, CTX, head, Buffer.from(`entry ${i}`));
    out.push(line);
    ends.push((ends.at(-1) ?? 0) + line.length);
    head = { seq: head.seq + 1, tag };
  }
  return { bytes: Buffer.concat(out), ends };
}

describe('readEntries, case by case', () => {
  it('reads a golden entry sealed by this format (seq 5 of generation 3, after a known tag)', () => {
    const golden = Buffer.from('EIXE0yZArb2+YQWB2Ty8xHlXh4/lNL7uBHt7knm40biLS5DirNBEif2Agg==\n');
    const { entries, end, torn } = readEntries(KEY, CTX, HEAD, golden);
    expect(entries.map((e) => e.plaintext.toString())).toEqual(['{"golden":true}']);
    expect(entries[0]?.tag.toString('base64')).toBe('knm40biLS5DirNBEif2Agg==');
    expect({ end, torn }).toEqual({ end: golden.length, torn: false });
  });

  it('leaves a last line without its newline out, as torn, and counts only the entries before it', () => {
    const { bytes, ends } = lines(3);
    for (const cut of [ends[1]! + 1, bytes.length - 1]) {
      const r = readEntries(KEY, CTX, HEAD, bytes.subarray(0, cut));
      expect(r.entries.map((e) => e.plaintext.toString())).toEqual(['entry 0', 'entry 1']);
      expect(r.end).toBe(ends[1]);
      expect(r.torn).toBe(true);
    }
  });

  it('refuses an empty line: a complete line that is not an entry', () => {
    expect(() => readEntries(KEY, CTX, HEAD, Buffer.from('\n'))).toThrow(JournalError);
    const { bytes } = lines(1);
    expect(() => readEntries(KEY, CTX, HEAD, Buffer.concat([bytes, Buffer.from('\n')]))).toThrow('journal entry 6 fails authentication');
  });

  it('refuses a damaged entry, naming its sequence number', () => {
    const { bytes } = lines(2);
    const damaged = Buffer.from(bytes);
    damaged[3] = damaged[3] === 0x41 ? 0x42 : 0x41;
    expect(() => readEntries(KEY, CTX, HEAD, damaged)).toThrow(
      "journal entry 5 fails authentication (damaged, edited, moved or another store's)",
    );
  });

  it('refuses another spelling of a valid entry (a character base64 decoding skips)', () => {
    const { bytes } = lines(1);
    for (const extra of ['!', ' ', '.']) {
      const text = bytes.toString('latin1');
      const respelled = Buffer.from(`${text.slice(0, 10)}${extra}${text.slice(10)}`, 'latin1');
      expect(() => readEntries(KEY, CTX, HEAD, respelled)).toThrow(JournalError);
    }
  });
});
