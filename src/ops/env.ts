/** What every operation runs against: the provider, where and who the service is, and the time. */
import type { KeyMaterialProvider } from '../providers/types.js';
import type { Caller } from './authorize.js';

export interface Env {
  readonly provider: KeyMaterialProvider;
  readonly region: string;
  readonly accountId: string;
  /** Epoch milliseconds from the Kms's clock. */
  now(): number;
  /** The caller of the public request being served (absent for internal work: no authorization). */
  readonly caller?: Caller;
}

export const DAY_MS = 86_400_000;
