/**
 * Compile-only (checked by `npm run typecheck`): the validator returns the checked input as a
 * typed record, so an operation needs no `value!` after validation (src/api/validate.ts).
 */
import { Checks } from '../../src/api/validate.js';

export function read(input: Record<string, unknown>): { keyId: string; limit: number | undefined } {
  const c = new Checks(input);
  const keyId = c.required(c.string('KeyId', { required: true, min: 1 }));
  // @ts-expect-error — a required member is opaque until done() has checked the request
  const early: string = keyId;
  void early;
  const checked = c.done({ keyId, limit: c.int('Limit', { min: 1 }) });
  return checked;
}
