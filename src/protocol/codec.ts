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
