/**
 * Typed errors with the AWS KMS exception names (the AWS SDK v3 shape: `name`, `$fault`,
 * `$metadata`), plus `cause`. `instanceof` matches on `name` + `$fault` as well as on the
 * prototype, so it holds across the ESM and CJS builds and for the AWS SDK's own errors.
 */

export interface ResponseMetadata {
  httpStatusCode?: number;
  requestId?: string;
  extendedRequestId?: string;
  cfId?: string;
  attempts?: number;
  totalRetryDelay?: number;
}

export type Fault = 'client' | 'server';

export interface KmsErrorOptions {
  message?: string | undefined;
  cause?: unknown;
  $metadata?: ResponseMetadata | undefined;
}

/** HTTP status AWS sends: 400 for every client fault (AWS-recorded), the model's code for server faults. */
const SERVER_STATUS: Record<string, number> = {
  KMSInternalException: 500,
  KeyUnavailableException: 500,
  DependencyTimeoutException: 503,
};

function looksLikeServiceError(value: unknown): value is { name: string; $fault: Fault } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { name?: unknown; $fault?: unknown; $metadata?: unknown };
  return typeof v.name === 'string' && (v.$fault === 'client' || v.$fault === 'server') && typeof v.$metadata === 'object';
}

/** Base of every error kmsbox throws (the AWS SDK's base name for KMS errors). */
export class KMSServiceException extends Error {
  /** The AWS exception name this class stands for; subclasses override it. */
  static readonly exceptionName: string = 'KMSServiceException';
  static readonly fault: Fault = 'client';

  override readonly name: string;
  readonly $fault: Fault;
  $metadata: ResponseMetadata;
  /** Same as `message`; AWS sends some errors with a capital `Message`. */
  get Message(): string {
    return this.message;
  }

  /**
   * The message when none is given. AWS sends some exceptions with an empty message (InvalidCiphertext,
   * KMSInvalidSignature, KMSInvalidMac: AWS-recorded); kmsbox never does (issue 13): every error says
   * what went wrong, without saying more than AWS would (one message for every failed decryption).
   */
  static readonly defaultMessage: string = 'The request failed.';

