// Which errors are kmsbox's KMS errors: the Smithy shape id (`static shapeId`) decides, as in the AWS SDK's own
// ServiceException; an error with no shape id falls back to name + $fault. Other services' errors with KMS names
// (DynamoDB's LimitExceededException, Lambda's look-alikes) are not KMS errors.
import * as dynamodb from '@aws-sdk/client-dynamodb';
import * as sdk from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import * as kmsbox from 'kmsbox';
import {
  AccessDeniedException,
  ConflictException,
  createRequestHandler,
  DisabledException,
  EXCEPTIONS,
  isKmsError,
  Kms,
  KMSServiceException,
  LimitExceededException,
  NotFoundException,
  ValidationException,
  type KmsExceptionName,
} from 'kmsbox';

const NAMES = Object.keys(EXCEPTIONS) as KmsExceptionName[];

/** The AWS SDK's service-neutral base class, as every generated client extends it. */
const ServiceException = Object.getPrototypeOf(sdk.KMSServiceException) as typeof sdk.KMSServiceException;
type Options = ConstructorParameters<typeof sdk.KMSServiceException>[0];

/** Lambda's classes as @aws-sdk/client-lambda generates them (the package is not installed here). */
class LambdaServiceException extends ServiceException {
  static override shapeId = 'smithy.ts.sdk.synthetic.com.amazonaws.lambda#LambdaServiceException';
}
function lambdaException(name: string) {
  return class extends LambdaServiceException {
    static override shapeId = `com.amazonaws.lambda#${name}`;
    constructor(opts: Omit<Options, 'name' | '$fault'>) {
      super({ name, $fault: 'client', ...opts });
    }
  };
}

const $metadata = { httpStatusCode: 400 };

describe('shape ids', () => {
  it('every class carries the shape id @aws-sdk/client-kms gives it', () => {
    expect(KMSServiceException.shapeId).toBe('smithy.ts.sdk.synthetic.com.amazonaws.kms#KMSServiceException');
    expect(KMSServiceException.shapeId).toBe(sdk.KMSServiceException.shapeId);
    let modeled = 0;
    for (const name of NAMES) {
      expect(EXCEPTIONS[name].shapeId).toBe(`com.amazonaws.kms#${name}`);
      const theirs = (sdk as unknown as Record<string, { shapeId?: string }>)[name];
      if (theirs === undefined) continue;
      expect(EXCEPTIONS[name].shapeId).toBe(theirs.shapeId);
      modeled++;
    }
    // All but ValidationException and AccessDeniedException, which AWS sends from outside the KMS model.
    expect(modeled).toBe(NAMES.length - 2);
    expect(Object.hasOwn(sdk, 'ValidationException')).toBe(false);
    expect(Object.hasOwn(sdk, 'AccessDeniedException')).toBe(false);
  });

  it('each exception keeps its name, fault, HTTP status and default message', () => {
    const server: Record<string, number> = { DependencyTimeoutException: 503, KeyUnavailableException: 500, KMSInternalException: 500 };
    const messages: Record<string, string> = {
      InvalidCiphertextException: 'The ciphertext is not valid for this key and encryption context, or it was altered.',
      KMSInvalidMacException: 'The MAC is not valid for this message, key and MAC algorithm.',
      KMSInvalidSignatureException: 'The signature is not valid for this message, key and signing algorithm.',
    };
    for (const name of NAMES) {
      const e = new EXCEPTIONS[name]();
      expect(e.constructor).toBe(EXCEPTIONS[name]);
      expect(e.constructor.name).toBe(name);
      expect(Object.getPrototypeOf(e)).toBe(EXCEPTIONS[name].prototype);
      expect(e.name).toBe(name);
      expect(EXCEPTIONS[name].exceptionName).toBe(name);
      expect(e.$fault).toBe(name in server ? 'server' : 'client');
      expect(EXCEPTIONS[name].fault).toBe(e.$fault);
      expect(e.$metadata).toEqual({ httpStatusCode: server[name] ?? 400, attempts: 1, totalRetryDelay: 0 });
      expect(e.message).toBe(messages[name] ?? 'The request failed.');
      expect(e.Message).toBe(e.message);
      expect(String(e.stack)).toMatch(new RegExp(`^${name}: `));
      const given = new EXCEPTIONS[name]({ message: 'given', $metadata: { requestId: 'r' }, cause: 1 });
      expect([given.message, given.$metadata.requestId, given.$metadata.attempts, given.cause]).toEqual(['given', 'r', 1, 1]);
    }
  });

  it('every exception class the package exports is in EXCEPTIONS (the list to add a new one to)', () => {
    const exported = Object.entries(kmsbox).filter(
      ([, value]) => typeof value === 'function' && value.prototype instanceof KMSServiceException && value !== KMSServiceException,
    );
    expect(exported.map(([name]) => name).sort()).toEqual([...NAMES].sort());
    for (const [name, value] of exported) expect(EXCEPTIONS[name as KmsExceptionName]).toBe(value);
    expect(Object.isFrozen(EXCEPTIONS)).toBe(true);
  });
});

