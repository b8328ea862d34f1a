/**
 * The slice of CBOR (RFC 8949) the envelope needs, deterministic on write and strict on read:
 * unsigned integers, byte and text strings, arrays, maps, `null` and `true`; definite lengths
 * and shortest forms only. The reader never allocates from a declared length: it checks the
 * length against the bytes present first and hands out `subarray` views.
 *
 * Kept rather than a CBOR library: general decoders accept what docs/envelope-format.md §2 makes a
 * reader refuse (non-shortest forms, indefinite lengths, tags, unsorted or duplicate map keys).
 * cbor-x stays the test oracle (test/envelope/vectors.test.ts reads the golden vectors with it).
 */

import { concatBytes, utf8DecodeExact } from '../crypto/bytes.js';

/** Thrown by the reader for anything outside the profile; the envelope turns it into InvalidCiphertextException. */
export class CborError extends Error {
  override readonly name = 'CborError';
}

/** Thrown when the input ends inside an item: `needed` is the total byte count the item needs at least. */
export class NeedMore extends Error {
  override readonly name = 'NeedMore';
  constructor(readonly needed: number) {
    super(`need ${needed} bytes`);
  }
}

export const MAJOR = { uint: 0, bytes: 2, text: 3, array: 4, map: 5, simple: 7 } as const;
export const NULL = 0xf6;
export const TRUE = 0xf5;

/** The size of the head for an argument (1, 2, 3, 5 or 9 bytes). */
export function headSize(arg: number): number {
  return arg < 24 ? 1 : arg < 0x100 ? 2 : arg < 0x10000 ? 3 : arg < 0x1_0000_0000 ? 5 : 9;
}

/** Writes a head at `offset`; returns the offset after it. */
export function writeHead(out: Uint8Array, offset: number, major: number, arg: number): number {
  const m = major << 5;
  if (arg < 24) {
    out[offset] = m | arg;
    return offset + 1;
  }
  if (arg < 0x100) {
    out[offset] = m | 24;
    out[offset + 1] = arg;
    return offset + 2;
  }
  if (arg < 0x10000) {
    out[offset] = m | 25;
    out[offset + 1] = arg >>> 8;
    out[offset + 2] = arg & 0xff;
    return offset + 3;
  }
  if (arg < 0x1_0000_0000) {
    out[offset] = m | 26;
    new DataView(out.buffer, out.byteOffset).setUint32(offset + 1, arg);
    return offset + 5;
  }
  out[offset] = m | 27;
  new DataView(out.buffer, out.byteOffset).setBigUint64(offset + 1, BigInt(arg));
  return offset + 9;
}

export function head(major: number, arg: number): Uint8Array {
  const out = new Uint8Array(headSize(arg));
  writeHead(out, 0, major, arg);
  return out;
}

/** A value the writer can encode. Maps are written with their keys in deterministic order. */
export type CborValue = number | string | Uint8Array | null | true | CborValue[] | CborMap;
export class CborMap {
  constructor(readonly entries: ReadonlyArray<readonly [number | string, CborValue]>) {}
}

const utf8 = new TextEncoder();

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Deterministic encoding (RFC 8949 §4.2.1): shortest forms, map keys sorted by their encoded bytes. */
export function encode(value: CborValue): Uint8Array {
  const parts: Uint8Array[] = [];
  const put = (v: CborValue): void => {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v) || v < 0) throw new CborError('only unsigned integers');
      parts.push(head(MAJOR.uint, v));
    } else if (typeof v === 'string') {
      const b = utf8.encode(v);
      parts.push(head(MAJOR.text, b.length), b);
    } else if (v instanceof Uint8Array) {
      parts.push(head(MAJOR.bytes, v.length), v);
    } else if (v === null) {
      parts.push(Uint8Array.of(NULL));
    } else if (v === true) {
      parts.push(Uint8Array.of(TRUE));
    } else if (Array.isArray(v)) {
      parts.push(head(MAJOR.array, v.length));
      for (const item of v) put(item);
    } else {
      const sorted = v.entries.map(([k, val]) => [encode(k), val] as const).sort((a, b) => compareBytes(a[0], b[0]));
      for (let i = 1; i < sorted.length; i++)
        if (compareBytes(sorted[i - 1]![0], sorted[i]![0]) === 0) throw new CborError('duplicate map key');
      parts.push(head(MAJOR.map, sorted.length));
      for (const [k, val] of sorted) {
        parts.push(k);
        put(val);
      }
    }
  };
  put(value);
  return concatBytes(...parts);
}

