/**
 * Kms: one async method per AWS KMS operation, with the AWS SDK v3 names and shapes. It holds
 * no crypto: each call validates its input, resolves the key, checks state and usage, and asks
 * the provider (see ops/). Every failure is a KMSServiceException subclass. The methods are
 * installed from the operation table (api/operations.ts); their signatures and documentation are
 * in api/kms-methods.ts, generated from the same table.
 */
import type { MetadataBearer } from './api/shapes.js';
import type { KmsCommand } from './api/command.js';
import type { KmsMethods } from './api/kms-methods.js';
import {
  CROSS_ACCOUNT_OPERATIONS,
  type InputOf,
  KEYLESS_OPERATIONS,
  methodName,
  OPERATION_NAMES,
  OPERATIONS,
  type OperationName,
  operationSpec,
  type OutputOf,
  WRITE_OPERATIONS,
} from './api/operations.js';
import { plainValidation, readInput } from './api/validate.js';
import { toNow, type ClockOption } from './clock.js';
import { KMSInternalException, KMSServiceException, UnsupportedOperationException } from './errors.js';
import { authorizeWithoutKey, type Caller } from './ops/authorize.js';
import { checkGrantTokens } from './ops/grant-tokens.js';
import { toSink, type AuditOption, type AuditSink } from './audit/event.js';
import type { auditEvent } from './audit/record-event.js';
import { lazily } from './lazy.js';
import { accountOf, roleOf } from './policy/evaluate.js';
import { parsePolicy } from './policy/document.js';
import type { Env } from './ops/env.js';
import { MemoryProvider } from './providers/memory.js';
import { REGION_NAME } from './keys/arn.js';
import { randomUuid } from './crypto/random.js';
import type { KeyMaterialProvider } from './providers/types.js';

export interface KmsOptions {
  /** Where key material and records live. Default: a new MemoryProvider. */
  provider?: KeyMaterialProvider | undefined;
  /** Default `us-east-1`. */
  region?: string | undefined;
  /** Default `111122223333`. */
  accountId?: string | undefined;
  /** A Clock (`{ now(): Date }`) or a function returning a Date or epoch ms. Default: the system clock. */
  clock?: ClockOption | undefined;
  /** The caller's ARN: key policies, identity policies and grants decide what it may do. Default: the account root. */
  principal?: string | undefined;
  /** IAM identity policies (JSON documents) by principal ARN; a role's policies also apply to its sessions. */
  identityPolicies?: Readonly<Record<string, readonly string[]>> | undefined;
  /** Where audit events go: a sink, a callback, or several. Default: none. */
  audit?: AuditOption | readonly AuditOption[] | undefined;
  /** For the audit trail: the caller's address and user agent (the HTTP server sets these). */
  sourceIp?: string | undefined;
  userAgent?: string | undefined;
  /**
   * aws:SecureTransport for this caller's requests. Default true: an in-process call crosses no
   * network. The wire protocol sets false for requests that came over plain HTTP.
   */
  secureTransport?: boolean | undefined;
}

/** State every view of one service shares (withPrincipal, withRegion, withAccount). */
interface Shared {
  readonly identityPolicies: Map<string, readonly string[]>;
  readonly sinks: readonly AuditSink[];
  /** auditEvent, once loaded (only a service with sinks loads it). */
  buildEvent: typeof auditEvent | undefined;
}

/** The audit event builder, loaded by a service with audit sinks: a page without one does not download it. */
const loadEventBuilder = lazily(() => import('./audit/record-event.js'));

function checkIdentityPolicies(principal: string, docs: readonly string[]): readonly string[] {
  if (!Array.isArray(docs) || docs.some((d) => typeof d !== 'string'))
    throw plainValidation(`Identity policies for ${principal} must be a list of JSON policy documents.`);
  for (const d of docs) parsePolicy(d, 'identity');
  return [...docs];
}
const ACCOUNT = /^\d{12}$/;
const NONE: readonly string[] = [];

/**
 * A request's resources when no audit sink will read them (they are kept only for the audit event):
 * remembers nothing, so such a request allocates no Map. Shared: it never holds anything.
 */
class Unrecorded extends Map<string, string> {
  override set(): this {
    return this;
  }
}
const UNRECORDED: Map<string, string> = new Unrecorded();