describe('errors of other AWS services with KMS names are not KMS errors', () => {
  it("DynamoDB's LimitExceededException", () => {
    const theirs = new dynamodb.LimitExceededException({ message: 'too many tables', $metadata });
    expect(theirs.name).toBe('LimitExceededException');
    expect(theirs.$fault).toBe('client');
    expect(theirs).not.toBeInstanceOf(LimitExceededException);
    expect(theirs).not.toBeInstanceOf(KMSServiceException);
    expect(isKmsError(theirs)).toBe(false);
    // The SDK's own classes agree.
    expect(theirs).not.toBeInstanceOf(sdk.LimitExceededException);
    expect(theirs).not.toBeInstanceOf(sdk.KMSServiceException);
  });

  it('DynamoDB errors it has no class for (raised as a bare DynamoDBServiceException)', () => {
    for (const name of ['ValidationException', 'AccessDeniedException', 'LimitExceededException', 'NotFoundException'] as const) {
      const theirs = new dynamodb.DynamoDBServiceException({ name, $fault: 'client', message: 'x', $metadata });
      expect(theirs).not.toBeInstanceOf(EXCEPTIONS[name]);
      expect(theirs).not.toBeInstanceOf(KMSServiceException);
      expect(isKmsError(theirs)).toBe(false);
    }
  });

  it("Lambda's look-alikes of LimitExceeded, AccessDenied, Validation and Conflict", () => {
    for (const cls of [LimitExceededException, AccessDeniedException, ValidationException, ConflictException]) {
      const theirs = new (lambdaException(cls.exceptionName))({ message: 'x', $metadata });
      expect(theirs.name).toBe(cls.exceptionName);
      expect(theirs).not.toBeInstanceOf(cls);
      expect(theirs).not.toBeInstanceOf(KMSServiceException);
      expect(isKmsError(theirs)).toBe(false);
    }
  });
});

