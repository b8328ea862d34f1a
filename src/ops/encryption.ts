/**
 * Symmetric cryptographic operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
 * GenerateDataKeyWithoutPlaintext, GenerateRandom. Blobs are sealed and opened here
 * (format in blob/ciphertext-blob.ts); the provider does the keyed work.
 */
import { DataKeyPairSpec, DataKeySpec, DryRunModifierType, EncryptionAlgorithmSpec, type KeyUsageType } from '../api/enums.js';
import { canGenerate, generatePrivateKey, publicKeyOf } from '../crypto/asymmetric.js';
import { KEY_SPECS, RSA_OAEP_LIMITS } from '../api/key-specs.js';
import type {
  DecryptResponse,
  EncryptResponse,
  GenerateDataKeyPairResponse,
  GenerateDataKeyPairWithoutPlaintextResponse,
  GenerateDataKeyResponse,
  GenerateDataKeyWithoutPlaintextResponse,
  GenerateRandomResponse,
  ReEncryptResponse,
} from '../api/shapes.js';
import { Checks, type Input, plainValidation } from '../api/validate.js';
import {
  BLOB_VERSION,
  type DecodedBlob,
  decodeBlob,
  encodeBlob,
  encodeHeader,
  materialVersionFits,
  NONCE_BYTES,
  SALT_BYTES,
} from '../blob/ciphertext-blob.js';
import { canonicalContext } from '../blob/encryption-context.js';
import { publicRandomBytes, randomBytes } from '../crypto/random.js';
import {
  DryRunOperationException,
  IncorrectKeyException,
  InvalidCiphertextException,
  InvalidKeyUsageException,
  NotFoundException,
  UnsupportedOperationException,
} from '../errors.js';
import { currentMaterial, type KeyRecord } from '../keys/record.js';
import { checkState, type KeyOperation } from '../keys/states.js';
import type { Env } from './env.js';
import { grantTokens, keyIdMember } from './fields.js';
import { authorizeKey } from './authorize.js';
import { findBlobKey, findKeyForNow, findKeyNow } from './lookup.js';
import { type Maybe, andThen } from './maybe.js';
import { directSymmetric } from '../providers/software.js';
import type { OpenRequest } from '../providers/types.js';
import { customKeyStoreNotFound } from './custom-key-stores.js';

const MAX_PLAINTEXT = 4096;
const MAX_CIPHERTEXT = 6144;

export function checkUsage(key: KeyRecord, usage: KeyUsageType, operation: string): void {
  if (key.keyUsage !== usage) {
    throw new InvalidKeyUsageException({
      message: `${key.arn} key usage is ${key.keyUsage} which is not valid for ${operation}.`,
    });
  }
}

/**
 * The encryption algorithm, which must be one the key spec offers (SYMMETRIC_DEFAULT when none is
 * given); otherwise the wording AWS was recorded using for a MAC algorithm that does not fit
 * (docs/aws-behaviour.md#recorded-aws-answers).
 */
function checkAlgorithm(key: KeyRecord, algorithm: EncryptionAlgorithmSpec | undefined): EncryptionAlgorithmSpec {
  const chosen = algorithm ?? 'SYMMETRIC_DEFAULT';
  if (!(KEY_SPECS[key.keySpec].algorithms.ENCRYPT_DECRYPT ?? []).includes(chosen)) {
    throw new InvalidKeyUsageException({ message: `Algorithm ${chosen} is incompatible with key spec ${key.keySpec}.` });
  }
  return chosen;
}

type RsaAlgorithm = 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256';
const isAsymmetric = (key: KeyRecord): boolean => key.keySpec !== 'SYMMETRIC_DEFAULT';

/** Asymmetric keys take no encryption context: only symmetric ciphertexts can bind one (docs/aws-behaviour.md#encryption-context). */
function refuseContext(context: Record<string, string> | undefined): void {
  if (context !== undefined && Object.keys(context).length > 0) {
    throw plainValidation('EncryptionContext is not supported for asymmetric KMS keys.');
  }
}

