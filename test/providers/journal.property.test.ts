// The journal entry parser (src/providers/journal.ts) against hostile bytes: whatever is cut,
// flipped, spliced, moved or made up, it returns only entries sealed at exactly that place of
// exactly that chain (a torn last line is left out), or throws JournalError; never another error.
import { randomBytes } from 'node:crypto';
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { type ChainHead, JournalError, readEntries, sealEntry } from '../../src/providers/journal.js';

const ROOT = randomBytes(32);
const CTX = { storeId: 'AAAAAAAAAAAAAAAAAAAAAA', generation: 4 };
const START: ChainHead = { seq: 0, tag: randomBytes(16) };

/** A journal of these plaintexts: its bytes, and where each entry's line ends. */
function journal(plaintexts: readonly Uint8Array[], ctx = CTX, start = START, key: Uint8Array = ROOT) {
  const lines: Buffer[] = [];
  let head = start;
  for (const p of plaintexts) {
    const { line, tag } = sealEntry(key, ctx, head, p);
    lines.push(line);
    head = { seq: head.seq + 1, tag };
  }
  const ends: number[] = [];
  let at = 0;
  for (const l of lines) ends.push((at += l.length));
  return { bytes: Buffer.concat(lines), lines, ends };
}

/** readEntries, with anything but JournalError a failure of the test. */
function read(bytes: Uint8Array, ctx = CTX, start = START) {
  try {
    return readEntries(ROOT, ctx, start, bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(JournalError);
    return undefined;
  }
}

const plaintexts = fc.array(fc.uint8Array({ maxLength: 60 }), { minLength: 1, maxLength: 5 });

describe('readEntries', () => {
  it('reads back what was sealed, in order, with the chain head after it', () => {
    const ps = [Buffer.from('one'), Buffer.from(''), Buffer.from('three')];
    const { bytes, ends } = journal(ps);
    const r = readEntries(ROOT, CTX, START, bytes);
    expect(r.entries.map((e) => e.plaintext.toString())).toEqual(['one', '', 'three']);
    expect(r.entries.map((e) => e.end)).toEqual(ends);
    expect([r.end, r.torn]).toEqual([bytes.length, false]);
  });

  fcTest.prop([plaintexts])('cut at every offset: the whole entries before the cut, the rest a torn line; never an error', (ps) => {
    const { bytes, ends } = journal(ps);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const r = readEntries(ROOT, CTX, START, bytes.subarray(0, cut));
      const whole = ends.filter((e) => e <= cut);
      expect(r.entries.length).toBe(whole.length);
      for (const [i, e] of r.entries.entries()) expect(e.plaintext.equals(Buffer.from(ps[i]!))).toBe(true);
      expect(r.end).toBe(whole.at(-1) ?? 0);
      expect(r.torn).toBe(cut !== r.end);
    }
  });

  fcTest.prop([plaintexts, fc.nat(), fc.integer({ min: 0, max: 7 })])(
    'one bit flipped anywhere: refused (JournalError), or the flipped line is a torn last line; never a changed entry',
    (ps, at, bit) => {
      const { bytes, ends } = journal(ps);
      const i = at % bytes.length;
      const flipped = Buffer.from(bytes);
      flipped[i]! ^= 1 << bit;
      const r = read(flipped);
      if (r === undefined) return;
      // Accepted only when the flip took away the last line's `\n`: that entry is then torn, the others intact.
      expect(i).toBe(bytes.length - 1);
      expect(r.entries.length).toBe(ps.length - 1);
      expect(r.torn).toBe(true);
      for (const [k, e] of r.entries.entries()) expect(e.plaintext.equals(Buffer.from(ps[k]!))).toBe(true);
      expect(r.end).toBe(ends.at(-2) ?? 0);
    },
  );

  fcTest.prop([fc.array(fc.uint8Array({ maxLength: 30 }), { minLength: 3, maxLength: 6 }), fc.nat(), fc.nat()])(
    'entries moved, dropped from the middle or repeated: refused at the first one out of place',
    (ps, a, b) => {
      const { lines } = journal(ps);
      const i = a % lines.length;
      const j = b % lines.length;
      const cases: Buffer[][] = [
        lines.filter((_, k) => k !== i).concat(i === lines.length - 1 ? [lines[0]!] : []), // dropped (or the last moved first)
        [...lines.slice(0, j + 1), lines[i]!, ...lines.slice(j + 1)], // repeated
      ];
      if (i !== j) {
        const swapped = [...lines];
        [swapped[i], swapped[j]] = [swapped[j]!, swapped[i]!];
        cases.push(swapped);
      }
      for (const c of cases) {
        const r = read(Buffer.concat(c));
        expect(r).toBeUndefined();
      }
    },
  );

  fcTest.prop([plaintexts])('entries of another store, another generation, another chain or another root key: refused', (ps) => {
    const others = [
      journal(ps, { ...CTX, storeId: 'BAAAAAAAAAAAAAAAAAAAAA' }),
      journal(ps, { ...CTX, generation: CTX.generation + 1 }),
      journal(ps, CTX, { seq: 0, tag: randomBytes(16) }),
      journal(ps, CTX, { seq: 1, tag: START.tag }),
      journal(ps, CTX, START, randomBytes(32)),
    ];
    for (const other of others) expect(read(other.bytes)).toBeUndefined();
    // spliced after a genuine first entry
    const own = journal(ps);
    for (const other of others) expect(read(Buffer.concat([own.lines[0]!, ...other.lines]))).toBeUndefined();
  });

  fcTest.prop([fc.uint8Array({ maxLength: 400 })])('made-up bytes: refused or a torn line, never an entry', (bytes) => {
    const r = read(bytes);
    if (r !== undefined) {
      expect(r.entries).toEqual([]);
      expect(r.end).toBe(0);
    }
  });

  fcTest.prop([plaintexts, fc.string({ maxLength: 8 })])(
    'anything but canonical base64 in a line (padding, spaces, CR): refused',
    (ps, junk) => {
      const { lines } = journal(ps);
      const line = lines[0]!.toString('latin1').slice(0, -1);
      for (const edited of [
        `${line}${junk.length > 0 ? junk : ' '}`,
        `${line}\r`,
        ` ${line}`,
        line.replace(/=*$/, '') + '==='.slice(0, 1),
      ]) {
        if (edited === line) continue;
        const r = read(Buffer.from(`${edited}\n`, 'latin1'));
        expect(r).toBeUndefined();
      }
    },
  );
});
