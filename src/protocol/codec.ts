/** JSON values ↔ operation inputs/outputs, by the member tables in wire-shapes.ts. */
import { fromBase64, toBase64 } from './base64.js';
import { BLOB_MEMBERS, MAP_MEMBERS, TIMESTAMP_MEMBERS } from './wire-shapes.js';
import { setOwn } from '../api/set-own.js';

/** A request body that is not what the wire format says: AWS answers SerializationException. */
export class WireFormatError extends Error {}

/** Decodes a parsed request body: base64 blobs → Uint8Array, epoch seconds → Date. */
export function decodeInput(value: unknown, member?: string): unknown {
  if (value === null) return undefined; // null and absent are the same (docs/aws-behaviour.md#wire-protocol)
  if (member !== undefined && BLOB_MEMBERS.has(member)) {
    if (typeof value !== 'string') throw new WireFormatError(`${member} must be a base64 string`);
    const bytes = fromBase64(value);
    if (bytes === undefined) throw new WireFormatError(`${member} is not valid base64`);
    return bytes;
  }
  if (member !== undefined && TIMESTAMP_MEMBERS.has(member)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new WireFormatError(`${member} must be a number of epoch seconds`);
    return new Date(value * 1000);
  }
  if (Array.isArray(value)) return value.map((item) => decodeInput(item, member));
  if (typeof value === 'object') {
    if (member !== undefined && MAP_MEMBERS.has(member)) return value;
    const out: Record<string, unknown> = {};
    // Own keys without an entries array per object (JSON.parse makes only own, enumerable members).
    for (const k of Object.keys(value)) {
      const decoded = decodeInput((value as Record<string, unknown>)[k], k);
      if (decoded !== undefined) setOwn(out, k, decoded);
    }
    return out;
  }
  return value;
}

/** Encodes an operation output for the wire: Uint8Array → base64, Date → epoch seconds; drops $metadata and undefined. */
export function encodeOutput(value: unknown): unknown {
  if (value instanceof Uint8Array) return toBase64(value);
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(encodeOutput);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[k];
      if (k === '$metadata' || v === undefined) continue;
      setOwn(out, k, encodeOutput(v));
    }
    return out;
  }
  return value;
}

/**
 * `JSON.stringify(encodeOutput(value))`, written directly: a blob's base64 is put between quotes as
 * it is (its alphabet needs no escaping), where JSON.stringify would scan every character of it
 * again, a tenth of the wire handler's time for Encrypt of 1 KiB. Everything else is serialized by
 * JSON.stringify itself, so strings, numbers and member names come out exactly as before
 * (test/protocol/wire-json.test.ts compares the two on generated outputs).
 */
export function outputJson(value: unknown): string {
  if (value instanceof Uint8Array) return `"${toBase64(value)}"`;
  if (value instanceof Date) return JSON.stringify(value.getTime() / 1000);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      // As JSON.stringify writes an array item it cannot represent.
      out += `${i === 0 ? '' : ','}${item === undefined || typeof item === 'function' || typeof item === 'symbol' ? 'null' : outputJson(item)}`;
    }
    return `${out}]`;
  }
  if (typeof value === 'object' && value !== null) {
    // An own toJSON is called by JSON.stringify on encodeOutput's copy: left to them.
    if (Object.hasOwn(value, 'toJSON')) return JSON.stringify(encodeOutput(value));
    let out = '{';
    let first = true;
    for (const k of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[k];
      // Members JSON.stringify leaves out, and $metadata (encodeOutput's rule).
      if (k === '$metadata' || v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      out += `${first ? '' : ','}${JSON.stringify(k)}:${outputJson(v)}`;
      first = false;
    }
    return `${out}}`;
  }
  return JSON.stringify(value);
}
