/**
 * Canonical encryption-context bytes (src/blob/encryption-context.ts; the README's "Formats"): u32 count, then per entry u32 len + key, u32 len + value (UTF-8, big-endian
 * lengths), entries sorted by the UTF-8 bytes of their keys.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { InvalidCiphertextException, Kms, ValidationException } from 'kmsbox';
import { canonicalContext, utf8Length } from '../../src/blob/encryption-context.js';

type Context = Record<string, string>;

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** An independent parser of the canonical form: entries in order, or throws if the bytes are not exactly one encoding. */
function parse(bytes: Uint8Array): Array<[string, string]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let at = 0;
  const u32 = (): number => {
    const v = view.getUint32(at);
    at += 4;
    return v;
  };
  const str = (): string => {
    const n = u32();
    if (at + n > bytes.length) throw new Error('overrun');
    const s = decoder.decode(bytes.subarray(at, at + n));
    at += n;
    return s;
  };
  const count = u32();
  const out: Array<[string, string]> = [];
  for (let i = 0; i < count; i++) out.push([str(), str()]);
  if (at !== bytes.length) throw new Error('trailing bytes');
  return out;
}

function sameContext(a: Context, b: Context): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && b[k] === a[k]);
}

/** Contexts from a tiny alphabet, so near-collisions ({ab:'c'} vs {a:'bc'}) are common. */
const tinyString = fc.string({ unit: fc.constantFrom('a', 'b', '\u0000', '\u00e9', '\uff61', '\u{1F600}'), maxLength: 3 });
const tinyContext = fc.dictionary(tinyString, tinyString, { maxKeys: 3 });
/** Any well-formed Unicode. */
const anyContext = fc.dictionary(fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }), {
  maxKeys: 6,
});

describe('canonicalContext: exact bytes', () => {
  test('{ a: "b" }', () => {
    expect(hex(canonicalContext({ a: 'b' }))).toBe(
      '00000001' + // one entry
        '00000001' +
        '61' + // key "a"
        '00000001' +
        '62', // value "b"
    );
  });

  test('{ b: "", a: "xy" }: sorted, empty value kept', () => {
    expect(hex(canonicalContext({ b: '', a: 'xy' }))).toBe(
      '00000002' + '00000001' + '61' + '00000002' + '7879' + '00000001' + '62' + '00000000',
    );
  });

  test('multi-byte UTF-8: { é: "ü" }', () => {
    expect(hex(canonicalContext({ é: 'ü' }))).toBe('00000001' + '00000002' + 'c3a9' + '00000002' + 'c3bc');
  });

  test('empty context and undefined encode the same: a zero count', () => {
    expect(hex(canonicalContext(undefined))).toBe('00000000');
    expect(hex(canonicalContext({}))).toBe('00000000');
  });

  test('the bytes are fresh each call (a caller may not corrupt later encodings)', () => {
    const a = canonicalContext({});
    a.fill(0xff);
    expect(hex(canonicalContext(undefined))).toBe('00000000');
    const b = canonicalContext({ k: 'v' });
    b.fill(0xff);
    expect(hex(canonicalContext({ k: 'v' }))).toBe('00000001000000016b0000000176');
  });
});

