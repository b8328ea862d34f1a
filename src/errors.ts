/**
 * Typed errors with the AWS KMS exception names, in the AWS SDK v3 shape (`name`, `$fault`, `$metadata`,
 * `static shapeId`), plus `cause`. Every exception is one line below: a named class built by `exception()`.
 *
 * `instanceof` matches the way the AWS SDK's own `ServiceException` does (node_modules/@smithy/core,
 * client/smithy-client/exceptions.js): an error that carries a Smithy shape id (`static shapeId` on its class)
 * is matched on it, so `@aws-sdk/client-kms`'s `NotFoundException` is kmsbox's `NotFoundException` while
 * `@aws-sdk/client-dynamodb`'s `LimitExceededException` is not kmsbox's; an error with no shape id (built by
 * hand, or by an older SDK) is matched on `name` + `$fault`. This holds across the ESM and CJS builds.
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

/** The shape id namespace of AWS KMS in its Smithy model (as `@aws-sdk/client-kms` declares its exceptions). */
const KMS_NAMESPACE = 'com.amazonaws.kms#';
/** The id `@aws-sdk/client-kms` gives its `KMSServiceException`, also the class of every KMS error it does not model. */
const KMS_SERVICE_SHAPE_ID = 'smithy.ts.sdk.synthetic.com.amazonaws.kms#KMSServiceException';
/** The SDK's service-neutral base class: it says nothing about which service an error came from. */
const NEUTRAL_SHAPE_ID = 'smithy.ts.sdk.synthetic.nonamespace.client#ServiceException';

function looksLikeServiceError(value: unknown): value is { name: string; $fault: Fault } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { name?: unknown; $fault?: unknown; $metadata?: unknown };
  return typeof v.name === 'string' && (v.$fault === 'client' || v.$fault === 'server') && typeof v.$metadata === 'object';
}

/** The service shape ids (`static shapeId`) of the classes on `value`'s prototype chain, most derived first. */
function shapeIdsOf(value: object): string[] {
  const ids: string[] = [];
  // Own data properties only: a getter on a hostile value does not run.
  const own = (o: object, key: string): unknown => Object.getOwnPropertyDescriptor(o, key)?.value;
  for (let proto = Object.getPrototypeOf(value) as object | null; proto !== null; proto = Object.getPrototypeOf(proto) as object | null) {
    const ctor = own(proto, 'constructor');
    const id = typeof ctor === 'function' ? own(ctor, 'shapeId') : undefined;
    if (typeof id === 'string' && id !== NEUTRAL_SHAPE_ID) ids.push(id);
  }
  return ids;
}

const isKmsShapeId = (id: string): boolean => id.startsWith(KMS_NAMESPACE) || id === KMS_SERVICE_SHAPE_ID;

/** Base of every error kmsbox throws (the AWS SDK's base class for KMS errors, with its shape id). */
export class KMSServiceException extends Error {
  static readonly shapeId: string = KMS_SERVICE_SHAPE_ID;
  /** The AWS exception name this class stands for; subclasses override it. */
  static readonly exceptionName: string = 'KMSServiceException';
  static readonly fault: Fault = 'client';
  /** The HTTP status AWS answers with: 400 for every client fault (AWS-recorded), the model's code for server faults. */
  static readonly httpStatusCode: number = 400;

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
    this.$metadata = { httpStatusCode: ctor.httpStatusCode, attempts: 1, totalRetryDelay: 0, ...options.$metadata };
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (!looksLikeServiceError(value)) return false;
    const ids = shapeIdsOf(value);
    // No shape id: an error built by hand, by an older SDK or an older kmsbox; only its name can tell.
    const structural = ids.length === 0;
    if (this === KMSServiceException) return structural || ids.some(isKmsShapeId);
    // A subclass that adds no shape id of its own (a user's) is not every KMS error.
    if (this.shapeId !== KMS_SERVICE_SHAPE_ID && ids.includes(this.shapeId)) return true;
    // A KMS error the SDK has no class for (ValidationException, AccessDeniedException) is a bare KMSServiceException.
    const unmodeledKms = ids[0] === KMS_SERVICE_SHAPE_ID;
    return (structural || unmodeledKms) && value.name === this.exceptionName && value.$fault === this.fault;
  }

  /** Never let a structured-clone or JSON dump carry more than the AWS fields. */
  toJSON(): { name: string; message: string; $fault: Fault; $metadata: ResponseMetadata } {
    return { name: this.name, message: this.message, $fault: this.$fault, $metadata: this.$metadata };
  }
}

interface ExceptionOptions<F extends Fault> {
  fault?: F;
  httpStatusCode?: number;
  defaultMessage?: string;
}

/** The class `exception()` builds: `KMSServiceException` with its name, fault and shape id as literal types. */
type ExceptionClass<N extends string, F extends Fault> = Omit<typeof KMSServiceException, 'prototype'> & {
  new (options?: KmsErrorOptions): KMSServiceException & { readonly name: N; readonly $fault: F };
  readonly shapeId: `com.amazonaws.kms#${N}`;
  readonly exceptionName: N;
  readonly fault: F;
};

