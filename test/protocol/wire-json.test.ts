// The wire handler's answer text (src/protocol/codec.ts outputJson) is JSON.stringify(encodeOutput(output)),
// character for character: blobs as quoted base64, Dates as epoch seconds, $metadata and undefined left out.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeOutput, outputJson } from '../../src/protocol/codec.js';

const leaf = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }), // lone surrogates, control characters
  fc.double(), // NaN, ±Infinity, -0
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 64 }),
  fc.date({ noInvalidDate: false }),
  fc.constant(() => 1),
  fc.constant(Symbol('s')),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('node'), { maxLength: 5 }),
  object: fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('$metadata', '__proto__', 'toJSON', '0', '10', 'a"b')), tie('node'), {
    maxKeys: 5,
  }),
})).node;

describe('outputJson', () => {
  it('writes what JSON.stringify(encodeOutput(value)) writes, for any output-like value', () => {
    fc.assert(
      fc.property(value, (v) => {
        let expected: string | undefined;
        try {
          expected = JSON.stringify(encodeOutput(v));
        } catch (error) {
          expect(() => outputJson(v)).toThrow((error as Error).constructor as new () => Error);
          return;
        }
        expect(outputJson(v)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('an Encrypt answer: the blob as its base64, members in order, no $metadata', () => {
    const blob = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const output = {
      CiphertextBlob: blob,
      KeyId: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      $metadata: { requestId: 'r', httpStatusCode: 200 },
      Unset: undefined,
    };
    expect(outputJson(output)).toBe(
      `{"CiphertextBlob":"${Buffer.from(blob).toString('base64')}","KeyId":"${output.KeyId}","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}`,
    );
    expect(JSON.parse(outputJson({ CreationDate: new Date(1_700_000_000_500), Keys: [{ KeyId: 'k' }] }))).toEqual({
      CreationDate: 1_700_000_000.5,
      Keys: [{ KeyId: 'k' }],
    });
  });
});
