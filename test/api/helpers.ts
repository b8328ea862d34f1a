// Shared helpers for the Kms behaviour tests.
import { expect } from 'vitest';
import { type KeyMaterialProvider, KMSServiceException, type MemoryProvider } from 'kmsbox';

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

/**
 * A MemoryProvider behind a Proxy that records the methods called: every member a bound copy, so
 * `provider.seal` (or `read`, `sign`…) is not the class's own and no fast path may go around it.
 */
export function recordingProxy(target: MemoryProvider, calls: string[]): KeyMaterialProvider {
  return new Proxy(target, {
    get(t, key) {
      const value: unknown = Reflect.get(t, key);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (typeof key === 'string') calls.push(key);
        return (value as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  });
}
