/**
 * Standard base64 (RFC 4648 §4, padded), strict on input: the wire form of every blob member, as the
 * AWS SDKs and the AWS CLI send it. Canonical only: no missing or extra padding, no whitespace or
 * line breaks, no url-safe alphabet, and the unused bits of the last character must be zero
 * (RFC 4648 §3.5), so `QR==` is refused rather than read as `QQ==`: each byte string has exactly
 * one accepted text. @scure/base does the work (Uint8Array.fromBase64 with lastChunkHandling
 * 'strict' where the runtime has it, its own strict decoder elsewhere); test/protocol/base64.test.ts
 * checks both properties.
 */
import { base64 } from '@scure/base';

export function toBase64(bytes: Uint8Array): string {
  return base64.encode(bytes);
}

/** The bytes, or `undefined` when the text is not canonical padded base64. */
export function fromBase64(text: string): Uint8Array | undefined {
  try {
    return base64.decode(text);
  } catch {
    return undefined;
  }
}
