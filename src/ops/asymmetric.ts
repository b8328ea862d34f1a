/** Asymmetric keys: Sign, Verify, GetPublicKey, DeriveSharedSecret (https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html; docs/aws-behaviour.md#signing). */
import { KeyAgreementAlgorithmSpec, MessageType, SigningAlgorithmSpec, type CustomerMasterKeySpec } from '../api/enums.js';
import { KEY_SPECS } from '../api/key-specs.js';
import type { DeriveSharedSecretResponse, GetPublicKeyResponse, SignResponse, VerifyResponse } from '../api/shapes.js';
import { Checks, type Input, plainValidation, type Required } from '../api/validate.js';
import { MU_BYTES } from '../crypto/ml-dsa-spec.js';
import { SIGNING } from '../crypto/signatures.js';
import {
  DryRunOperationException,
  InvalidKeyUsageException,
  KMSInvalidSignatureException,
  UnsupportedOperationException,
} from '../errors.js';
import { currentMaterial, type KeyRecord } from '../keys/record.js';
import { checkUsage } from './encryption.js';
import type { Env } from './env.js';
import { grantTokens, keyIdMember } from './fields.js';
import { findKeyFor, findKeyForNow } from './lookup.js';
import type { Maybe } from './maybe.js';
import { directSigner } from '../providers/software.js';
import type { SignRequest } from '../providers/types.js';

/** What Verify asks the provider: Sign's request and the signature. */
type VerifyRequest = SignRequest & { readonly signature: Uint8Array };

const MAX_MESSAGE = 4096;
// The byte members' rules, made once (not an object per request).
const MESSAGE_RULE = { required: true, min: 1, max: MAX_MESSAGE } as const;
const SIGNATURE_RULE = { required: true, min: 1, max: 6144 } as const;

/** Sign's and Verify's shared members (`readSignature` reads Verify's Signature in its place among them). */
function readSignRequest<S>(c: Checks, readSignature: (c: Checks) => S) {
  const keyId = c.required(keyIdMember(c));
  const message = c.required(c.bytes('Message', MESSAGE_RULE));
  const messageType = c.oneOf('MessageType', MessageType) ?? 'RAW';
  const signature = readSignature(c);
  const algorithm = c.required(c.oneOf('SigningAlgorithm', SigningAlgorithmSpec, true));
  grantTokens(c);
  return c.done({ keyId, message, messageType, signature, algorithm, isDryRun: c.bool('DryRun') });
}

/** A member as `Checks.done` returns it (validate.ts `Checked`). */
type Plain<S> = S extends Required<infer T> ? T : S;

/** A checked Sign or Verify: the key, its current material, and what the provider is asked. */
interface CheckedSign<R> {
  readonly key: KeyRecord;
  readonly materialId: string;
  readonly request: R;
}

/**
 * Reads the request, finds the key, checks state, usage, the algorithm, the message type and DryRun;
 * without a promise when the lookup needs none (ops/maybe.ts). `request` builds what the provider is
 * asked from the checked members (Verify's carries the signature): one object, made once.
 */
function signRequest<S, R>(
  env: Env,
  c: Checks,
  operation: 'Sign' | 'Verify',
  readSignature: (c: Checks) => S,
  request: (algorithm: SigningAlgorithmSpec, message: Uint8Array, messageType: MessageType, signature: Plain<S>) => R,
): Maybe<CheckedSign<R>> {
  const checked = readSignRequest(c, readSignature);
  const key = findKeyForNow(env, checked.keyId, operation);
  return key instanceof Promise
    ? key.then((k) => checkedSignRequest(k, operation, checked, request))
    : checkedSignRequest(key, operation, checked, request);
}

