// randomUuid builds its string itself (one flat string, from the public pool) instead of calling
// crypto.randomUUID: these pin the format, the version and variant bits, and that the test source
// still decides every id (kmsbox/testing's seeded mode).
import { afterEach, describe, expect, it } from 'vitest';
import { randomUuid, setTestRandomSource } from '../../src/crypto/random.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

afterEach(() => setTestRandomSource(undefined));

describe('randomUuid', () => {
  it('puts each byte of the source in its place, with the version and variant bits set', () => {
    let next = 0;
    setTestRandomSource((out) => {
      for (let i = 0; i < out.length; i++) out[i] = next++ & 0xff;
    });
    expect(randomUuid()).toBe('00010203-0405-4607-8809-0a0b0c0d0e0f');
    expect(randomUuid()).toBe('10111213-1415-4617-9819-1a1b1c1d1e1f');
    setTestRandomSource((out) => out.fill(0xff));
    expect(randomUuid()).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
  });

  it('is a version 4 UUID, different each time, across pool refills', () => {
    const ids = Array.from({ length: 1000 }, () => randomUuid()); // 16 KB: several 4 KiB refills
    for (const id of ids) expect(id).toMatch(V4);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