interface Encrypted {
  blob: Uint8Array;
  algorithm: EncryptionAlgorithmSpec;
  materialId?: string;
}

/** Encrypts under any ENCRYPT_DECRYPT key: a kmsbox blob for symmetric keys, raw RSAES-OAEP for RSA keys. */
function encryptTo(
  env: Env,
  key: KeyRecord,
  plaintext: Uint8Array,
  algorithm: EncryptionAlgorithmSpec,
  context: Record<string, string> | undefined,
): Maybe<Encrypted> {
  if (!isAsymmetric(key)) {
    return andThen(seal(env, key, plaintext, context), (sealed) => ({
      blob: sealed.blob,
      algorithm: 'SYMMETRIC_DEFAULT',
      materialId: sealed.materialId,
    }));
  }
  refuseContext(context);
  const rsa = algorithm as RsaAlgorithm;
  const limit = RSA_OAEP_LIMITS[key.keySpec]?.[rsa];
  if (limit !== undefined && plaintext.length > limit) {
    throw plainValidation(`Algorithm ${rsa} and key spec ${key.keySpec} cannot encrypt data larger than ${limit} bytes.`);
  }
  return env.provider.asymmetricEncrypt(currentMaterial(key).id, rsa, plaintext).then((blob) => ({ blob, algorithm: rsa }));
}

function dryRun(flag: boolean | undefined): void {
  if (flag) dryRunSucceeded();
}

/** Declared `never`, so what follows a call knows the request was not a dry run. */
function dryRunSucceeded(): never {
  throw new DryRunOperationException({ message: 'The request would have succeeded, but the DryRun option is set.' });
}

/** Nitro Enclaves attestation needs AWS's attestation chain; kmsbox cannot produce CiphertextForRecipient. */
function refuseRecipient(c: Checks): void {
  if (c.present('Recipient')) {
    throw new UnsupportedOperationException({ message: 'Recipient (Nitro Enclaves attestation) is not supported by kmsbox.' });
  }
}

interface Sealed {
  blob: Uint8Array;
  materialId: string;
}

/**
 * Encrypts under the key's current material version. A software provider writes the blob itself,
 * after the header, with no promise on node:crypto (`directSymmetric`); any other provider seals
 * and the header is joined to what it returns.
 */
function seal(env: Env, key: KeyRecord, plaintext: Uint8Array, context: Record<string, string> | undefined): Maybe<Sealed> {
  const version = key.materials.length - 1;
  const material = key.materials[version];
  if (material === undefined || !materialVersionFits(version)) throw new Error(`key ${key.arn} has no usable material version`);
  const random = publicRandomBytes(SALT_BYTES + NONCE_BYTES); // written into the blob
  const salt = random.subarray(0, SALT_BYTES);
  const nonce = random.subarray(SALT_BYTES);
  const header = encodeHeader({ keyId: key.keyId, version, salt, nonce });
  const aad = canonicalContext(context, header);
  const request = { blobVersion: BLOB_VERSION, salt, nonce, plaintext, aad } as const;
  const direct = directSymmetric(env.provider);
  if (direct !== undefined) return andThen(direct.sealBlob(material.id, request, header), (blob) => ({ blob, materialId: material.id }));
  return env.provider.seal(material.id, request).then((sealed) => ({ blob: encodeBlob(header, sealed), materialId: material.id }));
}

/** The provider's `open`, without a promise where `seal` needs none. */
function openSealed(env: Env, materialId: string, request: OpenRequest): Maybe<Uint8Array | undefined> {
  const direct = directSymmetric(env.provider);
  return direct !== undefined ? direct.openNow(materialId, request) : env.provider.open(materialId, request);
}

interface Opened {
  key: KeyRecord;
  plaintext: Uint8Array;
  algorithm: EncryptionAlgorithmSpec;
  materialId?: string;
}

