/**
 * Kms: one async method per AWS KMS operation, with the AWS SDK v3 names and shapes. It holds
 * no crypto: each call validates its input, resolves the key, checks state and usage, and asks
 * the provider (see ops/). Every failure is a KMSServiceException subclass.
 */
import type * as S from './api/shapes.js';
import { plainValidation } from './api/validate.js';
import { toNow, type ClockOption } from './clock.js';
import type { KmsCommand } from './commands.js';
import { KMSInternalException, KMSServiceException, UnsupportedOperationException } from './errors.js';
import { KEYLESS_OPERATIONS, OPERATIONS, WRITE_OPERATIONS, type OperationName } from './ops/index.js';
import { authorizeWithoutKey, type Caller } from './ops/authorize.js';
import { checkGrantTokens } from './ops/grants.js';
import { auditEvent, toSink, type AuditOption, type AuditSink } from './audit/event.js';
import { accountOf, roleOf } from './policy/evaluate.js';
import { parsePolicy } from './policy/document.js';
import type { Env } from './ops/env.js';
import { readInput } from './api/validate.js';
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
}

/** Carries the shared state from a Kms to the views it makes. */
const SHARED = Symbol('kmsbox.shared');

function checkIdentityPolicies(principal: string, docs: readonly string[]): readonly string[] {
  if (!Array.isArray(docs) || docs.some((d) => typeof d !== 'string'))
    throw plainValidation(`Identity policies for ${principal} must be a list of JSON policy documents.`);
  for (const d of docs) parsePolicy(d, 'identity');
  return [...docs];
}
const ACCOUNT = /^\d{12}$/;

/** The command-name → operation mapping `send` uses: `EncryptCommand` → `Encrypt`. */
function operationOf(command: unknown): { name: string; input: unknown } {
  if (typeof command !== 'object' || command === null) {
    throw plainValidation('send() takes a command object such as new EncryptCommand(input).');
  }
  const ctorName = (command as { constructor?: { name?: unknown } }).constructor?.name;
  const name = typeof ctorName === 'string' && ctorName.endsWith('Command') ? ctorName.slice(0, -'Command'.length) : '';
  return { name, input: (command as { input?: unknown }).input };
}

export class Kms {
  readonly region: string;
  readonly accountId: string;
  readonly principal: string;
  readonly #env: Env;
  readonly #options: KmsOptions;
  readonly #shared: Shared;
  readonly #principalAccount: string;