describe('canonicalContext: ordering', () => {
  test('key order in the object is irrelevant', () => {
    expect(hex(canonicalContext({ a: '1', b: '2', c: '3' }))).toBe(hex(canonicalContext({ c: '3', a: '1', b: '2' })));
  });

  test('sorting is by UTF-8 bytes, not UTF-16 code units: U+FF61 before U+1F600', () => {
    const halfwidth = '\uFF61'; // UTF-16 FF61,      UTF-8 EF BD A1
    const emoji = '\u{1F600}'; // UTF-16 D83D DE00, UTF-8 F0 9F 98 80
    expect([halfwidth, emoji].sort()).toEqual([emoji, halfwidth]); // what a naive JS sort would do
    const expected = '00000002' + '00000003' + 'efbda1' + '00000001' + '31' + '00000004' + 'f09f9880' + '00000001' + '32';
    expect(hex(canonicalContext({ [emoji]: '2', [halfwidth]: '1' }))).toBe(expected);
    expect(hex(canonicalContext({ [halfwidth]: '1', [emoji]: '2' }))).toBe(expected);
  });

  test('a prefix sorts first; 1-byte before 2-byte UTF-8', () => {
    expect(parse(canonicalContext({ ab: '', a: '' })).map(([k]) => k)).toEqual(['a', 'ab']);
    expect(parse(canonicalContext({ '\u0080': '', '\u007f': '' })).map(([k]) => k)).toEqual(['\u007f', '\u0080']);
    // Integer-like keys are enumerated first by JS objects; the canonical order ignores that.
    expect(parse(canonicalContext({ b: '', '10': '', '9': '', a: '' })).map(([k]) => k)).toEqual(['10', '9', 'a', 'b']);
  });

  test('entries come out sorted by UTF-8 key bytes and parse back to the context (property)', () => {
    fc.assert(
      fc.property(anyContext, (ctx) => {
        const entries = parse(canonicalContext(ctx));
        expect(Object.fromEntries(entries)).toEqual(ctx);
        expect(entries.length).toBe(Object.keys(ctx).length);
        for (let i = 1; i < entries.length; i++) {
          expect(compareBytes(utf8(entries[i - 1]![0]), utf8(entries[i]![0]))).toBeLessThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('any permutation of the entries encodes the same (property)', () => {
    fc.assert(
      fc.property(
        anyContext.chain((ctx) =>
          fc.tuple(fc.constant(ctx), fc.shuffledSubarray(Object.entries(ctx), { minLength: Object.keys(ctx).length })),
        ),
        ([ctx, shuffled]) => {
          expect(hex(canonicalContext(Object.fromEntries(shuffled)))).toBe(hex(canonicalContext(ctx)));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('canonicalContext: unambiguous', () => {
  test('{ ab: "c" } ≠ { a: "bc" }, and other splits of the same characters', () => {
    const variants: Context[] = [{ ab: 'c' }, { a: 'bc' }, { abc: '' }, { '': 'abc' }, { a: 'b', c: '' }, { a: '', b: 'c' }];
    const encodings = variants.map((v) => hex(canonicalContext(v)));
    expect(new Set(encodings).size).toBe(variants.length);
  });

  test('a key or value holding an encoded length does not collide', () => {
    const forged = `${String.fromCharCode(0, 0, 0, 1)}b`;
    expect(hex(canonicalContext({ a: forged }))).not.toBe(hex(canonicalContext({ a: '', b: '' })));
  });

  test('distinct contexts give distinct bytes (property, near-collision alphabet)', () => {
    fc.assert(
      fc.property(tinyContext, tinyContext, (a, b) => {
        const equalBytes = hex(canonicalContext(a)) === hex(canonicalContext(b));
        expect(equalBytes).toBe(sameContext(a, b));
      }),
      { numRuns: 1000 },
    );
  });

  test('distinct contexts give distinct bytes (property, any Unicode)', () => {
    fc.assert(
      fc.property(anyContext, anyContext, (a, b) => {
        expect(hex(canonicalContext(a)) === hex(canonicalContext(b))).toBe(sameContext(a, b));
      }),
      { numRuns: 300 },
    );
  });

  test('a context with an own "__proto__" key differs from the empty context', () => {
    const ctx = JSON.parse('{"__proto__":"x"}') as Context;
    expect(Object.keys(ctx)).toEqual(['__proto__']);
    expect(hex(canonicalContext(ctx))).toBe(`0000000100000009${hex(utf8('__proto__'))}0000000178`);
  });
});

describe('through Kms', () => {
  async function setup() {
    const kms = new Kms();
    const { KeyMetadata } = await kms.createKey({});
    return { kms, KeyId: KeyMetadata!.KeyId! };
  }

  test('decrypt needs the same pairs in any order; case and splits matter', async () => {
    const { kms, KeyId } = await setup();
    const Plaintext = utf8('pt');
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext, EncryptionContext: { ab: 'c', Tenant: 'T1' } });
    await expect(kms.decrypt({ CiphertextBlob: CiphertextBlob!, EncryptionContext: { Tenant: 'T1', ab: 'c' } })).resolves.toMatchObject({
      Plaintext,
    });
    for (const wrong of [{ a: 'bc', Tenant: 'T1' }, { ab: 'c', tenant: 'T1' }, { ab: 'c', Tenant: 't1' }, { ab: 'c' }, {}, undefined]) {
      await expect(kms.decrypt({ CiphertextBlob: CiphertextBlob!, EncryptionContext: wrong as Context })).rejects.toBeInstanceOf(
        InvalidCiphertextException,
      );
    }
  });

  test('an empty context and no context are interchangeable', async () => {
    const { kms, KeyId } = await setup();
    const a = await kms.encrypt({ KeyId, Plaintext: utf8('x'), EncryptionContext: {} });
    await expect(kms.decrypt({ CiphertextBlob: a.CiphertextBlob! })).resolves.toBeDefined();
    const b = await kms.encrypt({ KeyId, Plaintext: utf8('x') });
    await expect(kms.decrypt({ CiphertextBlob: b.CiphertextBlob!, EncryptionContext: {} })).resolves.toBeDefined();
  });

  test('non-ASCII contexts (astral, halfwidth, NUL) round-trip', async () => {
    const { kms, KeyId } = await setup();
    const ctx = { '\u{1F600}': '\uFF61', '\u0000': '', é: '\u{10FFFF}' };
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: utf8('x'), EncryptionContext: ctx });
    await expect(kms.decrypt({ CiphertextBlob: CiphertextBlob!, EncryptionContext: { ...ctx } })).resolves.toBeDefined();
  });

  test('a "__proto__" key is bound like any other key', async () => {
    const { kms, KeyId } = await setup();
    const ctx = JSON.parse('{"__proto__":"x"}') as Context;
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: utf8('x'), EncryptionContext: ctx });
    await expect(
      kms.decrypt({ CiphertextBlob: CiphertextBlob!, EncryptionContext: JSON.parse('{"__proto__":"x"}') }),
    ).resolves.toBeDefined();
    await expect(kms.decrypt({ CiphertextBlob: CiphertextBlob! })).rejects.toBeInstanceOf(InvalidCiphertextException);
    await expect(
      kms.decrypt({ CiphertextBlob: CiphertextBlob!, EncryptionContext: JSON.parse('{"__proto__":"y"}') }),
    ).rejects.toBeInstanceOf(InvalidCiphertextException);
    const plain = await kms.encrypt({ KeyId, Plaintext: utf8('x') });
    await expect(kms.decrypt({ CiphertextBlob: plain.CiphertextBlob!, EncryptionContext: ctx })).rejects.toBeInstanceOf(
      InvalidCiphertextException,
    );
  });

  test('a lone surrogate in a key or value is ValidationException in every operation that takes a context', async () => {
    const { kms, KeyId } = await setup();
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: utf8('x') });
    const bad: Context[] = [{ '\uD800': 'x' }, { x: '\uDC00' }, { 'a\uD83Db': 'c' }, { k: 'v\uDE00' }, { ok: 'fine', '\uDFFF': '' }];
    for (const ctx of bad) {
      const calls = [
        kms.encrypt({ KeyId, Plaintext: utf8('x'), EncryptionContext: ctx }),
        kms.decrypt({ CiphertextBlob: CiphertextBlob!, EncryptionContext: ctx }),
        kms.generateDataKey({ KeyId, KeySpec: 'AES_256', EncryptionContext: ctx }),
        kms.generateDataKeyWithoutPlaintext({ KeyId, KeySpec: 'AES_256', EncryptionContext: ctx }),
        kms.reEncrypt({ CiphertextBlob: CiphertextBlob!, DestinationKeyId: KeyId, SourceEncryptionContext: ctx }),
        kms.reEncrypt({ CiphertextBlob: CiphertextBlob!, DestinationKeyId: KeyId, DestinationEncryptionContext: ctx }),
      ];
      for (const call of calls) {
        const error = await call.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ValidationException);
        expect((error as Error).name).toBe('ValidationException');
      }
    }
  });

  test('a well-formed surrogate pair is accepted', async () => {
    const { kms, KeyId } = await setup();
    const ctx = { '\uD83D\uDE00': '\uD83D\uDE01' };
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: utf8('x'), EncryptionContext: ctx });
    await expect(kms.decrypt({ CiphertextBlob: CiphertextBlob!, EncryptionContext: { '\u{1F600}': '\u{1F601}' } })).resolves.toBeDefined();
  });
});

describe('utf8Length (the exact size canonicalContext allocates)', () => {
  test('is the length of TextEncoder’s UTF-8 for any string, lone surrogates included', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.string({ unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((n) => String.fromCharCode(n)) }),
        (a, b) => {
          expect(utf8Length(a)).toBe(utf8(a).length);
          expect(utf8Length(b)).toBe(utf8(b).length);
          expect(utf8Length(a + b)).toBe(utf8(a + b).length);
        },
      ),
      { numRuns: 500 },
    );
  });
});
