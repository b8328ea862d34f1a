/** Every authentication or format failure is one InvalidCiphertextException with one fixed message. */
import { InvalidCiphertextException, KMSInternalException, KMSServiceException } from '../errors.js';
import { CborError, NeedMore } from './cbor.js';
import { INVALID_ENVELOPE_MESSAGE } from './format.js';

/** `reason` rides on `cause` only when the caller asked for debug detail. */
export function invalidEnvelope(reason: string, debug: boolean): InvalidCiphertextException {
  return new InvalidCiphertextException({ message: INVALID_ENVELOPE_MESSAGE, ...(debug ? { cause: new Error(reason) } : {}) });
}

/**
 * Typed errors (ours and the AWS SDK's) pass; the reader's own errors become
 * InvalidCiphertextException. Anything else (a transport failure inside a KmsLike, a bug) is
 * KMSInternalException with the original on `cause`, as the Kms does: never a raw error, and never
 * disguised as a bad envelope.
 */
export function typed(error: unknown, debug: boolean): KMSServiceException {
  if (error instanceof CborError) return invalidEnvelope(error.message, debug);
  if (error instanceof NeedMore) return invalidEnvelope('the envelope ends early', debug);
  if (error instanceof KMSServiceException) return error;
  return new KMSInternalException({
    message: 'kmsbox could not complete the envelope operation because of an internal error.',
    cause: error,
  });
}
