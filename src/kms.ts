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
import { OPERATIONS, type OperationName } from './ops/index.js';
import type { Env } from './ops/env.js';
import { readInput } from './api/validate.js';
import { MemoryProvider } from './providers/memory.js';
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
  /** The caller's ARN, for key policies. Default: the account root. */
  principal?: string | undefined;
}

const REGION = /^([a-z]+-){2,3}\d+$/;
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

  constructor(options: KmsOptions = {}) {
    const region = options.region ?? 'us-east-1';
    const accountId = options.accountId ?? '111122223333';
    if (!REGION.test(region)) throw plainValidation(`Invalid region '${region}'.`);
    if (!ACCOUNT.test(accountId)) throw plainValidation(`Invalid account id '${accountId}': it must be 12 digits.`);
    this.region = region;
    this.accountId = accountId;
    this.principal = options.principal ?? `arn:aws:iam::${accountId}:root`;
    const provider = options.provider ?? new MemoryProvider();
    this.#options = { ...options, provider };
    this.#env = { provider, region, accountId, now: toNow(options.clock) };
  }

  /** The provider keys live in. */
  get provider(): KeyMaterialProvider {
    return this.#env.provider;
  }

  /** The same service (same provider, region, clock) acting as another caller. */
  withPrincipal(principal: string): Kms {
    return new Kms({ ...this.#options, principal });
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
        message: operation ? `kmsbox does not implement ${operation} yet.` : 'send() takes a command object such as new EncryptCommand(input).',
      });
      // Every error carries a request id, as AWS's do.
      error.$metadata.requestId = globalThis.crypto.randomUUID();
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
      if (error instanceof KMSServiceException) error.$metadata.requestId = globalThis.crypto.randomUUID();
      throw error;
    }
    return this.invoke(operation.name, operation.input);
  }

  async #call(operation: OperationName, input: unknown): Promise<any> {
    const requestId = globalThis.crypto.randomUUID();
    try {
      const output = (await OPERATIONS[operation](this.#env, readInput(input))) as Record<string, unknown>;
      output.$metadata = { httpStatusCode: 200, requestId, attempts: 1, totalRetryDelay: 0 };
      return output;
    } catch (error) {
      if (error instanceof KMSServiceException) {
        error.$metadata.requestId = requestId;
        throw error;
      }
      // Anything else is our bug or a broken provider: never let a raw error out of the API.
      throw new KMSInternalException({
        message: 'kmsbox could not complete the request because of an internal error.',
        cause: error,
        $metadata: { requestId },
      });
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
  verify(input: S.VerifyRequest): Promise<S.VerifyCommandOutput> {
    return this.#call('Verify', input);
  }
  verifyMac(input: S.VerifyMacRequest): Promise<S.VerifyMacCommandOutput> {
    return this.#call('VerifyMac', input);
  }
}
