// A 1 GiB stream encrypts and decrypts (every byte checked) with peak RSS growth under 64 MiB,
// measured in a child process after a warm-up run.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

describe('streaming memory', () => {
  it('1 GiB through encrypt and decrypt streams: every byte back, RSS growth < 64 MiB', () => {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/envelope/memory-child.ts', String(2 ** 30)], {
      cwd: root,
      encoding: 'utf8',
    });
    const result = JSON.parse(out.trim().split('\n').pop()!);
    expect(result.received).toBe(2 ** 30);
    expect(result.mismatch).toBe(-1);
    expect(result.growthMiB).toBeLessThan(64);
  });
});