interface OpenOptions {
  operation: KeyOperation;
  context: Record<string, string> | undefined;
  keyId: string | undefined;
  algorithm: EncryptionAlgorithmSpec | undefined;
  /** Checks that must pass before any decryption (the destination key of ReEncrypt). */
  beforeDecrypt?: (key: KeyRecord) => Promise<unknown>;
  /** The permission needed on the key: default kms:<Operation> (ReEncrypt: kms:ReEncryptFrom). */
  action?: string;
}

/**
 * Opens a blob: parse, find its key (an unknown key means the blob is not ours:
 * InvalidCiphertextException), check the requested KeyId, state and usage, then authenticate.
 * Without a promise when nothing waits and the request names no key.
 */
function open(env: Env, blob: Uint8Array, o: OpenOptions): Maybe<Opened> {
  return o.keyId === undefined ? openBlob(env, decodeBlob(blob), o) : openNamed(env, blob, o.keyId, o);
}

/**
 * `open` when the request names a key: an RSA key decrypts here; a blob must name that key. The
 * named key is found (and authorized) once, without a promise when nothing waits.
 */
function openNamed(env: Env, blob: Uint8Array, keyId: string, o: OpenOptions): Maybe<Opened> {
  // An RSA ciphertext carries no key id: the request names its key (AWS requires KeyId and the algorithm then).
  return andThen(findKeyNow(env, keyId, o.action ? { action: o.action } : {}), (named) => {
    if (isAsymmetric(named) && named.keyUsage === 'ENCRYPT_DECRYPT') return openAsymmetric(env, named, blob, o);
    const decoded = decodeBlob(blob);
    if (named.keyId !== decoded.keyId) {
      throw new IncorrectKeyException({
        message: 'The key ID in the request does not identify a CMK that can perform this operation.',
      });
    }
    // The blob's key is the named one when it is in this account and region (findBlobKey looks
    // there first), already found and authorized for this action in this request: no second lookup.
    if (named.region === env.region && named.accountId === env.accountId) return openWithKey(env, named, decoded, o);
    return openBlob(env, decoded, o);
  });
}

/** RSAES-OAEP under the key the request names. */
async function openAsymmetric(env: Env, key: KeyRecord, blob: Uint8Array, o: OpenOptions): Promise<Opened> {
  checkState(o.operation, key);
  const algorithm = checkAlgorithm(key, o.algorithm) as RsaAlgorithm;
  refuseContext(o.context);
  await o.beforeDecrypt?.(key);
  const plaintext = await env.provider.asymmetricDecrypt(currentMaterial(key).id, algorithm, blob);
  if (plaintext === undefined) throw new InvalidCiphertextException();
  return { key, plaintext, algorithm };
}

/** A key that is not there means the blob is not ours. */
function notOurs(error: unknown): unknown {
  return error instanceof NotFoundException ? new InvalidCiphertextException() : error;
}

/** The blob's own key, authorized and checked, then authentication and decryption. */
function openBlob(env: Env, decoded: DecodedBlob, o: OpenOptions): Maybe<Opened> {
  const find = o.action ? { action: o.action } : {};
  let found: Maybe<KeyRecord>;
  try {
    found = findBlobKey(env, decoded.keyId);
  } catch (error) {
    throw notOurs(error);
  }
  if (found instanceof Promise)
    found = found.catch((error: unknown) => {
      throw notOurs(error);
    });
  return andThen(found, (key) => andThen(authorizeKey(env, key, find), () => openWithKey(env, key, decoded, o)));
}

/** The blob under its key (found and authorized): state, usage and algorithm, then authentication and decryption. */
function openWithKey(env: Env, key: KeyRecord, decoded: DecodedBlob, o: OpenOptions): Maybe<Opened> {
  checkState(o.operation, key);
  checkUsage(key, 'ENCRYPT_DECRYPT', o.operation);
  checkAlgorithm(key, o.algorithm);
  return andThen(o.beforeDecrypt?.(key), () => {
    const version = key.materials[decoded.version];
    if (version === undefined) throw new InvalidCiphertextException();
    const aad = canonicalContext(o.context, decoded.header);
    const request = { blobVersion: decoded.blobVersion, salt: decoded.salt, nonce: decoded.nonce, sealed: decoded.sealed, aad };
    return andThen(openSealed(env, version.id, request), (plaintext): Opened => {
      if (plaintext === undefined) throw new InvalidCiphertextException();
      return { key, plaintext, algorithm: 'SYMMETRIC_DEFAULT', materialId: version.id };
    });
  });
}

