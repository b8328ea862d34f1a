/**
 * Compile-only (checked by `npm run typecheck`): code typed against the AWS SDK v3 aggregated
 * `KMS` client compiles against `Kms` for every operation kmsbox implements. If a signature here
 * drifts from the SDK's, the type check fails.
 */
import type { KMS } from '@aws-sdk/client-kms';
import { Kms } from 'kmsbox';

type Implemented =
  | 'cancelKeyDeletion'
  | 'createAlias'
  | 'createKey'
  | 'decrypt'
  | 'deleteAlias'
  | 'deleteImportedKeyMaterial'
  | 'deriveSharedSecret'
  | 'describeKey'
  | 'disableKey'
  | 'disableKeyRotation'
  | 'enableKey'
  | 'enableKeyRotation'
  | 'encrypt'
  | 'generateDataKey'
  | 'generateDataKeyPair'
  | 'generateDataKeyPairWithoutPlaintext'
  | 'generateDataKeyWithoutPlaintext'
  | 'generateMac'
  | 'generateRandom'
  | 'getKeyRotationStatus'
  | 'getParametersForImport'
  | 'getPublicKey'
  | 'importKeyMaterial'
  | 'listAliases'
  | 'listKeyRotations'
  | 'listKeys'
  | 'listResourceTags'
  | 'reEncrypt'
  | 'replicateKey'
  | 'rotateKeyOnDemand'
  | 'scheduleKeyDeletion'
  | 'sign'
  | 'tagResource'
  | 'untagResource'
  | 'updateAlias'
  | 'updateKeyDescription'
  | 'updatePrimaryRegion'
  | 'verify'
  | 'verifyMac';

/** The promise-returning form of each SDK method (its first overload): what application code calls. */
type PromiseForm<F> = F extends {
  (args: infer A, options?: infer _O): Promise<infer R>;
  (args: infer _A2, cb: infer _C): void;
  (args: infer _A3, options: infer _O3, cb: infer _C3): void;
}
  ? (args: A) => Promise<R>
  : F extends (args: infer A, options?: infer _O) => Promise<infer R>
    ? (args: A) => Promise<R>
    : never;

type SdkShaped = { [K in Implemented]: PromiseForm<KMS[K]> };

// A Kms can stand where an SDK KMS client's promise API is expected ...
export const asSdk: SdkShaped = new Kms();

// ... so a function written for the SDK client takes a Kms unchanged.
export async function appCode(client: Pick<SdkShaped, 'encrypt' | 'decrypt'>): Promise<string> {
  const { CiphertextBlob } = await client.encrypt({ KeyId: 'alias/app', Plaintext: new Uint8Array([1]) });
  const { Plaintext, $metadata } = await client.decrypt({ CiphertextBlob });
  return `${Plaintext?.length} ${$metadata.requestId}`;
}
export const run = (): Promise<string> => appCode(new Kms());
// @ts-expect-error — a wrong parameter type must not satisfy the SDK shape (guards the check above).
export const guard: SdkShaped['encrypt'] = (_: { KeyId: number }) => Promise.resolve({ $metadata: {} });