/**
 * A sink failed: the call fails. A write has already been applied by then (as behind any
 * InternalException from AWS), so the message says it stays.
 */
function auditFailure(cause: unknown, requestId: string, applied: boolean): KMSInternalException {
  const message = `kmsbox could not record the audit event for this request.${applied ? ' The change the request made has been applied and stays in effect.' : ''}`;
  return new KMSInternalException({ message, cause, $metadata: { requestId } });
}

/**
 * A command object of the AWS SDK v3 (`new EncryptCommand(input)` from `@aws-sdk/client-kms`):
 * its output type travels in `resolveMiddleware`'s handler, which is how `send` types its answer.
 */
export interface SdkCommand<Output> {
  readonly input: unknown;
  resolveMiddleware(...args: never[]): (args: never) => Promise<{ output: Output }>;
}

/** The command-name → operation mapping `send` uses: `EncryptCommand` → `Encrypt`. */
function operationOf(command: unknown): { name: string; input: unknown } {
  if (typeof command !== 'object' || command === null) {
    throw plainValidation('send() takes a command object such as new EncryptCommand(input).');
  }
  const ctorName = (command as { constructor?: { name?: unknown } }).constructor?.name;
  const name = typeof ctorName === 'string' && ctorName.endsWith('Command') ? ctorName.slice(0, -'Command'.length) : '';
  return { name, input: (command as { input?: unknown }).input };
}

/**
 * The AWS KMS API in-process: the AWS SDK v3's method names, shapes and exception names, over
 * real cryptography and a pluggable provider.
 *
 * @example
 * ```ts
 * import { Kms } from 'kmsbox';
 *
 * const kms = new Kms();
 * const { KeyMetadata } = await kms.createKey({ Description: 'app data' });
 * const { CiphertextBlob } = await kms.encrypt({ KeyId: KeyMetadata?.KeyId, Plaintext: new TextEncoder().encode('hi') });
 * const { Plaintext } = await kms.decrypt({ CiphertextBlob });
 * ```
 */
export interface Kms extends KmsMethods {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the AWS SDK's own pattern (interface KMS + class KMS); the static block installs every method the interface declares
export class Kms {
  /** The shared state a view (withPrincipal, withRegion, withAccount) takes over; set only while `#view` constructs one. */
  static #inherited: Shared | undefined;

  /** A view of the same service: a new Kms with these options and the parent's shared state. */
  static #view(parent: Kms, options: KmsOptions): Kms {
    Kms.#inherited = parent.#shared;
    try {
      return new Kms(options);
    } finally {
      Kms.#inherited = undefined;
    }
  }

  // One method per operation of the table, each calling #call with its own operation name.
  static {
    for (const operation of OPERATION_NAMES) {
      const name = methodName(operation);
      // An operation without required members may be called without input (the SDK's `createKey()`).
      const optional = Object.values(operationSpec(operation).request).every((m) => !m.required);
      const method = optional
        ? {
            [name](this: Kms, input: unknown = {}) {
              return this.#call(operation, input);
            },
          }[name]
        : {
            [name](this: Kms, input: unknown) {
              return this.#call(operation, input);
            },
          }[name];
      Object.defineProperty(Kms.prototype, name, { value: method, writable: true, configurable: true, enumerable: false });
    }
  }

  readonly region: string;
  readonly accountId: string;
  readonly principal: string;
  readonly #env: Env;
  readonly #options: KmsOptions;
  readonly #shared: Shared;
  readonly #principalAccount: string;
  /** The role whose identity policies also apply to this caller (a role session's), computed once. */
  readonly #role: string | undefined;

  constructor(options: KmsOptions = {}) {
    const region = options.region ?? 'us-east-1';
    const accountId = options.accountId ?? '111122223333';
    if (!REGION_NAME.test(region)) throw plainValidation(`Invalid region '${region}'.`);
    if (!ACCOUNT.test(accountId)) throw plainValidation(`Invalid account id '${accountId}': it must be 12 digits.`);
    this.region = region;
    this.accountId = accountId;
    this.principal = options.principal ?? `arn:aws:iam::${accountId}:root`;
    this.#principalAccount = accountOf(this.principal) ?? accountId;
    this.#role = roleOf(this.principal);
    const provider = options.provider ?? new MemoryProvider();
    this.#options = { ...options, provider };
    this.#env = { provider, region, accountId, now: toNow(options.clock) };
    const inherited = Kms.#inherited;
    Kms.#inherited = undefined;
    if (inherited) {
      this.#shared = inherited;
    } else {
      const identityPolicies = new Map<string, readonly string[]>();
      for (const [principal, docs] of Object.entries(options.identityPolicies ?? {}))
        identityPolicies.set(principal, checkIdentityPolicies(principal, docs));
      const audit = options.audit === undefined ? [] : Array.isArray(options.audit) ? options.audit : [options.audit as AuditOption];
      this.#shared = { identityPolicies, sinks: audit.map(toSink), buildEvent: undefined };
    }
  }