/** The key for a new ciphertext: found, usable, symmetric encryption. */
function encryptionKey(
  env: Env,
  keyId: string,
  operation: KeyOperation,
  algorithm?: EncryptionAlgorithmSpec,
  action?: string,
): Maybe<KeyRecord> {
  return andThen(findKeyForNow(env, keyId, operation, action ? { action } : {}), (key) => {
    checkUsage(key, 'ENCRYPT_DECRYPT', operation);
    checkAlgorithm(key, algorithm);
    return key;
  });
}

export function encrypt(env: Env, input: Input): Maybe<EncryptResponse> {
  const c = new Checks(input);
  const keyId = c.required(keyIdMember(c));
  const plaintext = c.required(c.bytes('Plaintext', { required: true, min: 1, max: MAX_PLAINTEXT }));
  const context = c.stringMap('EncryptionContext');
  grantTokens(c);
  const checked = c.done({
    keyId,
    plaintext,
    algorithm: c.oneOf('EncryptionAlgorithm', EncryptionAlgorithmSpec),
    isDryRun: c.bool('DryRun'),
  });
  const { algorithm, isDryRun } = checked;
  return andThen(encryptionKey(env, checked.keyId, 'Encrypt', algorithm), (key) => {
    const chosen = checkAlgorithm(key, algorithm);
    if (isAsymmetric(key)) refuseContext(context);
    dryRun(isDryRun);
    return andThen(encryptTo(env, key, checked.plaintext, chosen, context), (out) => ({
      CiphertextBlob: out.blob,
      KeyId: key.arn,
      EncryptionAlgorithm: out.algorithm,
    }));
  });
}

/** CiphertextBlob is optional in the model only for DryRun with IGNORE_CIPHERTEXT. */
function ciphertextAndModifiers(c: Checks): { blob: Uint8Array | undefined; ignoreCiphertext: boolean } {
  const modifiers = c.list('DryRunModifiers', {}, (item, i) => {
    const m = new Checks({ [`DryRunModifiers.${i + 1}.member`]: item }, '', c.problems);
    return m.oneOf(`DryRunModifiers.${i + 1}.member`, DryRunModifierType, true);
  });
  const ignoreCiphertext = c.bool('DryRun') === true && (modifiers ?? []).includes('IGNORE_CIPHERTEXT');
  const blob = c.bytes('CiphertextBlob', { required: !ignoreCiphertext, min: 1, max: MAX_CIPHERTEXT });
  return { blob, ignoreCiphertext };
}

export function decrypt(env: Env, input: Input): Maybe<DecryptResponse> {
  const c = new Checks(input);
  const { blob, ignoreCiphertext } = ciphertextAndModifiers(c);
  const context = c.stringMap('EncryptionContext');
  grantTokens(c);
  const keyId = keyIdMember(c, 'KeyId', false);
  const algorithm = c.oneOf('EncryptionAlgorithm', EncryptionAlgorithmSpec);
  const isDryRun = c.bool('DryRun');
  refuseRecipient(c);
  c.done();
  if (ignoreCiphertext || blob === undefined) {
    return andThen(keyId === undefined ? undefined : encryptionKey(env, keyId, 'Decrypt', algorithm), dryRunSucceeded);
  }
  return andThen(open(env, blob, { operation: 'Decrypt', context, keyId, algorithm }), (opened) => {
    // DryRun is answered last: AWS validates the ciphertext first (hence IGNORE_CIPHERTEXT).
    if (isDryRun) {
      opened.plaintext.fill(0);
      dryRunSucceeded();
    }
    const out: DecryptResponse = { KeyId: opened.key.arn, Plaintext: opened.plaintext, EncryptionAlgorithm: opened.algorithm };
    if (opened.materialId !== undefined) out.KeyMaterialId = opened.materialId;
    return out;
  });
}