describe("kmsbox's and @aws-sdk/client-kms's KMS errors are recognized alike", () => {
  it("the SDK's class for every exception it models is kmsbox's, and kmsbox's is the SDK's", () => {
    for (const name of NAMES) {
      const Theirs = (sdk as unknown as Record<string, new (o: Options) => Error>)[name];
      if (Theirs === undefined) continue;
      const theirs = new Theirs({ message: 'm', $metadata } as Options);
      expect(theirs).toBeInstanceOf(EXCEPTIONS[name]);
      expect(theirs).toBeInstanceOf(KMSServiceException);
      expect(isKmsError(theirs)).toBe(true);
      const ours = new EXCEPTIONS[name]();
      expect(ours).toBeInstanceOf(Theirs);
      expect(ours).toBeInstanceOf(sdk.KMSServiceException);
      const other = name === 'NotFoundException' ? DisabledException : NotFoundException;
      expect(theirs).not.toBeInstanceOf(other);
      expect(isKmsError(new other())).toBe(true);
    }
  });

  it('a KMS error the SDK has no class for (a bare KMSServiceException) matches by name and fault', () => {
    const denied = new sdk.KMSServiceException({ name: 'AccessDeniedException', $fault: 'client', message: 'no', $metadata });
    expect(denied).toBeInstanceOf(AccessDeniedException);
    expect(denied).toBeInstanceOf(KMSServiceException);
    expect(denied).not.toBeInstanceOf(ValidationException);
    expect(isKmsError(denied)).toBe(true);
    const wrongFault = new sdk.KMSServiceException({ name: 'AccessDeniedException', $fault: 'server', message: 'no', $metadata });
    expect(wrongFault).not.toBeInstanceOf(AccessDeniedException);
    expect(isKmsError(wrongFault)).toBe(false);
    expect(isKmsError(new sdk.KMSServiceException({ name: 'ThrottlingException', $fault: 'client', message: '', $metadata }))).toBe(false);
  });

  it('the shape id wins over the name', () => {
    const disabled = new sdk.DisabledException({ message: 'x', $metadata });
    Object.assign(disabled, { name: 'NotFoundException' });
    expect(disabled).not.toBeInstanceOf(NotFoundException);
    expect(disabled).toBeInstanceOf(DisabledException);
    expect(isKmsError(disabled)).toBe(false);
  });

  it("errors with no service shape id (the SDK's neutral base, an older SDK, built by hand) match by name and fault", () => {
    const neutral = new ServiceException({ name: 'NotFoundException', $fault: 'client', message: 'x', $metadata });
    expect(neutral).toBeInstanceOf(NotFoundException);
    expect(neutral).toBeInstanceOf(KMSServiceException);
    expect(neutral).not.toBeInstanceOf(DisabledException);
    expect(isKmsError(neutral)).toBe(true);
    // A shape id behind a getter is not read (a hostile value runs no code) and does not count.
    class Sneaky extends Error {
      static get shapeId(): string {
        throw new Error('ran');
      }
      readonly $fault = 'client';
      readonly $metadata = {};
    }
    const sneaky = Object.assign(new Sneaky('x'), { name: 'LimitExceededException' });
    expect(sneaky).toBeInstanceOf(LimitExceededException);
    expect(isKmsError(sneaky)).toBe(true);
  });

  it("a user's subclass without a shape id of its own is not every KMS error", () => {
    class AppError extends KMSServiceException {}
    expect(new sdk.NotFoundException({ message: 'x', $metadata })).not.toBeInstanceOf(AppError);
    expect(new NotFoundException()).not.toBeInstanceOf(AppError);
    expect(new AppError()).toBeInstanceOf(AppError);
    expect(new AppError()).toBeInstanceOf(KMSServiceException);
    class AppNotFound extends NotFoundException {}
    expect(new sdk.NotFoundException({ message: 'x', $metadata })).toBeInstanceOf(AppNotFound);
    expect(new sdk.DisabledException({ message: 'x', $metadata })).not.toBeInstanceOf(AppNotFound);
  });

  it('an error from another copy of kmsbox (other classes, the same shape ids)', () => {
    class OtherBase extends Error {
      static shapeId = KMSServiceException.shapeId;
      readonly $fault = 'client';
      readonly $metadata = {};
    }
    class OtherNotFound extends OtherBase {
      static override shapeId = NotFoundException.shapeId;
      override readonly name = 'NotFoundException';
    }
    expect(new OtherNotFound()).toBeInstanceOf(NotFoundException);
    expect(new OtherNotFound()).toBeInstanceOf(KMSServiceException);
    const unmodeled = Object.assign(new OtherBase(), { name: 'ValidationException' });
    expect(unmodeled).toBeInstanceOf(ValidationException);
    expect(unmodeled).not.toBeInstanceOf(NotFoundException);
  });

  it('the SDK client over kmsbox raises errors that are instances of kmsbox classes, modeled or not', async () => {
    const client = new sdk.KMSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      requestHandler: createRequestHandler(new Kms()),
      maxAttempts: 1,
    });
    const missing = await client.send(new sdk.DescribeKeyCommand({ KeyId: 'alias/none' })).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(sdk.NotFoundException);
    expect(missing).toBeInstanceOf(NotFoundException);
    const invalid = await client.send(new sdk.GenerateRandomCommand({ NumberOfBytes: 0 })).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(sdk.KMSServiceException);
    expect((invalid as Error).name).toBe('ValidationException');
    expect(invalid).toBeInstanceOf(ValidationException);
    expect(isKmsError(invalid)).toBe(true);
  });
});