  constructor(options: KmsErrorOptions = {}) {
    const ctor = new.target as typeof KMSServiceException;
    super(options.message || ctor.defaultMessage, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = ctor.exceptionName;
    this.$fault = ctor.fault;
    this.$metadata = {
      httpStatusCode: SERVER_STATUS[this.name] ?? 400,
      attempts: 1,
      totalRetryDelay: 0,
      ...options.$metadata,
    };
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (!looksLikeServiceError(value)) return false;
    if (this === KMSServiceException) return true;
    return value.name === this.exceptionName && value.$fault === this.fault;
  }

  /** Never let a structured-clone or JSON dump carry more than the AWS fields. */
  toJSON(): { name: string; message: string; $fault: Fault; $metadata: ResponseMetadata } {
    return { name: this.name, message: this.message, $fault: this.$fault, $metadata: this.$metadata };
  }
}

// One class per AWS KMS exception name. `name` and `$fault` are literals so `switch (e.name)` narrows.

export class AlreadyExistsException extends KMSServiceException {
  static override readonly exceptionName = 'AlreadyExistsException';
  declare readonly name: 'AlreadyExistsException';
  declare readonly $fault: 'client';
}
export class ConflictException extends KMSServiceException {
  static override readonly exceptionName = 'ConflictException';
  declare readonly name: 'ConflictException';
  declare readonly $fault: 'client';
}
export class CustomKeyStoreNotFoundException extends KMSServiceException {
  static override readonly exceptionName = 'CustomKeyStoreNotFoundException';
  declare readonly name: 'CustomKeyStoreNotFoundException';
  declare readonly $fault: 'client';
}
export class DependencyTimeoutException extends KMSServiceException {
  static override readonly exceptionName = 'DependencyTimeoutException';
  static override readonly fault: Fault = 'server';
  declare readonly name: 'DependencyTimeoutException';
  declare readonly $fault: 'server';
}
export class DisabledException extends KMSServiceException {
  static override readonly exceptionName = 'DisabledException';
  declare readonly name: 'DisabledException';
  declare readonly $fault: 'client';
}
export class DryRunOperationException extends KMSServiceException {
  static override readonly exceptionName = 'DryRunOperationException';
  declare readonly name: 'DryRunOperationException';
  declare readonly $fault: 'client';
}
export class ExpiredImportTokenException extends KMSServiceException {
  static override readonly exceptionName = 'ExpiredImportTokenException';
  declare readonly name: 'ExpiredImportTokenException';
  declare readonly $fault: 'client';
}
export class IncorrectKeyException extends KMSServiceException {
  static override readonly exceptionName = 'IncorrectKeyException';
  declare readonly name: 'IncorrectKeyException';
  declare readonly $fault: 'client';
}
export class IncorrectKeyMaterialException extends KMSServiceException {
  static override readonly exceptionName = 'IncorrectKeyMaterialException';
  declare readonly name: 'IncorrectKeyMaterialException';
  declare readonly $fault: 'client';
}
export class InvalidAliasNameException extends KMSServiceException {
  static override readonly exceptionName = 'InvalidAliasNameException';
  declare readonly name: 'InvalidAliasNameException';
  declare readonly $fault: 'client';
}
export class InvalidArnException extends KMSServiceException {
  static override readonly exceptionName = 'InvalidArnException';
  declare readonly name: 'InvalidArnException';
  declare readonly $fault: 'client';
}
export class InvalidCiphertextException extends KMSServiceException {
  static override readonly exceptionName = 'InvalidCiphertextException';
  static override readonly defaultMessage = 'The ciphertext is not valid for this key and encryption context, or it was altered.';
  declare readonly name: 'InvalidCiphertextException';
  declare readonly $fault: 'client';
}
export class InvalidGrantIdException extends KMSServiceException {
  static override readonly exceptionName = 'InvalidGrantIdException';
  declare readonly name: 'InvalidGrantIdException';
  declare readonly $fault: 'client';
}
export class InvalidGrantTokenException extends KMSServiceException {
  static override readonly exceptionName = 'InvalidGrantTokenException';
  declare readonly name: 'InvalidGrantTokenException';
  declare readonly $fault: 'client';
}
export class InvalidImportTokenException extends KMSServiceException {
  static override readonly exceptionName = 'InvalidImportTokenException';
  declare readonly name: 'InvalidImportTokenException';
  declare readonly $fault: 'client';
}
export class InvalidKeyUsageException extends KMSServiceException {
  static override readonly exceptionName = 'InvalidKeyUsageException';
  declare readonly name: 'InvalidKeyUsageException';
  declare readonly $fault: 'client';
}
export class InvalidMarkerException extends KMSServiceException {
  static override readonly exceptionName = 'InvalidMarkerException';
  declare readonly name: 'InvalidMarkerException';
  declare readonly $fault: 'client';
}
export class KeyUnavailableException extends KMSServiceException {
  static override readonly exceptionName = 'KeyUnavailableException';
  static override readonly fault: Fault = 'server';
  declare readonly name: 'KeyUnavailableException';
  declare readonly $fault: 'server';
}
export class KMSInternalException extends KMSServiceException {
  static override readonly exceptionName = 'KMSInternalException';
  static override readonly fault: Fault = 'server';
  declare readonly name: 'KMSInternalException';
  declare readonly $fault: 'server';
}
export class KMSInvalidMacException extends KMSServiceException {
  static override readonly exceptionName = 'KMSInvalidMacException';
  static override readonly defaultMessage = 'The MAC is not valid for this message, key and MAC algorithm.';
  declare readonly name: 'KMSInvalidMacException';
  declare readonly $fault: 'client';
}
export class KMSInvalidSignatureException extends KMSServiceException {
  static override readonly exceptionName = 'KMSInvalidSignatureException';
  static override readonly defaultMessage = 'The signature is not valid for this message, key and signing algorithm.';
  declare readonly name: 'KMSInvalidSignatureException';
  declare readonly $fault: 'client';
}
export class KMSInvalidStateException extends KMSServiceException {
  static override readonly exceptionName = 'KMSInvalidStateException';
  declare readonly name: 'KMSInvalidStateException';
  declare readonly $fault: 'client';
}
export class LimitExceededException extends KMSServiceException {
  static override readonly exceptionName = 'LimitExceededException';
  declare readonly name: 'LimitExceededException';
  declare readonly $fault: 'client';
}
export class MalformedPolicyDocumentException extends KMSServiceException {
  static override readonly exceptionName = 'MalformedPolicyDocumentException';
  declare readonly name: 'MalformedPolicyDocumentException';
  declare readonly $fault: 'client';
}
export class NotFoundException extends KMSServiceException {
  static override readonly exceptionName = 'NotFoundException';
  declare readonly name: 'NotFoundException';
  declare readonly $fault: 'client';
}
export class TagException extends KMSServiceException {
  static override readonly exceptionName = 'TagException';
  declare readonly name: 'TagException';
  declare readonly $fault: 'client';
}
export class UnsupportedOperationException extends KMSServiceException {
  static override readonly exceptionName = 'UnsupportedOperationException';
  declare readonly name: 'UnsupportedOperationException';
  declare readonly $fault: 'client';
}
/** AWS's framework error for input that breaks the model's constraints (not in the KMS model). */
export class ValidationException extends KMSServiceException {
  static override readonly exceptionName = 'ValidationException';
  declare readonly name: 'ValidationException';
  declare readonly $fault: 'client';
}
/** A policy denial (not in the KMS model; issued by AWS's authorization layer). */
export class AccessDeniedException extends KMSServiceException {
  static override readonly exceptionName = 'AccessDeniedException';
  declare readonly name: 'AccessDeniedException';
  declare readonly $fault: 'client';
}

/** Every error the public API can throw; `switch (e.name)` narrows it. */
export type AnyKmsError =
  | AccessDeniedException
  | AlreadyExistsException
  | ConflictException
  | CustomKeyStoreNotFoundException
  | DependencyTimeoutException
  | DisabledException
  | DryRunOperationException
  | ExpiredImportTokenException
  | IncorrectKeyException
  | IncorrectKeyMaterialException
  | InvalidAliasNameException
  | InvalidArnException
  | InvalidCiphertextException
  | InvalidGrantIdException
  | InvalidGrantTokenException
  | InvalidImportTokenException
  | InvalidKeyUsageException
  | InvalidMarkerException
  | KeyUnavailableException
  | KMSInternalException
  | KMSInvalidMacException
  | KMSInvalidSignatureException
  | KMSInvalidStateException
  | LimitExceededException
  | MalformedPolicyDocumentException
  | NotFoundException
  | TagException
  | UnsupportedOperationException
  | ValidationException;

/** The exception classes by AWS name (for the wire protocol and `isKmsError`). */
export const EXCEPTIONS = {
  AccessDeniedException,
  AlreadyExistsException,
  ConflictException,
  CustomKeyStoreNotFoundException,
  DependencyTimeoutException,
  DisabledException,
  DryRunOperationException,
  ExpiredImportTokenException,
  IncorrectKeyException,
  IncorrectKeyMaterialException,
  InvalidAliasNameException,
  InvalidArnException,
  InvalidCiphertextException,
  InvalidGrantIdException,
  InvalidGrantTokenException,
  InvalidImportTokenException,
  InvalidKeyUsageException,
  InvalidMarkerException,
  KeyUnavailableException,
  KMSInternalException,
  KMSInvalidMacException,
  KMSInvalidSignatureException,
  KMSInvalidStateException,
  LimitExceededException,
  MalformedPolicyDocumentException,
  NotFoundException,
  TagException,
  UnsupportedOperationException,
  ValidationException,
} as const;

export type KmsExceptionName = keyof typeof EXCEPTIONS;

/** Type guard: is this one of our (or the AWS SDK's) KMS errors? */
export function isKmsError(value: unknown): value is AnyKmsError {
  return looksLikeServiceError(value) && Object.hasOwn(EXCEPTIONS, value.name);
}