export async function reEncrypt(env: Env, input: Input): Promise<ReEncryptResponse> {
  const c = new Checks(input);
  const { blob, ignoreCiphertext } = ciphertextAndModifiers(c);
  const sourceContext = c.stringMap('SourceEncryptionContext');
  const sourceKeyId = keyIdMember(c, 'SourceKeyId', false);
  const destinationKeyId = c.required(keyIdMember(c, 'DestinationKeyId'));
  const destinationContext = c.stringMap('DestinationEncryptionContext');
  const sourceAlgorithm = c.oneOf('SourceEncryptionAlgorithm', EncryptionAlgorithmSpec);
  const destinationAlgorithm = c.oneOf('DestinationEncryptionAlgorithm', EncryptionAlgorithmSpec);
  grantTokens(c);
  const checked = c.done({ destinationKeyId, isDryRun: c.bool('DryRun') });
  const { isDryRun } = checked;
  let destination: KeyRecord | undefined;
  const findDestination = async (): Promise<KeyRecord> =>
    (destination = await encryptionKey(env, checked.destinationKeyId, 'ReEncrypt', destinationAlgorithm, 'kms:ReEncryptTo'));
  if (ignoreCiphertext || blob === undefined) {
    await findDestination();
    dryRunSucceeded();
  }
  const opened = await open(env, blob, {
    operation: 'ReEncrypt',
    action: 'kms:ReEncryptFrom',
    context: sourceContext,
    keyId: sourceKeyId,
    algorithm: sourceAlgorithm,
    beforeDecrypt: findDestination,
  });
  if (isDryRun) {
    opened.plaintext.fill(0);
    dryRunSucceeded();
  }
  // open() ran findDestination before decrypting (beforeDecrypt), so `destination` is set here.
  const target = destination ?? (await findDestination());
  const sealed = await encryptTo(env, target, opened.plaintext, checkAlgorithm(target, destinationAlgorithm), destinationContext);
  opened.plaintext.fill(0);
  return {
    CiphertextBlob: sealed.blob,
    SourceKeyId: opened.key.arn,
    KeyId: target.arn,
    SourceEncryptionAlgorithm: opened.algorithm,
    DestinationEncryptionAlgorithm: sealed.algorithm,
    ...(opened.materialId !== undefined ? { SourceKeyMaterialId: opened.materialId } : {}),
    ...(sealed.materialId !== undefined ? { DestinationKeyMaterialId: sealed.materialId } : {}),
  };
}

interface NewDataKey {
  key: KeyRecord;
  plaintext: Uint8Array;
  sealed: Sealed;
}

/**
 * Shared by both GenerateDataKey operations: exactly one of KeySpec and NumberOfBytes. Without a
 * promise when nothing waits (as Encrypt: a MemoryProvider on node:crypto answers in one turn).
 */
function newDataKey(env: Env, c: Checks, operation: 'GenerateDataKey' | 'GenerateDataKeyWithoutPlaintext'): Maybe<NewDataKey> {
  const keyId = c.required(keyIdMember(c));
  const context = c.stringMap('EncryptionContext');
  const numberOfBytes = c.int('NumberOfBytes', { min: 1, max: 1024 });
  const spec = c.oneOf('KeySpec', DataKeySpec);
  grantTokens(c);
  const isDryRun = c.bool('DryRun');
  if (operation === 'GenerateDataKey') refuseRecipient(c);
  const checked = c.done({ keyId });
  if ((numberOfBytes === undefined) === (spec === undefined)) {
    throw plainValidation('Please specify either number of bytes or key spec.');
  }
  return andThen(encryptionKey(env, checked.keyId, operation), (key) => {
    dryRun(isDryRun);
    const plaintext = randomBytes(numberOfBytes ?? (spec === 'AES_128' ? 16 : 32));
    return andThen(seal(env, key, plaintext, context), (sealed) => ({ key, plaintext, sealed }));
  });
}

