/**
 * What the envelope needs from a KMS: the AWS operation shapes, so a kmsbox `Kms` and an AWS SDK
 * v3 `KMS` client (real AWS KMS wrapping the data keys) both fit.
 */

type Context = Record<string, string>;
type Bytes = Uint8Array | undefined;

export interface KmsLike {
  generateDataKey(input: {
    KeyId: string;
    KeySpec: 'AES_256';
    EncryptionContext?: Context;
  }): Promise<{ Plaintext?: Bytes; CiphertextBlob?: Bytes; KeyId?: string | undefined }>;
  encrypt(input: {
    KeyId: string;
    Plaintext: Uint8Array;
    EncryptionContext?: Context;
  }): Promise<{ CiphertextBlob?: Bytes; KeyId?: string | undefined }>;
  decrypt(input: {
    CiphertextBlob: Uint8Array;
    EncryptionContext?: Context;
    KeyId?: string;
  }): Promise<{ Plaintext?: Bytes; KeyId?: string | undefined }>;
  /** Needed only to sign (`signingKeyId`): tells the key's ARN and spec. */
  getPublicKey?(input: { KeyId: string }): Promise<{ KeyId?: string | undefined; KeySpec?: string | undefined }>;
  sign?(input: {
    KeyId: string;
    Message: Uint8Array;
    MessageType: 'RAW';
    SigningAlgorithm: 'ECDSA_SHA_256' | 'ECDSA_SHA_384' | 'ED25519_SHA_512';
  }): Promise<{ Signature?: Bytes; KeyId?: string | undefined }>;
  /** Needed only to read signed messages. */
  verify?(input: {
    KeyId: string;
    Message: Uint8Array;
    MessageType: 'RAW';
    Signature: Uint8Array;
    SigningAlgorithm: 'ECDSA_SHA_256' | 'ECDSA_SHA_384' | 'ED25519_SHA_512';
  }): Promise<{ SignatureValid?: boolean | undefined; KeyId?: string | undefined }>;
}

/** The key id part of a key ARN (`arn:…:key/<id>`), or the reference itself. */
export function keyIdPart(ref: string): string {
  const at = ref.startsWith('arn:') ? ref.lastIndexOf(':key/') : -1;
  return at < 0 ? ref : ref.slice(at + 5);
}

/**
 * Whether `actual` (an ARN, or a key id) is the key `wanted` names. Both ARNs: equal. Otherwise
 * the key ids must be equal (aliases are not resolved: allow-lists name keys).
 */
export function sameKey(wanted: string, actual: string): boolean {
  if (wanted.startsWith('arn:') && actual.startsWith('arn:')) return wanted === actual;
  return keyIdPart(wanted) === keyIdPart(actual);
}

export function allowed(list: readonly string[] | undefined, actual: string): boolean {
  return list === undefined || list.some((w) => sameKey(w, actual));
}

/**
 * An AWS SDK v3 `KMSClient`: only `send(command)`. The envelope builds the SDK's own command
 * objects for it, from the @aws-sdk/client-kms the project has installed (loaded on first use;
 * kmsbox does not depend on it).
 */
export interface KmsClientLike {
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's own send() is overloaded on its command types; any is what accepts all of them
  send(command: any, options?: any): Promise<any>;
}

type SdkCommands = Record<string, new (input: unknown) => unknown>;
/** A variable, so bundlers leave the import to run time (browser pages pass the aggregated KMS class instead). */
const SDK_MODULE = '@aws-sdk/client-kms';
let sdkCommands: Promise<SdkCommands> | undefined;
/** One adapter per client, so a data-key cache keyed by the kms object still hits. */
const adapters = new WeakMap<object, KmsLike>();

// biome-ignore lint/suspicious/noExplicitAny: the SDK's answer is checked member by member by the caller
async function sendCommand(client: KmsClientLike, name: string, input: unknown): Promise<any> {
  sdkCommands ??= import(/* @vite-ignore */ SDK_MODULE).then((m: SdkCommands) => m);
  const Command = (await sdkCommands)[`${name}Command`]!;
  return client.send(new Command(input));
}

/** The KmsLike for a kmsbox Kms or an SDK `KMS` (itself), or for a `KMSClient` (an adapter); undefined for anything else. */
export function asKmsLike(kms: unknown): KmsLike | undefined {
  if (typeof kms !== 'object' || kms === null) return undefined;
  const k = kms as Partial<KmsLike> & Partial<KmsClientLike>;
  if (typeof k.generateDataKey === 'function' && typeof k.encrypt === 'function' && typeof k.decrypt === 'function') return k as KmsLike;
  if (typeof k.send !== 'function') return undefined;
  let adapter = adapters.get(kms);
  if (adapter === undefined) {
    const client = kms as KmsClientLike;
    adapter = {
      generateDataKey: (input) => sendCommand(client, 'GenerateDataKey', input),
      encrypt: (input) => sendCommand(client, 'Encrypt', input),
      decrypt: (input) => sendCommand(client, 'Decrypt', input),
      getPublicKey: (input) => sendCommand(client, 'GetPublicKey', input),
      sign: (input) => sendCommand(client, 'Sign', input),
      verify: (input) => sendCommand(client, 'Verify', input),
    };
    adapters.set(kms, adapter);
  }
  return adapter;
}
