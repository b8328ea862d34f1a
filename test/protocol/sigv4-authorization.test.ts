// The one parser of the SigV4 Authorization header: well-formed headers round-trip; anything duplicated,
// unknown or malformed is IncompleteSignatureException (in AWS's words where AWS has them), never a throw.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatAuthorization,
  parseAuthorization,
  parseAuthorizationOf,
  type SigV4Authorization,
} from '../../src/protocol/sigv4-authorization.js';

const VALID =
  'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31';

const message = (header: string): string => {
  const r = parseAuthorization(header);
  if (r.ok) throw new Error(`accepted: ${header}`);
  expect(r.type).toBe('IncompleteSignatureException');
  return r.message;
};

const authorization: fc.Arbitrary<SigV4Authorization> = fc.record({
  accessKeyId: fc.stringMatching(/^\w{1,128}$/),
  date: fc.stringMatching(/^\d{8}$/),
  region: fc.stringMatching(/^[^\s,/]{1,20}$/),
  service: fc.stringMatching(/^[^\s,/]{1,20}$/),
  terminator: fc.stringMatching(/^[^\s,/]{1,20}$/),
  signedHeaders: fc
    .uniqueArray(fc.stringMatching(/^[a-z0-9!#$%&'*+.^_`|~-]{1,20}$/), { minLength: 1, maxLength: 8 })
    .map((a) => [...a].sort()),
  signature: fc.stringMatching(/^[0-9a-f]{1,64}$/),
});

/** The three parameters of an authorization as `Key=value` tokens. */
const tokensOf = (a: SigV4Authorization): string[] => {
  const [, rest] = /^AWS4-HMAC-SHA256 (.*)$/.exec(formatAuthorization(a))!;
  return rest!.split(', ');
};

describe('parseAuthorization: properties', () => {
  it('round-trips every well-formed header, in any parameter order, with ", " or ","', () => {
    fc.assert(
      fc.property(authorization, fc.constantFrom(', ', ','), fc.nat(5), (a, separator, rotation) => {
        expect(parseAuthorization(formatAuthorization(a))).toEqual({ ok: true, authorization: a });
        const tokens = tokensOf(a);
        const order = [0, 1, 2].map((i) => tokens[(i + rotation) % 3]!);
        if (rotation >= 3) order.reverse();
        expect(parseAuthorization(`AWS4-HMAC-SHA256 ${order.join(separator)}`)).toEqual({ ok: true, authorization: a });
      }),
      { numRuns: 300 },
    );
  });

  it('refuses any parameter given twice, whatever the values and wherever the second one is', () => {
    fc.assert(
      fc.property(authorization, authorization, fc.nat(2), fc.nat(3), (a, b, which, at) => {
        const tokens = tokensOf(a);
        tokens.splice(at, 0, tokensOf(b)[which]!);
        const name = ['Credential', 'SignedHeaders', 'Signature'][which]!;
        const header = `AWS4-HMAC-SHA256 ${tokens.join(', ')}`;
        expect(message(header)).toBe(`Authorization header has more than one '${name}' parameter. Authorization=${header}`);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses any unknown parameter', () => {
    const key = fc.stringMatching(/^[A-Za-z][\w-]{0,15}$/).filter((k) => !['Credential', 'SignedHeaders', 'Signature'].includes(k));
    fc.assert(
      fc.property(authorization, key, fc.stringMatching(/^[^\s,]{0,20}$/), fc.nat(3), (a, k, v, at) => {
        const tokens = tokensOf(a);
        tokens.splice(at, 0, `${k}=${v}`);
        const header = `AWS4-HMAC-SHA256 ${tokens.join(', ')}`;
        expect(message(header)).toBe(`Authorization header has an unknown parameter '${k}'. Authorization=${header}`);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on garbage, and answers IncompleteSignatureException with a message', () => {
    const check = (header: string): void => {
      const r = parseAuthorization(header);
      if (r.ok) expect(parseAuthorization(formatAuthorization(r.authorization))).toEqual(r);
      else expect([r.type, r.message.length > 0]).toEqual(['IncompleteSignatureException', true]);
    };
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => check(s)),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => check(`AWS4-HMAC-SHA256 ${s}`)),
      { numRuns: 300 },
    );
    // One character inserted, deleted or replaced anywhere in a valid header.
    fc.assert(
      fc.property(
        fc.nat(VALID.length),
        fc.constantFrom('insert', 'delete', 'replace'),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
        (at, op, c) => {
          const header =
            op === 'insert'
              ? VALID.slice(0, at) + c + VALID.slice(at)
              : VALID.slice(0, at) + (op === 'replace' ? c : '') + VALID.slice(at + 1);
          check(header);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('parseAuthorization: each refusal, worded', () => {
  it('accepts the header every AWS SDK and the CLI write', () => {
    expect(parseAuthorization(VALID)).toEqual({
      ok: true,
      authorization: {
        accessKeyId: 'AKIDEXAMPLE',
        date: '20150830',
        region: 'us-east-1',
        service: 'kms',
        terminator: 'aws4_request',
        signedHeaders: ['content-type', 'host', 'x-amz-date', 'x-amz-target'],
        signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
      },
    });
  });

  it("another algorithm (AWS's words)", () => {
    expect(message('AWS4-HMAC-SHA1 Credential=x')).toBe("Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1'.");
    expect(message('Bearer')).toBe("Unsupported AWS 'algorithm': 'Bearer'.");
    expect(message(' AWS4-HMAC-SHA256 Credential=x')).toBe("Unsupported AWS 'algorithm': ''.");
  });

  it('a parameter without "=" (AWS\'s words, naming the token as AWS splits it)', () => {
    const h = 'AWS4-HMAC-SHA256 Credential= AKID/20150830/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00';
    expect(message(h)).toBe(
      `'AKID/20150830/us-east-1/kms/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: '${h}'.`,
    );
    expect(message('AWS4-HMAC-SHA256 FooBar, BazBurp')).toBe(
      "'FooBar' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 FooBar, BazBurp'.",
    );
  });

  it("missing parameters, all named at once (AWS's words)", () => {
    expect(message('AWS4-HMAC-SHA256')).toBe(
      "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256",
    );
    expect(message('AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kms/aws4_request')).toBe(
      "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kms/aws4_request",
    );
    expect(message('AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kms/aws4_request, Signature=00')).toBe(
      "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kms/aws4_request, Signature=00",
    );
  });

  it('separators other than ", " or ","', () => {
    for (const h of [
      VALID.replace(', SignedHeaders', ',  SignedHeaders'),
      VALID.replace(', SignedHeaders', ' SignedHeaders'),
      VALID.replace(', SignedHeaders', ' ,SignedHeaders'),
      VALID.replace('AWS4-HMAC-SHA256 ', 'AWS4-HMAC-SHA256  '),
      `${VALID},`,
      `${VALID} `,
      VALID.replace('Credential', ', Credential'),
    ]) {
      expect(message(h)).toBe(`Authorization header parameters must be separated by ', '. Authorization=${h}`);
    }
  });

  it("duplicated and unknown parameters (kmsbox's rule: AWS lets the last one win)", () => {
    const forged = VALID.replace('Credential=', 'Credential=999988887777/20000101/us-east-1/kms/aws4_request, Credential=');
    expect(message(forged)).toBe(`Authorization header has more than one 'Credential' parameter. Authorization=${forged}`);
    const twice = `${VALID}, Signature=00`;
    expect(message(twice)).toBe(`Authorization header has more than one 'Signature' parameter. Authorization=${twice}`);
    expect(message(`${VALID}, credential=x`)).toBe(
      `Authorization header has an unknown parameter 'credential'. Authorization=${VALID}, credential=x`,
    );
    expect(message(`${VALID}, =x`)).toBe(`Authorization header has an unknown parameter ''. Authorization=${VALID}, =x`);
  });

  it("a credential scope without five parts (AWS's words)", () => {
    for (const c of ['AKID', 'AKID/20150830/us-east-1/kms', 'AKID/20150830/us-east-1/kms/aws4_request/', '']) {
      expect(message(VALID.replace('AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request', c))).toBe(
        `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${c}'`,
      );
    }
  });

  it('a malformed access key id, scope date or empty scope part', () => {
    const scope = (c: string) => VALID.replace('AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request', c);
    const ok = (c: string) => expect(parseAuthorization(scope(c)).ok).toBe(true);
    const bad = (c: string) =>
      expect(message(scope(c))).toBe(
        `Authorization header has a malformed 'Credential' parameter: expected <access key id>/<YYYYMMDD>/<region>/<service>/aws4_request, got '${c}'.`,
      );
    ok(`${'A'.repeat(128)}/20150830/us-east-1/kms/aws4_request`);
    bad(`${'A'.repeat(129)}/20150830/us-east-1/kms/aws4_request`);
    ok('a_1/20150830/us-east-1/kms/aws4_request');
    bad('AK-ID/20150830/us-east-1/kms/aws4_request');
    bad('/20150830/us-east-1/kms/aws4_request');
    bad('AKID/2015083/us-east-1/kms/aws4_request');
    bad('AKID/201508300/us-east-1/kms/aws4_request');
    bad('AKID/2015O830/us-east-1/kms/aws4_request');
    bad('AKID/20150830//kms/aws4_request');
    bad('AKID/20150830/us-east-1//aws4_request');
    bad('AKID/20150830/us-east-1/kms/');
  });

  it('SignedHeaders that are not lowercase, sorted and each once', () => {
    const with_ = (s: string) => VALID.replace('content-type;host;x-amz-date;x-amz-target', s);
    for (const s of ['Host;x-amz-date', 'x-amz-date;host', 'host;host', 'host;;x-amz-date', '', ';host', 'host;', 'host;x(y']) {
      expect(message(with_(s))).toBe(
        `Authorization header has a malformed 'SignedHeaders' parameter: header names must be lowercase, separated by ';', sorted and each listed once, got '${s}'.`,
      );
    }
    expect(parseAuthorization(with_('host')).ok).toBe(true);
    expect(parseAuthorization(with_('a;b')).ok).toBe(true);
  });

  it('a Signature that is not lowercase hex of at most 64 digits', () => {
    const with_ = (s: string) => VALID.replace('5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31', s);
    for (const s of ['5FA0', 'xyz', '', 'f'.repeat(65)]) {
      expect(message(with_(s))).toBe(`Authorization header has a malformed 'Signature' parameter: expected lowercase hex, got '${s}'.`);
    }
    expect(parseAuthorization(with_('f'.repeat(64))).ok).toBe(true);
    expect(parseAuthorization(with_('0')).ok).toBe(true);
  });
});

describe('parseAuthorizationOf: the parse reused by the text before the signature', () => {
  it('answers every header exactly as parseAuthorization does, however often its prefix was seen before', () => {
    const prefix = VALID.slice(0, VALID.lastIndexOf(', Signature='));
    const headers = [
      VALID,
      `${prefix}, Signature=${'a'.repeat(64)}`,
      `${prefix}, Signature=0`,
      `${prefix}, Signature=${'a'.repeat(65)}`, // too long
      `${prefix}, Signature=ABCD`, // not lowercase hex
      `${prefix}, Signature=`,
      `${prefix}, Signature=abc `, // trailing space
      `${prefix}, Signature=abc, Signature=abd`, // repeated
      `${prefix},Signature=abc`, // no space: the full parse
      `${prefix}, Signature=abc, Foo=bar`,
      `${prefix.replace('SignedHeaders', 'Signature=abc, SignedHeaders')}, Signature=abd`, // a second Signature before
      `${prefix.replace('Credential=AKIDEXAMPLE', 'Credential=AKID EXAMPLE')}, Signature=abc`, // a bad prefix
      `${prefix.replace('host;', 'Host;')}, Signature=abc`,
      `AWS4-HMAC-SHA1${prefix.slice('AWS4-HMAC-SHA256'.length)}, Signature=abc`,
      ', Signature=abc',
      'Signature=abc',
    ];
    for (let pass = 0; pass < 3; pass++)
      for (const header of headers) expect(parseAuthorizationOf(header), `${pass}: ${header}`).toEqual(parseAuthorization(header));
  });

  it('agrees with parseAuthorization on generated headers, valid or not, with prefixes repeated', () => {
    const junk = fc.constantFrom('', ' ', ',', ', Signature=abc', 'Signature=', '=', ', X=1', '/');
    fc.assert(
      fc.property(authorization, junk, fc.nat(3), fc.stringMatching(/^[0-9a-fA-F ,=]{0,70}$/), (a, extra, at, signature) => {
        const header = formatAuthorization(a);
        const cut = header.lastIndexOf(', Signature=');
        const prefix = header.slice(0, cut);
        const variants = [
          header,
          `${prefix}, Signature=${signature}`,
          `${prefix.slice(0, at * 7)}${extra}${prefix.slice(at * 7)}, Signature=${a.signature}`,
          `${prefix}${extra}, Signature=${a.signature}`,
        ];
        for (const v of [...variants, ...variants]) expect(parseAuthorizationOf(v)).toEqual(parseAuthorization(v));
      }),
      { numRuns: 300 },
    );
  });
});