export function generateDataKey(env: Env, input: Input): Maybe<GenerateDataKeyResponse> {
  return andThen(newDataKey(env, new Checks(input), 'GenerateDataKey'), ({ key, plaintext, sealed }) => ({
    CiphertextBlob: sealed.blob,
    Plaintext: plaintext,
    KeyId: key.arn,
    KeyMaterialId: sealed.materialId,
  }));
}

export function generateDataKeyWithoutPlaintext(env: Env, input: Input): Maybe<GenerateDataKeyWithoutPlaintextResponse> {
  return andThen(newDataKey(env, new Checks(input), 'GenerateDataKeyWithoutPlaintext'), ({ key, plaintext, sealed }) => {
    plaintext.fill(0);
    return { CiphertextBlob: sealed.blob, KeyId: key.arn, KeyMaterialId: sealed.materialId };
  });
}

/** Both GenerateDataKeyPair operations: a fresh key pair, its PKCS#8 private key sealed under the KMS key. */
async function newDataKeyPair(env: Env, c: Checks, operation: 'GenerateDataKeyPair' | 'GenerateDataKeyPairWithoutPlaintext') {
  const context = c.stringMap('EncryptionContext');
  const keyId = c.required(keyIdMember(c));
  const spec = c.required(c.oneOf('KeyPairSpec', DataKeyPairSpec, true));
  grantTokens(c);
  const isDryRun = c.bool('DryRun');
  if (operation === 'GenerateDataKeyPair') refuseRecipient(c);
  const checked = c.done({ keyId, spec });
  const key = await encryptionKey(env, checked.keyId, operation);
  if (!canGenerate(checked.spec)) {
    throw new UnsupportedOperationException({
      message: `KeyPairSpec ${checked.spec} is not supported by kmsbox${checked.spec === 'SM2' ? ' (China Regions only)' : ' yet'}.`,
    });
  }
  dryRun(isDryRun);
  const privateKey = await generatePrivateKey(checked.spec);
  const sealed = await seal(env, key, privateKey, context);
  return { key, spec: checked.spec, privateKey, publicKey: (await publicKeyOf(privateKey)).slice(), sealed };
}

export async function generateDataKeyPair(env: Env, input: Input): Promise<GenerateDataKeyPairResponse> {
  const p = await newDataKeyPair(env, new Checks(input), 'GenerateDataKeyPair');
  return {
    PrivateKeyCiphertextBlob: p.sealed.blob,
    PrivateKeyPlaintext: p.privateKey,
    PublicKey: p.publicKey,
    KeyId: p.key.arn,
    KeyPairSpec: p.spec,
    KeyMaterialId: p.sealed.materialId,
  };
}

export async function generateDataKeyPairWithoutPlaintext(env: Env, input: Input): Promise<GenerateDataKeyPairWithoutPlaintextResponse> {
  const p = await newDataKeyPair(env, new Checks(input), 'GenerateDataKeyPairWithoutPlaintext');
  p.privateKey.fill(0);
  return {
    PrivateKeyCiphertextBlob: p.sealed.blob,
    PublicKey: p.publicKey,
    KeyId: p.key.arn,
    KeyPairSpec: p.spec,
    KeyMaterialId: p.sealed.materialId,
  };
}

export async function generateRandom(_env: Env, input: Input): Promise<GenerateRandomResponse> {
  const c = new Checks(input);
  if (c.present('NumberOfBytes') === undefined) throw plainValidation('NumberOfBytes is required.');
  // Present (checked above), so once done() passes it is a valid integer.
  const n = c.required(c.int('NumberOfBytes', { min: 1, max: 1024 }));
  const store = c.string('CustomKeyStoreId', { min: 1, max: 64 });
  refuseRecipient(c);
  const checked = c.done({ n });
  if (store !== undefined) throw customKeyStoreNotFound(store);
  return { Plaintext: randomBytes(checked.n) };
}