function checkedSignRequest<S, R>(
  key: KeyRecord,
  operation: 'Sign' | 'Verify',
  {
    message,
    messageType,
    signature,
    algorithm,
    isDryRun,
  }: { message: Uint8Array; messageType: MessageType; signature: Plain<S>; algorithm: SigningAlgorithmSpec; isDryRun: boolean | undefined },
  request: (algorithm: SigningAlgorithmSpec, message: Uint8Array, messageType: MessageType, signature: Plain<S>) => R,
): CheckedSign<R> {
  checkUsage(key, 'SIGN_VERIFY', operation);
  const mlDsa = algorithm === 'ML_DSA_SHAKE_256';
  const info = SIGNING[algorithm];
  if (!(KEY_SPECS[key.keySpec].algorithms.SIGN_VERIFY ?? []).includes(algorithm) || (info === undefined && !mlDsa)) {
    throw new InvalidKeyUsageException({ message: `Algorithm ${algorithm} is incompatible with key spec ${key.keySpec}.` });
  }
  if (mlDsa) {
    // ML-DSA signs RAW messages, or a caller-computed 64-byte μ (EXTERNAL_MU); no DIGEST (docs/aws-behaviour.md#signing).
    if (messageType === 'DIGEST')
      throw plainValidation('MessageType DIGEST is not valid for algorithm ML_DSA_SHAKE_256: use RAW or EXTERNAL_MU.');
    if (messageType === 'EXTERNAL_MU' && message.length !== MU_BYTES)
      throw plainValidation(`External mu must be ${MU_BYTES} bytes for algorithm ML_DSA_SHAKE_256.`);
  } else {
    if (messageType === 'EXTERNAL_MU')
      throw plainValidation(`MessageType EXTERNAL_MU is only valid for ML-DSA keys, not for algorithm ${algorithm}.`);
    // Ed25519 pairs each algorithm with one message type (docs/aws-behaviour.md#signing).
    if (algorithm === 'ED25519_SHA_512' && messageType !== 'RAW') throw plainValidation('ED25519_SHA_512 requires MessageType RAW.');
    if (algorithm === 'ED25519_PH_SHA_512' && messageType !== 'DIGEST')
      throw plainValidation('ED25519_PH_SHA_512 requires MessageType DIGEST.');
    // info is there: an algorithm without it is refused above unless it is ML-DSA.
    if (messageType === 'DIGEST' && message.length !== info?.digestBytes)
      throw plainValidation(`Digest is invalid length for algorithm ${algorithm}.`);
  }
  if (isDryRun) throw new DryRunOperationException({ message: 'The request would have succeeded, but the DryRun option is set.' });
  return { key, materialId: currentMaterial(key).id, request: request(algorithm, message, messageType, signature) };
}

// The providers' requests, made in one literal each (no spread, no closure per call).
const signProviderRequest = (algorithm: SigningAlgorithmSpec, message: Uint8Array, messageType: MessageType): SignRequest => ({
  algorithm,
  message,
  messageType,
});
const verifyProviderRequest = (
  algorithm: SigningAlgorithmSpec,
  message: Uint8Array,
  messageType: MessageType,
  signature: Uint8Array,
): VerifyRequest => ({ algorithm, message, messageType, signature });
const noSignature = () => undefined;
const readVerifySignature = (c: Checks) => c.required(c.bytes('Signature', SIGNATURE_RULE));

function signWith(env: Env, { key, materialId, request }: CheckedSign<SignRequest>): Maybe<SignResponse> {
  // node:crypto signs synchronously: no promise, and the Kms answers a microtask turn sooner (providers/software.ts).
  const signature = directSigner(env.provider)?.signNow(materialId, request);
  if (signature !== undefined) return { KeyId: key.arn, Signature: signature, SigningAlgorithm: request.algorithm };
  return env.provider
    .sign(materialId, request)
    .then((signature): SignResponse => ({ KeyId: key.arn, Signature: signature, SigningAlgorithm: request.algorithm }));
}

export function sign(env: Env, input: Input): Maybe<SignResponse> {
  const checked = signRequest(env, new Checks(input), 'Sign', noSignature, signProviderRequest);
  return checked instanceof Promise ? checked.then((c) => signWith(env, c)) : signWith(env, checked);
}

