/** IAM wildcard matching: the prefix and `*` shortcuts agree with the general RegExp form. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { glob } from '../../src/policy/conditions.js';

/** The general form, written independently of the shortcuts: `*` any run, `?` one unit. */
function reference(pattern: string, value: string, ignoreCase: boolean): boolean {
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, ignoreCase ? 'is' : 's').test(value);
}

const unit = fc.constantFrom('k', 'K', 'm', 's', ':', '*', '?', '.', 'İ', 'ß', 'i', 'I', 'é', 'É');
const text = fc.string({ unit, maxLength: 8 });

describe('glob', () => {
  test('matches the RegExp reference for any pattern, value and case mode (property)', () => {
    fc.assert(
      fc.property(text, text, fc.boolean(), (pattern, value, ignoreCase) => {
        expect(glob(pattern, value, ignoreCase)).toBe(reference(pattern, value, ignoreCase));
      }),
      { numRuns: 3000 },
    );
  });

  test('prefix patterns, as key policies write them', () => {
    expect(glob('kms:*', 'kms:Encrypt', true)).toBe(true);
    expect(glob('kms:*', 'KMS:Encrypt', true)).toBe(true);
    expect(glob('kms:*', 'KMS:Encrypt', false)).toBe(false);
    expect(glob('kms:Generate*', 'kms:GenerateDataKey', true)).toBe(true);
    expect(glob('kms:Generate*', 'kms:Encrypt', true)).toBe(false);
    expect(glob('*', '', false)).toBe(true);
    expect(glob('arn:aws:kms:*', 'arn:aws:kms:us-east-1:111122223333:key/x', false)).toBe(true);
  });
});
