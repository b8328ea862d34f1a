// Shared helpers for the Kms behaviour tests.
import { expect } from 'vitest';
import { KMSServiceException } from 'kmsbox';

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Runs `fn`, expects a KMSServiceException with this name (and message, when given); returns it. */
export async function rejects(fn: () => Promise<unknown>, name: string, message?: string | RegExp): Promise<KMSServiceException> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${name}`).toBeInstanceOf(KMSServiceException);
  const e = caught as KMSServiceException;
  expect(e.name, e.message).toBe(name);
  if (typeof message === 'string') expect(e.message).toBe(message);
  else if (message) expect(e.message).toMatch(message);
  return e;
}
