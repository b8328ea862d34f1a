/**
 * Shared knobs for the property tests. Run counts are written for a quick CI run; set
 * FUZZ_RUNS to fuzz longer: it is the run count of a standard (200-run) property, and every
 * other property scales in proportion (FUZZ_RUNS=20000 runs each property 100× longer).
 */
import { expect } from 'vitest';

const requested = Number(process.env.FUZZ_RUNS);
const scale = Number.isFinite(requested) && requested > 0 ? requested / 200 : 1;

/** `base` runs in a normal test run, scaled by FUZZ_RUNS when it is set. */
export function runs(base: number): number {
  return Math.max(1, Math.round(base * scale));
}

/** Test timeouts grow with the run count. */
export function timeout(baseMs: number): number {
  return Math.max(baseMs, Math.round(baseMs * scale));
}

/** Awaits a call that must fail; returns the error (fails the test if the call resolves). */
export async function rejection(call: Promise<unknown>, what = 'the call'): Promise<unknown> {
  const outcome = await call.then(
    () => ({ ok: true as const }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) expect.fail(`${what} succeeded but must fail`);
  return outcome.error;
}

/** The call fails with exactly the AWS exception `name` (no other error type). */
export async function expectError(call: Promise<unknown>, name: string, what?: string): Promise<void> {
  const error = await rejection(call, what);
  const actual = (error as { name?: unknown } | null)?.name;
  if (actual !== name)
    expect.fail(`${what ?? 'the call'} failed with ${String(actual)} (${String((error as Error)?.message)}), expected ${name}`);
}

export function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const out = b.slice();
  out[bit >>> 3]! ^= 1 << (bit & 7);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function sameContext(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const x = a ?? {};
  const y = b ?? {};
  const kx = Object.keys(x);
  return kx.length === Object.keys(y).length && kx.every((k) => Object.hasOwn(y, k) && y[k] === x[k]);
}
