/**
 * Standard base64 (RFC 4648 §4, padded), strict on input: the wire form of every blob member, as the
 * AWS SDKs and the AWS CLI send it. Canonical only: no missing or extra padding, no whitespace or
 * line breaks, no url-safe alphabet, and the unused bits of the last character must be zero
 * (RFC 4648 §3.5), so `QR==` is refused rather than read as `QQ==`: each byte string has exactly
 * one accepted text.
 *
 * Two implementations, one chosen once: under Node, node:buffer's native codec (through
 * `process.getBuiltinModule`, so no `node:` import reaches a browser bundle), whose lenient decoder
 * is made strict by re-encoding: a text is accepted only when it is exactly the encoding of what it
 * decoded to, which is the definition of canonical. Elsewhere @scure/base (Uint8Array.fromBase64
 * with lastChunkHandling 'strict' where the runtime has it, its own strict decoder otherwise). The
 * native codec is the one a server wants: @scure's JavaScript decoder and encoder were a quarter of
 * `kmsbox serve`'s time for Encrypt of 1 KiB (bench/server.ts). test/protocol/base64.test.ts checks
 * both against the same properties.
 */
import { base64 } from '@scure/base';

export interface Base64Codec {
  toBase64(bytes: Uint8Array): string;
  /** The bytes, or `undefined` when the text is not canonical padded base64. */
  fromBase64(text: string): Uint8Array | undefined;
}

/** @scure/base: strict by itself. */
export const portableBase64: Base64Codec = {
  toBase64: (bytes) => base64.encode(bytes),
  fromBase64(text) {
    try {
      return base64.decode(text);
    } catch {
      return undefined;
    }
  },
};

/** The part of node:buffer used here. */
interface NodeBufferClass {
  from(
    buffer: ArrayBufferLike,
    byteOffset: number,
    length: number,
  ): { toString(encoding: 'base64'): string; write(text: string, encoding: 'base64'): number };
}

const EQUALS = 0x3d;

/** node:buffer's native codec, made strict by the re-encoding check; `undefined` outside Node. */
export function nativeBase64(Buffer: NodeBufferClass | undefined): Base64Codec | undefined {
  if (Buffer === undefined) return undefined;
  const view = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return {
    toBase64: (bytes) => view(bytes).toString('base64'),
    fromBase64(text) {
      const n = text.length;
      if (n % 4 !== 0) return undefined;
      const padding = n === 0 || text.charCodeAt(n - 1) !== EQUALS ? 0 : text.charCodeAt(n - 2) === EQUALS ? 2 : 1;
      // A fresh array of its own (not a slice of Node's shared pool): the caller may keep, wipe or transfer it.
      const out = new Uint8Array((n / 4) * 3 - padding);
      const target = view(out);
      // Node's decoder skips what is not base64 and reads both alphabets; whatever it made of the
      // text, only a text that is the canonical encoding of those bytes is accepted.
      if (target.write(text, 'base64') !== out.length || target.toString('base64') !== text) return undefined;
      return out;
    },
  };
}

const processLike = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
const nodeBuffer = (processLike?.getBuiltinModule?.('node:buffer') as { Buffer?: NodeBufferClass } | undefined)?.Buffer;

/** The codec of this runtime. */
const codec: Base64Codec = nativeBase64(nodeBuffer) ?? portableBase64;

export function toBase64(bytes: Uint8Array): string {
  return codec.toBase64(bytes);
}

/** The bytes, or `undefined` when the text is not canonical padded base64. */
export function fromBase64(text: string): Uint8Array | undefined {
  return codec.fromBase64(text);
}
