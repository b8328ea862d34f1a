/**
 * Records a provider can hand over without a promise (issue #16: Encrypt and Decrypt on the request
 * path then cost no promise per step, ops/lookup.ts `readRecords`). A provider registers its own
 * `read` and a function that returns its records when reading them would not wait — MemoryProvider
 * always, PostgresProvider in freshness 'notify' while its replica is known fresh — else undefined,
 * and the caller uses `read`. Only while `provider.read` is the registered one: a subclass that
 * overrides `read`, or a Proxy (registered by its target, never by itself), is always read through
 * `read`.
 */
import type { StoreState } from '../keys/record.js';

interface NowReader {
  readonly read: unknown;
  readonly now: () => Readonly<StoreState> | undefined;
}

const readers = new WeakMap<object, NowReader>();

/** Called by a provider's constructor: `now` is asked only while `provider.read === read`. */
export function serveRecordsNow(provider: object, read: unknown, now: () => Readonly<StoreState> | undefined): void {
  readers.set(provider, { read, now });
}

/** The records `provider.read` would pass its function now, or undefined when they must be read through it. */
export function recordsNow(provider: { read: unknown }): Readonly<StoreState> | undefined {
  const reader = readers.get(provider);
  return reader !== undefined && provider.read === reader.read ? reader.now() : undefined;
}