function verifyWith(env: Env, { key, materialId, request }: CheckedSign<VerifyRequest>): Maybe<VerifyResponse> {
  const valid = directSigner(env.provider)?.verifyNow(materialId, request);
  if (valid !== undefined) return verified(valid, key, request);
  return env.provider.verify(materialId, request).then((v) => verified(v, key, request));
}

function verified(valid: boolean, key: KeyRecord, request: VerifyRequest): VerifyResponse {
  if (!valid) throw new KMSInvalidSignatureException();
  return { KeyId: key.arn, SignatureValid: true, SigningAlgorithm: request.algorithm };
}

/** A bad signature is KMSInvalidSignatureException with an empty message: Verify never answers false. */
export function verify(env: Env, input: Input): Maybe<VerifyResponse> {
  const checked = signRequest(env, new Checks(input), 'Verify', readVerifySignature, verifyProviderRequest);
  return checked instanceof Promise ? checked.then((c) => verifyWith(env, c)) : verifyWith(env, checked);
}

export async function deriveSharedSecret(env: Env, input: Input): Promise<DeriveSharedSecretResponse> {
  const c = new Checks(input);
  const keyId = c.required(keyIdMember(c));
  const algorithm = c.required(c.oneOf('KeyAgreementAlgorithm', KeyAgreementAlgorithmSpec, true));
  const peer = c.required(c.bytes('PublicKey', { required: true, min: 1, max: 8192 }));
  grantTokens(c);
  const isDryRun = c.bool('DryRun');
  if (c.present('Recipient'))
    throw new UnsupportedOperationException({ message: 'Recipient (Nitro Enclaves attestation) is not supported by kmsbox.' });
  const checked = c.done({ keyId, algorithm, peer });
  const key = await findKeyFor(env, checked.keyId, 'DeriveSharedSecret');
  checkUsage(key, 'KEY_AGREEMENT', 'DeriveSharedSecret');
  if (isDryRun) throw new DryRunOperationException({ message: 'The request would have succeeded, but the DryRun option is set.' });
  const secret = await env.provider.deriveSharedSecret(currentMaterial(key).id, checked.peer);
  // AWS answers an unusable public key with an empty-message ValidationException (AWS-recorded);
  // kmsbox says what is wrong (no empty messages, issue 13).
  if (secret === undefined)
    throw plainValidation(`PublicKey is not a valid ${key.keySpec} public key (DER-encoded SubjectPublicKeyInfo on the key's curve).`);
  return { KeyId: key.arn, SharedSecret: secret, KeyAgreementAlgorithm: checked.algorithm, KeyOrigin: key.origin };
}

export async function getPublicKey(env: Env, input: Input): Promise<GetPublicKeyResponse> {
  const c = new Checks(input);
  const keyId = c.required(keyIdMember(c));
  grantTokens(c);
  const checked = c.done({ keyId });
  const key = await findKeyFor(env, checked.keyId, 'GetPublicKey');
  const info = KEY_SPECS[key.keySpec];
  if (key.keySpec === 'SYMMETRIC_DEFAULT' || key.keyUsage === 'GENERATE_VERIFY_MAC') {
    throw new UnsupportedOperationException({ message: `${key.arn} is a ${key.keySpec} key, which has no public key.` });
  }
  const out: GetPublicKeyResponse = {
    KeyId: key.arn,
    PublicKey: await env.provider.publicKey(currentMaterial(key).id),
    KeySpec: key.keySpec,
    KeyUsage: key.keyUsage,
  };
  if (info.legacySpec) out.CustomerMasterKeySpec = key.keySpec as CustomerMasterKeySpec;
  if (key.keyUsage === 'SIGN_VERIFY') out.SigningAlgorithms = [...(info.algorithms.SIGN_VERIFY ?? [])];
  if (key.keyUsage === 'ENCRYPT_DECRYPT') out.EncryptionAlgorithms = [...(info.algorithms.ENCRYPT_DECRYPT ?? [])];
  if (key.keyUsage === 'KEY_AGREEMENT') out.KeyAgreementAlgorithms = [...(info.algorithms.KEY_AGREEMENT ?? [])];
  return out;
}