/**
 * The base of one AWS exception class: its name, shape id and fault as literal types (so `switch (e.name)`
 * narrows), its HTTP status and default message. Extend it with a class of the same name, so the class has
 * that name in stack traces and in the `.d.ts`.
 */
function exception<const N extends string, const F extends Fault = 'client'>(
  exceptionName: N,
  options: ExceptionOptions<F> = {},
): ExceptionClass<N, F> {
  const fault = options.fault ?? 'client';
  return class extends KMSServiceException {
    static override readonly shapeId = `${KMS_NAMESPACE}${exceptionName}`;
    static override readonly exceptionName = exceptionName;
    static override readonly fault = fault;
    static override readonly httpStatusCode = options.httpStatusCode ?? (fault === 'server' ? 500 : 400);
    static override readonly defaultMessage = options.defaultMessage ?? KMSServiceException.defaultMessage;
  } as unknown as ExceptionClass<N, F>;
}

// One class per AWS KMS exception name; add a new one here and in EXCEPTIONS below.
export class AlreadyExistsException extends exception('AlreadyExistsException') {}
export class ConflictException extends exception('ConflictException') {}
export class CustomKeyStoreNotFoundException extends exception('CustomKeyStoreNotFoundException') {}
export class DependencyTimeoutException extends exception('DependencyTimeoutException', { fault: 'server', httpStatusCode: 503 }) {}
export class DisabledException extends exception('DisabledException') {}
export class DryRunOperationException extends exception('DryRunOperationException') {}
export class ExpiredImportTokenException extends exception('ExpiredImportTokenException') {}
export class IncorrectKeyException extends exception('IncorrectKeyException') {}
export class IncorrectKeyMaterialException extends exception('IncorrectKeyMaterialException') {}
export class InvalidAliasNameException extends exception('InvalidAliasNameException') {}
export class InvalidArnException extends exception('InvalidArnException') {}
export class InvalidCiphertextException extends exception('InvalidCiphertextException', {
  defaultMessage: 'The ciphertext is not valid for this key and encryption context, or it was altered.',
}) {}
export class InvalidGrantIdException extends exception('InvalidGrantIdException') {}
export class InvalidGrantTokenException extends exception('InvalidGrantTokenException') {}
export class InvalidImportTokenException extends exception('InvalidImportTokenException') {}
export class InvalidKeyUsageException extends exception('InvalidKeyUsageException') {}
export class InvalidMarkerException extends exception('InvalidMarkerException') {}
export class KeyUnavailableException extends exception('KeyUnavailableException', { fault: 'server' }) {}
export class KMSInternalException extends exception('KMSInternalException', { fault: 'server' }) {}
export class KMSInvalidMacException extends exception('KMSInvalidMacException', {
  defaultMessage: 'The MAC is not valid for this message, key and MAC algorithm.',
}) {}
export class KMSInvalidSignatureException extends exception('KMSInvalidSignatureException', {
  defaultMessage: 'The signature is not valid for this message, key and signing algorithm.',
}) {}
export class KMSInvalidStateException extends exception('KMSInvalidStateException') {}
export class LimitExceededException extends exception('LimitExceededException') {}
export class MalformedPolicyDocumentException extends exception('MalformedPolicyDocumentException') {}
export class NotFoundException extends exception('NotFoundException') {}
export class TagException extends exception('TagException') {}
export class UnsupportedOperationException extends exception('UnsupportedOperationException') {}
/**
 * AWS's framework error for input that breaks the model's constraints. Not a shape of the KMS model: AWS sends
 * it without a namespace and `@aws-sdk/client-kms` raises it as a bare `KMSServiceException` named so.
 */
export class ValidationException extends exception('ValidationException') {}
/** A policy denial, issued by AWS's authorization layer (not in the KMS model either, so the same as above). */
export class AccessDeniedException extends exception('AccessDeniedException') {}

/** Indexes exception classes by their AWS name. */
function byName<const C extends ReadonlyArray<{ readonly exceptionName: string }>>(
  ...classes: C
): { readonly [K in C[number] as K['exceptionName']]: K } {
  return Object.freeze(Object.fromEntries(classes.map((c) => [c.exceptionName, c]))) as never;
}

/** The exception classes by AWS name (for the wire protocol and `isKmsError`). */
export const EXCEPTIONS = byName(
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
);

export type KmsExceptionName = keyof typeof EXCEPTIONS;

/** Every error the public API can throw; `switch (e.name)` narrows it. */
export type AnyKmsError = InstanceType<(typeof EXCEPTIONS)[KmsExceptionName]>;

/** Type guard: is this one of kmsbox's (or `@aws-sdk/client-kms`'s) KMS errors? */
export function isKmsError(value: unknown): value is AnyKmsError {
  return (
    looksLikeServiceError(value) && Object.hasOwn(EXCEPTIONS, value.name) && value instanceof EXCEPTIONS[value.name as KmsExceptionName]
  );
}
