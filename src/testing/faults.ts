/**
 * Injected faults and latency, answered on the wire as AWS would answer them, so the SDK's retry
 * strategy classifies them as it classifies AWS's: ThrottlingException by name (throttling, HTTP
 * 400 as KMS sends it), KMSInternalException (500) and DependencyTimeoutException (503) by
 * status (transient server errors); other client faults (400) are not retried.
 * See @smithy/service-error-classification (THROTTLING_ERROR_CODES, TRANSIENT_ERROR_STATUS_CODES).
 */
import { EXCEPTIONS, ValidationException } from '../errors.js';
import { sameKey } from '../envelope/kms-like.js';
import { KMS_OPERATIONS } from '../protocol/wire-shapes.js';

export interface FailOptions {
  /** The AWS exception name, e.g. `ThrottlingException`, `KMSInternalException`. Default `KMSInternalException`. */
  error?: string;
  message?: string;
  /** Fail only this many matching calls, then pass. Default: every matching call. */
  times?: number;
  /** Fail this fraction (0 < rate ≤ 1) of matching calls. Default 1. */
  rate?: number;
  /** Only calls naming this key (the KeyId, SourceKeyId, DestinationKeyId or TargetKeyId of the request: id, ARN or alias as sent). */
  keyId?: string;
  /** The HTTP status. Default: what AWS sends (500 KMSInternalException, 503 DependencyTimeoutException, 400 otherwise). */
  status?: number;
}

export interface LatencyOptions {
  times?: number;
  keyId?: string;
}

export interface Rule {
  operation: string;
  keyId: string | undefined;
  remaining: number;
  rate: number;
  /** Set for a failure, unset for latency. */
  error?: { name: string; message: string; status: number };
  delayMs: number;
}

const EXCEPTION_NAME = /^[A-Za-z][A-Za-z0-9]{0,127}$/;
/** AWS KMS's message for its request-rate quota. */
const DEFAULT_MESSAGES: Record<string, string> = { ThrottlingException: 'Rate exceeded' };

function checkCommon(operation: unknown, options: { times?: unknown; keyId?: unknown }): void {
  if (operation !== '*' && (typeof operation !== 'string' || !KMS_OPERATIONS.has(operation))) {
    throw new ValidationException({
      message: `Unknown KMS operation ${JSON.stringify(operation)}: use an AWS operation name such as 'Encrypt', or '*'.`,
    });
  }
  if (options.times !== undefined && (!Number.isSafeInteger(options.times) || (options.times as number) < 1)) {
    throw new ValidationException({ message: 'times must be a positive integer.' });
  }
  if (options.keyId !== undefined && (typeof options.keyId !== 'string' || options.keyId === '')) {
    throw new ValidationException({ message: 'keyId must be a non-empty key id, ARN or alias name.' });
  }
}

export function failRule(operation: string, options: FailOptions = {}): Rule {
  checkCommon(operation, options);
  const name = options.error ?? 'KMSInternalException';
  if (typeof name !== 'string' || !EXCEPTION_NAME.test(name))
    throw new ValidationException({ message: 'error must be an AWS exception name such as ThrottlingException.' });
  const rate = options.rate ?? 1;
  if (typeof rate !== 'number' || !(rate > 0 && rate <= 1))
    throw new ValidationException({ message: 'rate must be a number with 0 < rate <= 1.' });
  const known = Object.hasOwn(EXCEPTIONS, name) ? new EXCEPTIONS[name as keyof typeof EXCEPTIONS]() : undefined;
  const status = options.status ?? known?.$metadata.httpStatusCode ?? 400;
  if (!Number.isInteger(status) || status < 400 || status > 599)
    throw new ValidationException({ message: 'status must be an HTTP error status (400-599).' });
  const message = options.message ?? DEFAULT_MESSAGES[name] ?? `kmsbox fake: injected ${name}.`;
  return { operation, keyId: options.keyId, remaining: options.times ?? Infinity, rate, error: { name, message, status }, delayMs: 0 };
}

export function latencyRule(operation: string, ms: number, options: LatencyOptions = {}): Rule {
  checkCommon(operation, options);
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)
    throw new ValidationException({ message: 'latency must be a non-negative number of milliseconds.' });
  return { operation, keyId: options.keyId, remaining: options.times ?? Infinity, rate: 1, delayMs: ms };
}

const KEY_FIELDS = ['KeyId', 'SourceKeyId', 'DestinationKeyId', 'TargetKeyId'] as const;

/** Whether a rule applies to this request (before its `rate` draw). */
export function matches(rule: Rule, operation: string, input: Readonly<Record<string, unknown>>): boolean {
  if (rule.remaining <= 0) return false;
  if (rule.operation !== '*' && rule.operation !== operation) return false;
  if (rule.keyId === undefined) return true;
  const wanted = rule.keyId;
  return KEY_FIELDS.some((f) => typeof input[f] === 'string' && sameKey(wanted, input[f] as string));
}
