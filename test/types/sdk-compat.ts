/**
 * Compile-only (checked by `npm run typecheck`): code typed against the AWS SDK v3 aggregated
 * `KMS` client compiles against `Kms` for every operation kmsbox implements. If a signature here
 * drifts from the SDK's, the type check fails.
 */
import { EncryptCommand as SdkEncryptCommand, type KMS } from '@aws-sdk/client-kms';
import { Kms, type InputOf, type KmsMethods, type OperationName, type OutputOf } from 'kmsbox';

/** Every operation of the table (src/api/operations.ts), by its method name. */
type Implemented = Uncapitalize<OperationName>;

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

// kms.send with the SDK's own command classes answers the SDK's typed output, not Record<string, unknown>.
export async function sdkCommand(kms: Kms): Promise<Uint8Array | undefined> {
  const out = await kms.send(new SdkEncryptCommand({ KeyId: 'alias/app', Plaintext: new Uint8Array([1]) }));
  // @ts-expect-error — a member Encrypt does not answer (allowed if the output were a Record)
  void out.Plaintext;
  const blob: Uint8Array | undefined = out.CiphertextBlob;
  return blob;
}

// A method wired to the wrong operation does not compile: each operation's output is its own.
declare function call<K extends OperationName>(operation: K, input: InputOf<K>): Promise<OutputOf<K>>;
export const wired: KmsMethods['encrypt'] = (input) => call('Encrypt', input);
// @ts-expect-error — Decrypt's output cannot stand for Encrypt's, though their members overlap
export const miswired: KmsMethods['encrypt'] = (input) => call('Decrypt', input);
