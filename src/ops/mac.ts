/** HMAC keys: GenerateMac and VerifyMac (https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateMac.html). */
import { MacAlgorithmSpec } from '../api/enums.js';
import { HMAC_SPECS, isHmacSpec } from '../api/key-specs.js';
import type { GenerateMacResponse, VerifyMacResponse } from '../api/shapes.js';
import { Checks, type Input } from '../api/validate.js';
import { equalBytes } from '../crypto/bytes.js';
import { DryRunOperationException, InvalidKeyUsageException, KMSInvalidMacException } from '../errors.js';
import type { KeyRecord } from '../keys/record.js';
import { checkUsage } from './encryption.js';
import type { Env } from './env.js';
import { grantTokens, keyIdMember } from './fields.js';
import { findKeyFor } from './lookup.js';

const MAX_MESSAGE = 4096;

/** Reads the shared members, finds the key, checks state, usage, the algorithm and DryRun. */
async function macRequest(env: Env, c: Checks, operation: 'GenerateMac' | 'VerifyMac') {
  const message = c.bytes('Message', { required: true, min: 1, max: MAX_MESSAGE });
  const keyId = keyIdMember(c);
  const algorithm = c.oneOf('MacAlgorithm', MacAlgorithmSpec, true);
  const mac = operation === 'VerifyMac' ? c.bytes('Mac', { required: true, min: 1, max: 6144 }) : undefined;
  grantTokens(c);
  const isDryRun = c.bool('DryRun');
  c.done();
  const key: KeyRecord = await findKeyFor(env, keyId!, operation);
  checkUsage(key, 'GENERATE_VERIFY_MAC', operation);
  if (!isHmacSpec(key.keySpec) || HMAC_SPECS[key.keySpec].algorithm !== algorithm) {
    throw new InvalidKeyUsageException({ message: `Algorithm ${algorithm!} is incompatible with key spec ${key.keySpec}.` });
  }
  if (isDryRun) throw new DryRunOperationException({ message: 'The request would have succeeded, but the DryRun option is set.' });
  const current = key.materials[key.materials.length - 1]!;
  return { key, algorithm: algorithm!, computed: await env.provider.mac(current.id, message!), mac };
}

export async function generateMac(env: Env, input: Input): Promise<GenerateMacResponse> {
  const { key, algorithm, computed } = await macRequest(env, new Checks(input), 'GenerateMac');
  return { Mac: computed, MacAlgorithm: algorithm, KeyId: key.arn };
}

/** A wrong MAC is KMSInvalidMacException with an empty message: VerifyMac never answers MacValid false. */
export async function verifyMac(env: Env, input: Input): Promise<VerifyMacResponse> {
  const { key, algorithm, computed, mac } = await macRequest(env, new Checks(input), 'VerifyMac');
  if (!equalBytes(computed, mac!)) throw new KMSInvalidMacException();
  return { KeyId: key.arn, MacValid: true, MacAlgorithm: algorithm };
}
