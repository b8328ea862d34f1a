/** What every operation runs against: the provider, where and who the service is, and the time. */
import type { KeyMaterialProvider } from '../providers/types.js';

export interface Env {
  readonly provider: KeyMaterialProvider;
  readonly region: string;
  readonly accountId: string;
  /** Epoch milliseconds from the Kms's clock. */
  now(): number;
}

export const DAY_MS = 86_400_000;
