/** Asymmetric keys: Sign, Verify, GetPublicKey, DeriveSharedSecret (https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html; docs/aws-behaviour.md#signing). */
import { KeyAgreementAlgorithmSpec, MessageType, SigningAlgorithmSpec, type CustomerMasterKeySpec } from '../api/enums.js';
import { KEY_SPECS } from '../api/key-specs.js';
import type { DeriveSharedSecretResponse, GetPublicKeyResponse, SignResponse, VerifyResponse } from '../api/shapes.js';
import { Checks, type Input, plainValidation } from '../api/validate.js';
import { MU_BYTES } from '../crypto/ml-dsa.js';
import { SIGNING } from '../crypto/signatures.js';
import {
  DryRunOperationException,
  InvalidKeyUsageException,
  KMSInvalidSignatureException,
  UnsupportedOperationException,
} from '../errors.js';
import { checkUsage } from './encryption.js';
import type { Env } from './env.js';
import { grantTokens, keyIdMember } from './fields.js';
import { findKeyFor } from './lookup.js';

const MAX_MESSAGE = 4096;

async function signRequest(env: Env, c: Checks, operation: 'Sign' | 'Verify') {
  const keyId = keyIdMember(c);
  const message = c.bytes('Message', { required: true, min: 1, max: MAX_MESSAGE });
  const messageType = c.oneOf('MessageType', MessageType) ?? 'RAW';
  const signature = operation === 'Verify' ? c.bytes('Signature', { required: true, min: 1, max: 6144 }) : undefined;
  const algorithm = c.oneOf('SigningAlgorithm', SigningAlgorithmSpec, true);
  grantTokens(c);
  const isDryRun = c.bool('DryRun');
  c.done();
  const key = await findKeyFor(env, keyId!, operation);
  checkUsage(key, 'SIGN_VERIFY', operation);
  const mlDsa = algorithm === 'ML_DSA_SHAKE_256';
  const info = SIGNING[algorithm!];
  if (!(KEY_SPECS[key.keySpec].algorithms.SIGN_VERIFY ?? []).includes(algorithm!) || (info === undefined && !mlDsa)) {
    throw new InvalidKeyUsageException({ message: `Algorithm ${algorithm!} is incompatible with key spec ${key.keySpec}.` });
  }
  if (mlDsa) {
    // ML-DSA signs RAW messages, or a caller-computed 64-byte μ (EXTERNAL_MU); no DIGEST (docs/aws-behaviour.md#signing).
    if (messageType === 'DIGEST')
      throw plainValidation('MessageType DIGEST is not valid for algorithm ML_DSA_SHAKE_256: use RAW or EXTERNAL_MU.');
    if (messageType === 'EXTERNAL_MU' && message!.length !== MU_BYTES)
      throw plainValidation(`External mu must be ${MU_BYTES} bytes for algorithm ML_DSA_SHAKE_256.`);
  } else {
    if (messageType === 'EXTERNAL_MU')
      throw plainValidation(`MessageType EXTERNAL_MU is only valid for ML-DSA keys, not for algorithm ${algorithm!}.`);
    // Ed25519 pairs each algorithm with one message type (docs/aws-behaviour.md#signing).
    if (algorithm === 'ED25519_SHA_512' && messageType !== 'RAW') throw plainValidation('ED25519_SHA_512 requires MessageType RAW.');
    if (algorithm === 'ED25519_PH_SHA_512' && messageType !== 'DIGEST')
      throw plainValidation('ED25519_PH_SHA_512 requires MessageType DIGEST.');
    if (messageType === 'DIGEST' && message!.length !== info!.digestBytes)
      throw plainValidation(`Digest is invalid length for algorithm ${algorithm!}.`);
  }
  if (isDryRun) throw new DryRunOperationException({ message: 'The request would have succeeded, but the DryRun option is set.' });
  const materialId = key.materials[key.materials.length - 1]!.id;
  return { key, materialId, request: { algorithm: algorithm!, message: message!, messageType }, signature };
}

