/** HMAC keys: GenerateMac and VerifyMac (https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateMac.html). */
import { MacAlgorithmSpec } from '../api/enums.js';
import { HMAC_SPECS, isHmacSpec } from '../api/key-specs.js';
import type { GenerateMacResponse, VerifyMacResponse } from '../api/shapes.js';
import { Checks, type Input } from '../api/validate.js';
import { equalBytes } from '../crypto/bytes.js';
import { DryRunOperationException, InvalidKeyUsageException, KMSInvalidMacException } from '../errors.js';
import { currentMaterial, type KeyRecord } from '../keys/record.js';
import { checkUsage } from './encryption.js';
import type { Env } from './env.js';
import { grantTokens, keyIdMember } from './fields.js';
import { findKeyFor } from './lookup.js';

const MAX_MESSAGE = 4096;

/**
 * Reads the shared members (`readMac` reads VerifyMac's Mac in its place among them), finds the
 * key, checks state, usage, the algorithm and DryRun.
 */
async function macRequest<M>(env: Env, c: Checks, operation: 'GenerateMac' | 'VerifyMac', readMac: (c: Checks) => M) {
  const message = c.required(c.bytes('Message', { required: true, min: 1, max: MAX_MESSAGE }));
  const keyId = c.required(keyIdMember(c));
  const algorithm = c.required(c.oneOf('MacAlgorithm', MacAlgorithmSpec, true));
  const mac = readMac(c);
  grantTokens(c);
  const checked = c.done({ message, keyId, algorithm, mac, isDryRun: c.bool('DryRun') });
  const key: KeyRecord = await findKeyFor(env, checked.keyId, operation);
  checkUsage(key, 'GENERATE_VERIFY_MAC', operation);
  if (!isHmacSpec(key.keySpec) || HMAC_SPECS[key.keySpec].algorithm !== checked.algorithm) {
    throw new InvalidKeyUsageException({ message: `Algorithm ${checked.algorithm} is incompatible with key spec ${key.keySpec}.` });
  }
  if (checked.isDryRun) throw new DryRunOperationException({ message: 'The request would have succeeded, but the DryRun option is set.' });
  const current = currentMaterial(key);
  return { key, algorithm: checked.algorithm, computed: await env.provider.mac(current.id, checked.message), mac: checked.mac };
}

export async function generateMac(env: Env, input: Input): Promise<GenerateMacResponse> {
  const { key, algorithm, computed } = await macRequest(env, new Checks(input), 'GenerateMac', () => undefined);
  return { Mac: computed, MacAlgorithm: algorithm, KeyId: key.arn };
}

/** A wrong MAC is KMSInvalidMacException with an empty message: VerifyMac never answers MacValid false. */
export async function verifyMac(env: Env, input: Input): Promise<VerifyMacResponse> {
  const { key, algorithm, computed, mac } = await macRequest(env, new Checks(input), 'VerifyMac', (c) =>
    c.required(c.bytes('Mac', { required: true, min: 1, max: 6144 })),
  );
  if (!equalBytes(computed, mac)) throw new KMSInvalidMacException();
  return { KeyId: key.arn, MacValid: true, MacAlgorithm: algorithm };
}