  constructor(options: KmsOptions = {}) {
    const region = options.region ?? 'us-east-1';
    const accountId = options.accountId ?? '111122223333';
    if (!REGION_NAME.test(region)) throw plainValidation(`Invalid region '${region}'.`);
    if (!ACCOUNT.test(accountId)) throw plainValidation(`Invalid account id '${accountId}': it must be 12 digits.`);
    this.region = region;
    this.accountId = accountId;
    this.principal = options.principal ?? `arn:aws:iam::${accountId}:root`;
    this.#principalAccount = accountOf(this.principal) ?? accountId;
    const provider = options.provider ?? new MemoryProvider();
    this.#options = { ...options, provider };
    this.#env = { provider, region, accountId, now: toNow(options.clock) };
    const inherited = (options as { [SHARED]?: Shared })[SHARED];
    if (inherited) {
      this.#shared = inherited;
    } else {
      const identityPolicies = new Map<string, readonly string[]>();
      for (const [principal, docs] of Object.entries(options.identityPolicies ?? {}))
        identityPolicies.set(principal, checkIdentityPolicies(principal, docs));
      const audit = options.audit === undefined ? [] : Array.isArray(options.audit) ? options.audit : [options.audit as AuditOption];
      this.#shared = { identityPolicies, sinks: audit.map(toSink) };
    }
    (this.#options as { [SHARED]?: Shared })[SHARED] = this.#shared;
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
    return new Kms({ ...this.#options, principal, ...call });
  }

  /** The same service (same provider, region, clock) for another account; the caller becomes that account's root. */
  withAccount(accountId: string): Kms {
    return accountId === this.accountId ? this : new Kms({ ...this.#options, accountId, principal: undefined });
  }

  /** The same service (same provider, account, clock, caller) in another region. */
  withRegion(region: string): Kms {
    return region === this.region ? this : new Kms({ ...this.#options, region });
  }

  /**
   * Runs an operation by its AWS name (`'Encrypt'`) with an input of its request shape, as
   * `send` and the wire protocol do. An operation kmsbox lacks is UnsupportedOperationException.
   */
  async invoke(operation: string, input: unknown): Promise<S.MetadataBearer & Record<string, unknown>> {
    if (!Object.hasOwn(OPERATIONS, operation)) {
      const error = new UnsupportedOperationException({
        message: operation
          ? `kmsbox does not implement ${operation} yet.`
          : 'send() takes a command object such as new EncryptCommand(input).',
      });
      // Every error carries a request id, as AWS's do.
      error.$metadata.requestId = randomUuid();
      await this.#audit({ operation: operation || 'Unknown', input, error, requestId: error.$metadata.requestId, resources: new Map() });
      throw error;
    }
    return this.#call(operation as OperationName, input);
  }

  /**
   * Runs a command object: ours (`new EncryptCommand(input)`) or the AWS SDK v3's, so code
   * written against `KMSClient.send` runs unchanged.
   */
  send<I, O>(command: KmsCommand<I, O>): Promise<O>;
  send(command: { input?: unknown }): Promise<S.MetadataBearer & Record<string, unknown>>;
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

  // biome-ignore lint/suspicious/noExplicitAny: typed per operation by issue #12's operation table
  async #call(operation: OperationName, input: unknown): Promise<any> {
    const requestId = randomUuid();
    const resources = new Map<string, string>();
    let output: Record<string, unknown> | undefined;
    let failure: KMSServiceException | undefined;
    try {
      const parsed = readInput(input);
      const caller: Caller = {
        principal: this.principal,
        operation,
        input: parsed,
        identityPolicies: this.#identityPoliciesOf(this.principal),
        resources,
        authorized: new Set(),
        ...(this.#options.sourceIp !== undefined ? { sourceIp: this.#options.sourceIp } : {}),
        ...(this.#options.userAgent !== undefined ? { userAgent: this.#options.userAgent } : {}),
        ...(this.#options.secureTransport !== undefined ? { secureTransport: this.#options.secureTransport } : {}),
      };
      const base = this.#env;
      const env: Env = { provider: base.provider, region: base.region, accountId: base.accountId, now: base.now, caller };
      checkGrantTokens(parsed);
      if (KEYLESS_OPERATIONS.has(operation)) authorizeWithoutKey(env);
      output = (await OPERATIONS[operation](env, parsed)) as Record<string, unknown>;
      output.$metadata = { httpStatusCode: 200, requestId, attempts: 1, totalRetryDelay: 0 };
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
    if (this.#shared.sinks.length > 0) {
      const recorded = this.#audit({
        operation,
        input,
        requestId,
        resources,
        ...(output ? { output } : {}),
        ...(failure ? { error: failure } : {}),
      });
      if (recorded instanceof Promise) await recorded;
    }
    if (failure) throw failure;
    return output;
  }

  #identityPoliciesOf(principal: string): readonly string[] {
    const own = this.#shared.identityPolicies.get(principal) ?? [];
    const role = roleOf(principal);
    const ofRole = role === undefined ? [] : (this.#shared.identityPolicies.get(role) ?? []);
    return ofRole.length === 0 ? own : [...own, ...ofRole];
  }

  /**
   * Records one call in every audit sink. A sink that fails makes the call fail: no unrecorded
   * results. A write has already been applied by then (as behind any InternalException from AWS,
   * the outcome of a write is then not what the error suggests), so the message says it stays.
   */
  #audit(call: {
    operation: string;
    input: unknown;
    requestId: string;
    resources: Map<string, string>;
    output?: Record<string, unknown>;
    error?: KMSServiceException;
  }): void | Promise<void> {
    const sinks = this.#shared.sinks;
    if (sinks.length === 0) return;
    const event = auditEvent({
      operation: call.operation,
      principal: this.principal,
      principalAccount: this.#principalAccount,
      region: this.region,
      accountId: this.accountId,
      time: this.#env.now(),
      requestId: call.requestId,
      readOnly: !WRITE_OPERATIONS.has(call.operation as OperationName),
      input: call.input,
      output: call.output,
      error: call.error,
      resources: call.resources,
      sourceIp: this.#options.sourceIp,
      userAgent: this.#options.userAgent,
    });
    const applied = call.output !== undefined && WRITE_OPERATIONS.has(call.operation as OperationName);
    const message = `kmsbox could not record the audit event for this request.${applied ? ' The change the request made has been applied and stays in effect.' : ''}`;
    const failed = (error: unknown) => new KMSInternalException({ message, cause: error, $metadata: { requestId: call.requestId } });
    // Synchronous sinks (memory, file, plain callbacks) cost no promise hop.
    for (let i = 0; i < sinks.length; i++) {
      let pending: void | Promise<void>;
      try {
        pending = sinks[i]!.write(event);
      } catch (error) {
        throw failed(error);
      }
      if (pending instanceof Promise) {
        return (async () => {
          try {
            await pending;
            for (const sink of sinks.slice(i + 1)) await sink.write(event);
          } catch (error) {
            throw failed(error);
          }
        })();
      }
    }
  }

  cancelKeyDeletion(input: S.CancelKeyDeletionRequest): Promise<S.CancelKeyDeletionCommandOutput> {
    return this.#call('CancelKeyDeletion', input);
  }
  createAlias(input: S.CreateAliasRequest): Promise<S.CreateAliasCommandOutput> {
    return this.#call('CreateAlias', input);
  }
  createKey(input: S.CreateKeyRequest = {}): Promise<S.CreateKeyCommandOutput> {
    return this.#call('CreateKey', input);
  }
  decrypt(input: S.DecryptRequest): Promise<S.DecryptCommandOutput> {
    return this.#call('Decrypt', input);
  }
  deleteAlias(input: S.DeleteAliasRequest): Promise<S.DeleteAliasCommandOutput> {
    return this.#call('DeleteAlias', input);
  }
  deriveSharedSecret(input: S.DeriveSharedSecretRequest): Promise<S.DeriveSharedSecretCommandOutput> {
    return this.#call('DeriveSharedSecret', input);
  }
  describeKey(input: S.DescribeKeyRequest): Promise<S.DescribeKeyCommandOutput> {
    return this.#call('DescribeKey', input);
  }
  disableKey(input: S.DisableKeyRequest): Promise<S.DisableKeyCommandOutput> {
    return this.#call('DisableKey', input);
  }
  disableKeyRotation(input: S.DisableKeyRotationRequest): Promise<S.DisableKeyRotationCommandOutput> {
    return this.#call('DisableKeyRotation', input);
  }
  enableKey(input: S.EnableKeyRequest): Promise<S.EnableKeyCommandOutput> {
    return this.#call('EnableKey', input);
  }
  enableKeyRotation(input: S.EnableKeyRotationRequest): Promise<S.EnableKeyRotationCommandOutput> {
    return this.#call('EnableKeyRotation', input);
  }
  encrypt(input: S.EncryptRequest): Promise<S.EncryptCommandOutput> {
    return this.#call('Encrypt', input);
  }
  generateDataKey(input: S.GenerateDataKeyRequest): Promise<S.GenerateDataKeyCommandOutput> {
    return this.#call('GenerateDataKey', input);
  }
  generateDataKeyPair(input: S.GenerateDataKeyPairRequest): Promise<S.GenerateDataKeyPairCommandOutput> {
    return this.#call('GenerateDataKeyPair', input);
  }
  generateDataKeyPairWithoutPlaintext(
    input: S.GenerateDataKeyPairWithoutPlaintextRequest,
  ): Promise<S.GenerateDataKeyPairWithoutPlaintextCommandOutput> {
    return this.#call('GenerateDataKeyPairWithoutPlaintext', input);
  }
  generateDataKeyWithoutPlaintext(
    input: S.GenerateDataKeyWithoutPlaintextRequest,
  ): Promise<S.GenerateDataKeyWithoutPlaintextCommandOutput> {
    return this.#call('GenerateDataKeyWithoutPlaintext', input);
  }
  generateMac(input: S.GenerateMacRequest): Promise<S.GenerateMacCommandOutput> {
    return this.#call('GenerateMac', input);
  }
  generateRandom(input: S.GenerateRandomRequest = {}): Promise<S.GenerateRandomCommandOutput> {
    return this.#call('GenerateRandom', input);
  }
  getPublicKey(input: S.GetPublicKeyRequest): Promise<S.GetPublicKeyCommandOutput> {
    return this.#call('GetPublicKey', input);
  }
  getKeyRotationStatus(input: S.GetKeyRotationStatusRequest): Promise<S.GetKeyRotationStatusCommandOutput> {
    return this.#call('GetKeyRotationStatus', input);
  }
  listAliases(input: S.ListAliasesRequest = {}): Promise<S.ListAliasesCommandOutput> {
    return this.#call('ListAliases', input);
  }
  listKeyRotations(input: S.ListKeyRotationsRequest): Promise<S.ListKeyRotationsCommandOutput> {
    return this.#call('ListKeyRotations', input);
  }
  listKeys(input: S.ListKeysRequest = {}): Promise<S.ListKeysCommandOutput> {
    return this.#call('ListKeys', input);
  }
  listResourceTags(input: S.ListResourceTagsRequest): Promise<S.ListResourceTagsCommandOutput> {
    return this.#call('ListResourceTags', input);
  }
  reEncrypt(input: S.ReEncryptRequest): Promise<S.ReEncryptCommandOutput> {
    return this.#call('ReEncrypt', input);
  }
  replicateKey(input: S.ReplicateKeyRequest): Promise<S.ReplicateKeyCommandOutput> {
    return this.#call('ReplicateKey', input);
  }
  rotateKeyOnDemand(input: S.RotateKeyOnDemandRequest): Promise<S.RotateKeyOnDemandCommandOutput> {
    return this.#call('RotateKeyOnDemand', input);
  }
  scheduleKeyDeletion(input: S.ScheduleKeyDeletionRequest): Promise<S.ScheduleKeyDeletionCommandOutput> {
    return this.#call('ScheduleKeyDeletion', input);
  }
  sign(input: S.SignRequest): Promise<S.SignCommandOutput> {
    return this.#call('Sign', input);
  }
  tagResource(input: S.TagResourceRequest): Promise<S.TagResourceCommandOutput> {
    return this.#call('TagResource', input);
  }
  untagResource(input: S.UntagResourceRequest): Promise<S.UntagResourceCommandOutput> {
    return this.#call('UntagResource', input);
  }
  updateAlias(input: S.UpdateAliasRequest): Promise<S.UpdateAliasCommandOutput> {
    return this.#call('UpdateAlias', input);
  }
  updateKeyDescription(input: S.UpdateKeyDescriptionRequest): Promise<S.UpdateKeyDescriptionCommandOutput> {
    return this.#call('UpdateKeyDescription', input);
  }
  getParametersForImport(input: S.GetParametersForImportRequest): Promise<S.GetParametersForImportCommandOutput> {
    return this.#call('GetParametersForImport', input);
  }
  importKeyMaterial(input: S.ImportKeyMaterialRequest): Promise<S.ImportKeyMaterialCommandOutput> {
    return this.#call('ImportKeyMaterial', input);
  }
  deleteImportedKeyMaterial(input: S.DeleteImportedKeyMaterialRequest): Promise<S.DeleteImportedKeyMaterialCommandOutput> {
    return this.#call('DeleteImportedKeyMaterial', input);
  }
  updatePrimaryRegion(input: S.UpdatePrimaryRegionRequest): Promise<S.UpdatePrimaryRegionCommandOutput> {
    return this.#call('UpdatePrimaryRegion', input);
  }
  verify(input: S.VerifyRequest): Promise<S.VerifyCommandOutput> {
    return this.#call('Verify', input);
  }
  verifyMac(input: S.VerifyMacRequest): Promise<S.VerifyMacCommandOutput> {
    return this.#call('VerifyMac', input);
  }
  getKeyPolicy(input: S.GetKeyPolicyRequest): Promise<S.GetKeyPolicyCommandOutput> {
    return this.#call('GetKeyPolicy', input);
  }
  putKeyPolicy(input: S.PutKeyPolicyRequest): Promise<S.PutKeyPolicyCommandOutput> {
    return this.#call('PutKeyPolicy', input);
  }
  listKeyPolicies(input: S.ListKeyPoliciesRequest): Promise<S.ListKeyPoliciesCommandOutput> {
    return this.#call('ListKeyPolicies', input);
  }
  createGrant(input: S.CreateGrantRequest): Promise<S.CreateGrantCommandOutput> {
    return this.#call('CreateGrant', input);
  }
  listGrants(input: S.ListGrantsRequest): Promise<S.ListGrantsCommandOutput> {
    return this.#call('ListGrants', input);
  }
  listRetirableGrants(input: S.ListRetirableGrantsRequest): Promise<S.ListRetirableGrantsCommandOutput> {
    return this.#call('ListRetirableGrants', input);
  }
  retireGrant(input: S.RetireGrantRequest = {}): Promise<S.RetireGrantCommandOutput> {
    return this.#call('RetireGrant', input);
  }
  revokeGrant(input: S.RevokeGrantRequest): Promise<S.RevokeGrantCommandOutput> {
    return this.#call('RevokeGrant', input);
  }
}
