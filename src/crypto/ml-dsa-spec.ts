/**
 * Which key specs are ML-DSA, and the sizes callers check, without the ML-DSA code itself
 * (ml-dsa.ts, loaded on first use: @noble/post-quantum and SHA-3 stay out of a page that never signs).
 */
import type { KeySpec } from '../api/enums.js';

export type MlDsaSpec = 'ML_DSA_44' | 'ML_DSA_65' | 'ML_DSA_87';
const SPECS: ReadonlySet<KeySpec> = new Set<MlDsaSpec>(['ML_DSA_44', 'ML_DSA_65', 'ML_DSA_87']);

export function isMlDsa(spec: KeySpec): spec is MlDsaSpec {
  return SPECS.has(spec);
}

export const ML_DSA_SEED_BYTES = 32;
export const MU_BYTES = 64;
