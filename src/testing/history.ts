/** What the fake records of each request: the operation and its input, without plaintext unless asked. */
import { decodeInput } from '../protocol/codec.js';
import { utf8Decode } from '../crypto/bytes.js';

export interface KmsCall {
  /** The AWS operation name, e.g. `Encrypt`. */
  readonly operation: string;
  /** The request as the SDK sent it, blobs decoded to Uint8Array; `Plaintext` and `Message` are `'[redacted]'` unless `recordPlaintext`. */
  readonly input: Readonly<Record<string, unknown>>;
  /** The AWS exception name the request got (injected or real), or undefined when it succeeded. */
  error?: string | undefined;
}

/** Fields that carry the caller's secrets or data (Encrypt, GenerateMac, Sign, Verify and friends). */
const PLAINTEXT_FIELDS = ['Plaintext', 'Message'] as const;
export const REDACTED = '[redacted]';

export function requestInput(body: unknown, recordPlaintext: boolean): Record<string, unknown> {
  let input: Record<string, unknown> = {};
  try {
    const text = typeof body === 'string' ? body : body instanceof Uint8Array ? utf8Decode(body) : '';
    const parsed: unknown = text.trim() === '' ? {} : decodeInput(JSON.parse(text));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) input = parsed as Record<string, unknown>;
  } catch {
    // An unparsable body is recorded as an empty input; the protocol answers it with SerializationException.
  }
  if (!recordPlaintext) for (const field of PLAINTEXT_FIELDS) if (field in input) input[field] = REDACTED;
  return input;
}