export async function sign(env: Env, input: Input): Promise<SignResponse> {
  const { key, materialId, request } = await signRequest(env, new Checks(input), 'Sign');
  const signature = await env.provider.sign(materialId, request);
  return { KeyId: key.arn, Signature: signature, SigningAlgorithm: request.algorithm };
}

/** A bad signature is KMSInvalidSignatureException with an empty message: Verify never answers false. */
export async function verify(env: Env, input: Input): Promise<VerifyResponse> {
  const { key, materialId, request, signature } = await signRequest(env, new Checks(input), 'Verify');
  if (!(await env.provider.verify(materialId, { ...request, signature: signature! }))) throw new KMSInvalidSignatureException();
  return { KeyId: key.arn, SignatureValid: true, SigningAlgorithm: request.algorithm };
}

export async function deriveSharedSecret(env: Env, input: Input): Promise<DeriveSharedSecretResponse> {
  const c = new Checks(input);
  const keyId = keyIdMember(c);
  const algorithm = c.oneOf('KeyAgreementAlgorithm', KeyAgreementAlgorithmSpec, true);
  const peer = c.bytes('PublicKey', { required: true, min: 1, max: 8192 });
  grantTokens(c);
  const isDryRun = c.bool('DryRun');
  if (c.present('Recipient'))
    throw new UnsupportedOperationException({ message: 'Recipient (Nitro Enclaves attestation) is not supported by kmsbox.' });
  c.done();
  const key = await findKeyFor(env, keyId!, 'DeriveSharedSecret');
  checkUsage(key, 'KEY_AGREEMENT', 'DeriveSharedSecret');
  if (isDryRun) throw new DryRunOperationException({ message: 'The request would have succeeded, but the DryRun option is set.' });
  const secret = await env.provider.deriveSharedSecret(key.materials[key.materials.length - 1]!.id, peer!);
  // AWS answers an unusable public key with an empty-message ValidationException (AWS-recorded);
  // kmsbox says what is wrong (no empty messages, issue 13).
  if (secret === undefined)
    throw plainValidation(`PublicKey is not a valid ${key.keySpec} public key (DER-encoded SubjectPublicKeyInfo on the key's curve).`);
  return { KeyId: key.arn, SharedSecret: secret, KeyAgreementAlgorithm: algorithm!, KeyOrigin: key.origin };
}

export async function getPublicKey(env: Env, input: Input): Promise<GetPublicKeyResponse> {
  const c = new Checks(input);
  const keyId = keyIdMember(c);
  grantTokens(c);
  c.done();
  const key = await findKeyFor(env, keyId!, 'GetPublicKey');
  const info = KEY_SPECS[key.keySpec];
  if (key.keySpec === 'SYMMETRIC_DEFAULT' || key.keyUsage === 'GENERATE_VERIFY_MAC') {
    throw new UnsupportedOperationException({ message: `${key.arn} is a ${key.keySpec} key, which has no public key.` });
  }
  const out: GetPublicKeyResponse = {
    KeyId: key.arn,
    PublicKey: await env.provider.publicKey(key.materials[key.materials.length - 1]!.id),
    KeySpec: key.keySpec,
    KeyUsage: key.keyUsage,
  };
  if (info.legacySpec) out.CustomerMasterKeySpec = key.keySpec as CustomerMasterKeySpec;
  if (key.keyUsage === 'SIGN_VERIFY') out.SigningAlgorithms = [...(info.algorithms.SIGN_VERIFY ?? [])];
  if (key.keyUsage === 'ENCRYPT_DECRYPT') out.EncryptionAlgorithms = [...(info.algorithms.ENCRYPT_DECRYPT ?? [])];
  if (key.keyUsage === 'KEY_AGREEMENT') out.KeyAgreementAlgorithms = [...(info.algorithms.KEY_AGREEMENT ?? [])];
  return out;
}