  /** Replaces the IAM identity policies of a principal (an empty list removes them). Shared by every view of this service. */
  setIdentityPolicies(principal: string, policies: readonly string[]): void {
    const docs = checkIdentityPolicies(principal, policies);
    if (docs.length === 0) this.#shared.identityPolicies.delete(principal);
    else this.#shared.identityPolicies.set(principal, docs);
  }

  /** The identity policies attached to a principal. */
  getIdentityPolicies(principal: string): readonly string[] {
    return this.#shared.identityPolicies.get(principal) ?? [];
  }

  /** The provider keys live in. */
  get provider(): KeyMaterialProvider {
    return this.#env.provider;
  }

  /** The same service (same provider, region, clock, policies, audit) acting as another caller. */
  withPrincipal(principal: string, call: { sourceIp?: string; userAgent?: string; secureTransport?: boolean } = {}): Kms {
    return Kms.#view(this, { ...this.#options, principal, ...call });
  }

  /** The same service (same provider, region, clock) for another account; the caller becomes that account's root. */
  withAccount(accountId: string): Kms {
    return accountId === this.accountId ? this : Kms.#view(this, { ...this.#options, accountId, principal: undefined });
  }

  /** The same service (same provider, account, clock, caller) in another region. */
  withRegion(region: string): Kms {
    return region === this.region ? this : Kms.#view(this, { ...this.#options, region });
  }

  /**
   * Runs an operation by its AWS name (`'Encrypt'`) with an input of its request shape, as
   * `send` and the wire protocol do. An operation kmsbox lacks is UnsupportedOperationException.
   */
  invoke<K extends OperationName>(operation: K, input: InputOf<K>): Promise<OutputOf<K>>;
  invoke(operation: string, input: unknown): Promise<MetadataBearer & Record<string, unknown>>;
  async invoke(operation: string, input: unknown): Promise<MetadataBearer> {
    if (!Object.hasOwn(OPERATIONS, operation)) {
      const error = new UnsupportedOperationException({
        message: operation
          ? `kmsbox does not implement ${operation} yet.`
          : 'send() takes a command object such as new EncryptCommand(input).',
      });
      // Every error carries a request id, as AWS's do.
      error.$metadata.requestId = randomUuid();
      await this.#audit(operation || 'Unknown', input, error.$metadata.requestId, new Map(), undefined, error);
      throw error;
    }
    return this.#call(operation as OperationName, input);
  }

  /**
   * Runs a command object: ours (`new EncryptCommand(input)`) or the AWS SDK v3's, so code
   * written against `KMSClient.send` runs unchanged.
   */
  send<O>(command: SdkCommand<O>): Promise<O>;
  send<I, O>(command: KmsCommand<I, O>): Promise<O>;
  send(command: { input?: unknown }): Promise<MetadataBearer & Record<string, unknown>>;
  async send(command: unknown): Promise<unknown> {
    let operation: { name: string; input: unknown };
    try {
      operation = operationOf(command);
    } catch (error) {
      if (error instanceof KMSServiceException) error.$metadata.requestId = randomUuid();
      throw error;
    }
    return this.invoke(operation.name, operation.input);
  }

