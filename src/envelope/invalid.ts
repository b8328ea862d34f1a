/** Every authentication or format failure is one InvalidCiphertextException with one fixed message. */
import { InvalidCiphertextException, KMSServiceException } from '../errors.js';
import { CborError, NeedMore } from './cbor.js';
import { INVALID_ENVELOPE_MESSAGE } from './format.js';

/** `reason` rides on `cause` only when the caller asked for debug detail. */
export function invalidEnvelope(reason: string, debug: boolean): InvalidCiphertextException {
  return new InvalidCiphertextException({ message: INVALID_ENVELOPE_MESSAGE, ...(debug ? { cause: new Error(reason) } : {}) });
}

/**
 * Typed errors pass; the reader's own errors become InvalidCiphertextException. Anything else
 * (a raw error from a KmsLike that is not ours, a bug) passes unchanged rather than being
 * disguised as a bad envelope.
 */
export function typed(error: unknown, debug: boolean): unknown {
  if (error instanceof CborError) return invalidEnvelope(error.message, debug);
  if (error instanceof NeedMore) return invalidEnvelope('the envelope ends early', debug);
  if (error instanceof KMSServiceException) return error;
  return error;
}
