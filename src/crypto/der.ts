/**
 * The little DER that key handling needs without node:crypto: reading and writing the TLVs of
 * PKCS#8 and SubjectPublicKeyInfo (key-der.ts), and unsigned INTEGERs as bigints.
 *
 * Kept as our own rather than a library (issue #12 §8): it is about 100 lines for exactly the
 * subset kmsbox parses (single-byte tags, definite minimal lengths, no indefinite forms), and it
 * refuses everything else, which is what a parser of hostile key bytes should do. The general
 * ASN.1 libraries (asn1js and @peculiar/asn1-schema, pkijs, node-forge) parse far more (BER,
 * every universal type), cost 30-100 KB in a browser bundle and would each need the same strictness
 * checks added. @noble/curves' `DER` covers ECDSA signatures only (used for those: envelope/signature.ts).
 */
import { concatBytes } from './bytes.js';

export const TAG = { INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, NULL: 0x05, OID: 0x06, SEQUENCE: 0x30 } as const;

export interface Tlv {
  readonly tag: number;
  readonly value: Uint8Array;
}

export class DerError extends Error {}

/** One TLV at `at` (single-byte tags, definite minimal lengths only); returns it and where it ends. */
export function readTlv(der: Uint8Array, at = 0): Tlv & { end: number } {
  if (at + 2 > der.length) throw new DerError('truncated DER');
  const tag = der[at]!;
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 3 || start + count > der.length) throw new DerError('bad DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = (length << 8) | der[start + i]!;
    if (length < 0x80 || der[start] === 0) throw new DerError('non-minimal DER length');
    start += count;
  }
  const end = start + length;
  if (end > der.length) throw new DerError('truncated DER');
  return { tag, value: der.subarray(start, end), end };
}

/** The whole of `der` as one TLV of the given tag: no trailing bytes. */
export function readOnly(der: Uint8Array, tag: number): Uint8Array {
  const t = readTlv(der);
  if (t.tag !== tag || t.end !== der.length) throw new DerError(`expected one DER element of tag ${tag}`);
  return t.value;
}

/** The elements of a constructed value (a SEQUENCE's contents). */
export function readAll(value: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < value.length; ) {
    const t = readTlv(value, at);
    out.push(t);
    at = t.end;
  }
  return out;
}

/** A TLV's value, checking its tag. */
export function expectTag(t: Tlv | undefined, tag: number): Uint8Array {
  if (t === undefined || t.tag !== tag) throw new DerError(`expected DER tag ${tag}`);
  return t.value;
}

function lengthBytes(n: number): Uint8Array {
  if (n < 0x80) return new Uint8Array([n]);
  if (n < 0x100) return new Uint8Array([0x81, n]);
  if (n < 0x10000) return new Uint8Array([0x82, n >> 8, n & 0xff]);
  return new Uint8Array([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
}

export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const value = concatBytes(...parts);
  return concatBytes(new Uint8Array([tag]), lengthBytes(value.length), value);
}

/** A DER INTEGER of an unsigned big-endian number: no redundant leading zeros, a zero when the top bit is set. */
export function uintTlv(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  return tlv(TAG.INTEGER, v.length === 0 || v[0]! & 0x80 ? new Uint8Array([0]) : new Uint8Array(0), v);
}

/** A non-negative DER INTEGER's value as a bigint (negative or non-minimal encodings are refused). */
export function readUint(t: Tlv | undefined): bigint {
  const v = expectTag(t, TAG.INTEGER);
  if (v.length === 0 || v[0]! & 0x80 || (v.length > 1 && v[0] === 0 && !(v[1]! & 0x80))) throw new DerError('bad DER INTEGER');
  return bytesToBigint(v);
}

export function bytesToBigint(b: Uint8Array): bigint {
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return n;
}

/** `n` as exactly `length` big-endian bytes (I2OSP); throws if it does not fit. */
export function bigintToBytes(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn);
  if (n !== 0n) throw new DerError('integer too large');
  return out;
}

/** Content bytes of the OIDs kmsbox reads and writes. */
export const OID = {
  rsaEncryption: Uint8Array.of(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01), // 1.2.840.113549.1.1.1
  ecPublicKey: Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01), // 1.2.840.10045.2.1
  ed25519: Uint8Array.of(0x2b, 0x65, 0x70), // 1.3.101.112
  p256: Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07), // 1.2.840.10045.3.1.7
  p384: Uint8Array.of(0x2b, 0x81, 0x04, 0x00, 0x22), // 1.3.132.0.34
  p521: Uint8Array.of(0x2b, 0x81, 0x04, 0x00, 0x23), // 1.3.132.0.35
  secp256k1: Uint8Array.of(0x2b, 0x81, 0x04, 0x00, 0x0a), // 1.3.132.0.10
} as const;