/**
 * A strict cursor over bytes. Every read checks the bytes present; running out throws NeedMore
 * (a stream may wait for more), anything outside the profile throws CborError.
 */
export class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    offset = 0,
  ) {
    this.pos = offset;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  private need(n: number): void {
    if (this.bytes.length - this.pos < n) throw new NeedMore(this.pos + n);
  }

  /** Reads a head: its major type and argument. Rejects indefinite lengths, reserved values and non-shortest forms. */
  head(): { major: number; arg: number } {
    this.need(1);
    const initial = this.bytes[this.pos]!;
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (info < 24) {
      this.pos += 1;
      return { major, arg: info };
    }
    if (info > 27) throw new CborError(info === 31 ? 'indefinite length' : 'reserved additional information');
    const size = 1 << (info - 24);
    this.need(1 + size);
    const b = this.bytes;
    const p = this.pos + 1;
    let arg: number;
    if (size === 1) arg = b[p]!;
    else if (size === 2) arg = (b[p]! << 8) | b[p + 1]!;
    else if (size === 4) arg = ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
    else {
      const big = new DataView(b.buffer, b.byteOffset + p, 8).getBigUint64(0);
      // Nothing in the profile comes near 2^53; such an argument is only ever an attack.
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new CborError('argument out of range');
      arg = Number(big);
    }
    const min = size === 1 ? 24 : size === 2 ? 0x100 : size === 4 ? 0x10000 : 0x1_0000_0000;
    if (arg < min) throw new CborError('non-shortest encoding');
    if (major === MAJOR.simple) throw new CborError('floats and simple values are not allowed here');
    this.pos += 1 + size;
    return { major, arg };
  }

  peek(): number {
    this.need(1);
    return this.bytes[this.pos]!;
  }

  expectHead(major: number): number {
    const h = this.head();
    if (h.major !== major) throw new CborError(`expected major type ${major}, found ${h.major}`);
    return h.arg;
  }

  uint(max: number): number {
    const v = this.expectHead(MAJOR.uint);
    if (v > max) throw new CborError('integer out of range');
    return v;
  }

  /** A byte string of `min..max` bytes, as a view. The bound is checked before waiting for the bytes. */
  bytesOf(min: number, max: number): Uint8Array {
    const n = this.expectHead(MAJOR.bytes);
    if (n < min || n > max) throw new CborError('byte string length out of range');
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A text string of `min..max` encoded bytes, valid UTF-8; returns the string and its encoded bytes. */
  text(min: number, max: number): { value: string; raw: Uint8Array } {
    const start = this.pos;
    const n = this.expectHead(MAJOR.text);
    if (n < min || n > max) throw new CborError('text string length out of range');
    this.need(n);
    const body = this.bytes.subarray(this.pos, this.pos + n);
    let value: string;
    try {
      value = utf8DecodeExact(body);
    } catch {
      throw new CborError('invalid UTF-8');
    }
    this.pos += n;
    return { value, raw: this.bytes.subarray(start, this.pos) };
  }

  /** Consumes `null` if it is next. */
  maybeNull(): boolean {
    if (this.peek() !== NULL) return false;
    this.pos += 1;
    return true;
  }

  expectTrue(): void {
    if (this.peek() !== TRUE) throw new CborError('expected true');
    this.pos += 1;
  }

  arrayOf(min: number, max: number): number {
    const n = this.expectHead(MAJOR.array);
    if (n < min || n > max) throw new CborError('array length out of range');
    return n;
  }

  mapOf(min: number, max: number): number {
    const n = this.expectHead(MAJOR.map);
    if (n < min || n > max) throw new CborError('map size out of range');
    return n;
  }

  /** Skips one scalar (uint, byte/text string of ≤ `maxLength`, null, true: the only simple values the format has); nothing nested. */
  skipScalar(maxLength: number): void {
    const b = this.peek();
    if (b === NULL || b === TRUE) {
      this.pos += 1;
      return;
    }
    const { major, arg } = this.head();
    if (major === MAJOR.uint) return;
    if (major !== MAJOR.bytes && major !== MAJOR.text) throw new CborError('unexpected item');
    if (arg > maxLength) throw new CborError('string too long');
    this.need(arg);
    if (major === MAJOR.text) {
      try {
        utf8DecodeExact(this.bytes.subarray(this.pos, this.pos + arg));
      } catch {
        throw new CborError('invalid UTF-8');
      }
    }
    this.pos += arg;
  }
}

export { compareBytes };
