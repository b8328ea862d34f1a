// requestParameters is logged whole when its JSON fits MAX_AUDIT_FIELD_BYTES and as { omitted: true }
// when not (src/audit/event.ts). The event builder decides from an upper bound summed while it
// redacts, and serializes only near the limit: whatever the strings (escapes, astral characters,
// lone surrogates), the decision must be the one the exact JSON size gives.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditEvent, MAX_AUDIT_FIELD_BYTES } from '../../src/audit/record-event.js';

const utf8Size = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;
const event = (input: unknown) =>
  auditEvent({
    operation: 'DescribeKey',
    principal: 'arn:aws:iam::111122223333:root',
    principalAccount: '111122223333',
    region: 'us-east-1',
    accountId: '111122223333',
    time: 0,
    requestId: 'r',
    readOnly: true,
    input,
    output: undefined,
    error: undefined,
    resources: new Map(),
    sourceIp: undefined,
    userAgent: undefined,
  });

describe('the audit field bound', () => {
  it('logs a field whole exactly when its JSON fits, near the limit, for any strings', () => {
    const piece = fc.string({ unit: 'binary', maxLength: 40 });
    fc.assert(
      fc.property(piece, piece, fc.integer({ min: 0, max: 120 }), fc.integer({ min: 1, max: 3 }), (a, b, slack, width) => {
        // Filler of `width`-byte characters, sized to land the JSON a little under or over the limit.
        const unit = width === 1 ? 'x' : width === 2 ? 'é' : '€';
        const filler = unit.repeat(Math.floor((MAX_AUDIT_FIELD_BYTES - 60 + slack - 60) / width));
        const input = { KeyId: a, Junk: filler, EncryptionContext: { [b]: a, k: b }, Plaintext: new Uint8Array(3) };
        const expected = { keyId: a, junk: filler, encryptionContext: { [b]: a, k: b } };
        const logged = event(input).requestParameters;
        if (utf8Size(expected) <= MAX_AUDIT_FIELD_BYTES) expect(logged).toEqual(expected);
        else expect(logged).toEqual({ omitted: true });
      }),
      { numRuns: 200 },
    );
  });

  it('logs a small request without serializing it, and an empty one as null', () => {
    expect(event({ KeyId: 'k', EncryptionContext: { '"\u0001\ud800': '\\' } }).requestParameters).toEqual({
      keyId: 'k',
      encryptionContext: { '"\u0001\ud800': '\\' },
    });
    expect(event({ Plaintext: new Uint8Array(1) }).requestParameters).toBeNull();
  });
});
