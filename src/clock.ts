/** Time for the Kms: the wall clock by default, or one a test moves by hand. */

export interface Clock {
  now(): Date;
}

export type ClockOption = Clock | (() => Date | number);

export const systemClock: Clock = { now: () => new Date() };

/** Epoch milliseconds from either form of clock option. */
export function toNow(clock: ClockOption | undefined): () => number {
  if (clock === undefined) return Date.now;
  if (typeof clock === 'function') {
    return () => {
      const t = clock();
      return typeof t === 'number' ? t : t.getTime();
    };
  }
  return () => clock.now().getTime();
}

/**
 * A clock that stands still until told to move, for tests of scheduled deletion and automatic
 * rotation: `clock.advance({ days: 30 })`.
 */
export class ManualClock implements Clock {
  #now: number;

  constructor(start: Date | number = Date.now()) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  set(to: Date | number): void {
    this.#now = typeof to === 'number' ? to : to.getTime();
  }

  advance(by: number | { days?: number; hours?: number; minutes?: number; seconds?: number; ms?: number }): void {
    if (typeof by === 'number') {
      this.#now += by;
      return;
    }
    this.#now +=
      (by.days ?? 0) * 86_400_000 + (by.hours ?? 0) * 3_600_000 + (by.minutes ?? 0) * 60_000 + (by.seconds ?? 0) * 1000 + (by.ms ?? 0);
  }
}