  async #call<K extends OperationName>(operation: K, input: unknown): Promise<OutputOf<K>> {
    const requestId = randomUuid();
    const recording = this.#shared.sinks.length > 0;
    const resources = recording ? new Map<string, string>() : UNRECORDED;
    let output: OutputOf<K> | undefined;
    let failure: KMSServiceException | undefined;
    try {
      const parsed = readInput(input);
      const options = this.#options;
      // One literal of one shape (no spreads): this runs on every request.
      const caller: Caller = {
        principal: this.principal,
        operation,
        input: parsed,
        identityPolicies: this.#identityPolicies(),
        resources,
        authorized: new Set(),
        sourceIp: options.sourceIp,
        userAgent: options.userAgent,
        secureTransport: options.secureTransport,
        crossAccount: CROSS_ACCOUNT_OPERATIONS.has(operation),
      };
      const base = this.#env;
      const env: Env = { provider: base.provider, region: base.region, accountId: base.accountId, now: base.now, caller };
      checkGrantTokens(parsed);
      if (KEYLESS_OPERATIONS.has(operation)) authorizeWithoutKey(env);
      const run = OPERATIONS[operation].run;
      // Encrypt and Decrypt answer without a promise when nothing waited: no hop for them here.
      const result = base.provider.inRequest ? base.provider.inRequest(async () => run(env, parsed)) : run(env, parsed);
      const response = (result instanceof Promise ? await result : result) as MetadataBearer;
      // The table pairs each operation with its implementation, so the response is operation K's.
      response.$metadata = { httpStatusCode: 200, requestId, attempts: 1, totalRetryDelay: 0 };
      output = response as OutputOf<K>;
    } catch (error) {
      if (error instanceof KMSServiceException) {
        error.$metadata.requestId = requestId;
        failure = error;
      } else {
        // Anything else is our bug or a broken provider: never let a raw error out of the API.
        failure = new KMSInternalException({
          message: 'kmsbox could not complete the request because of an internal error.',
          cause: error,
          $metadata: { requestId },
        });
      }
    }
    if (recording) {
      const recorded = this.#audit(operation, input, requestId, resources, output, failure);
      if (recorded !== undefined) await recorded;
    }
    if (failure || output === undefined) throw failure;
    return output;
  }

  /** This caller's identity policies, and its role's for a role session (read on every call: they may change). */
  #identityPolicies(): readonly string[] {
    const policies = this.#shared.identityPolicies;
    if (policies.size === 0) return NONE;
    const own = policies.get(this.principal) ?? NONE;
    const ofRole = this.#role === undefined ? NONE : (policies.get(this.#role) ?? NONE);
    return ofRole.length === 0 ? own : [...own, ...ofRole];
  }

  /**
   * Records one call in every audit sink. A sink that fails makes the call fail: no unrecorded
   * results. A write has already been applied by then (as behind any InternalException from AWS,
   * the outcome of a write is then not what the error suggests), so the message says it stays.
   */
  #audit(
    operation: string,
    input: unknown,
    requestId: string,
    resources: Map<string, string>,
    output?: object,
    error?: KMSServiceException,
  ): void | Promise<void> {
    const sinks = this.#shared.sinks;
    if (sinks.length === 0) return;
    const writes = WRITE_OPERATIONS.has(operation as OperationName);
    const buildEvent = this.#shared.buildEvent;
    if (buildEvent === undefined) {
      return loadEventBuilder().then(
        (m) => {
          this.#shared.buildEvent = m.auditEvent;
          return this.#audit(operation, input, requestId, resources, output, error);
        },
        (cause: unknown) => {
          throw auditFailure(cause, requestId, output !== undefined && writes);
        },
      );
    }
    const event = buildEvent({
      operation,
      principal: this.principal,
      principalAccount: this.#principalAccount,
      region: this.region,
      accountId: this.accountId,
      time: this.#env.now(),
      requestId,
      readOnly: !writes,
      input,
      output: output as Record<string, unknown> | undefined,
      error,
      resources,
      sourceIp: this.#options.sourceIp,
      userAgent: this.#options.userAgent,
    });
    // Synchronous sinks (memory, file, plain callbacks) cost no promise hop.
    let i = 0;
    for (const sink of sinks) {
      let pending: void | Promise<void>;
      try {
        pending = sink.write(event);
      } catch (cause) {
        throw auditFailure(cause, requestId, output !== undefined && writes);
      }
      i++;
      if (pending instanceof Promise) {
        const rest = sinks.slice(i);
        return (async () => {
          try {
            await pending;
            for (const later of rest) await later.write(event);
          } catch (cause) {
            throw auditFailure(cause, requestId, output !== undefined && writes);
          }
        })();
      }
    }
  }
}
