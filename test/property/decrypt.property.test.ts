/**
 * Decrypt and ReEncrypt under attack (the README's "Formats" and "Threat model"): for real ciphertexts from `kms.encrypt`,
 * every tampering — bit flips, truncation, extension, random bytes, header splicing, a wrong
 * or missing encryption context — is InvalidCiphertextException and nothing else; a KeyId
 * naming another key is IncorrectKeyException; no tampered blob ever decrypts; and untouched
 * blobs always do. Run counts scale with FUZZ_RUNS (see fuzz.ts).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { Kms } from 'kmsbox';
import { concat, expectError, flipBit, rejection, runs, sameBytes, sameContext, timeout } from './fuzz.js';

type Context = Record<string, string>;

const CONTEXT: Context = { tenant: 't1', purpose: 'fuzz' };

const kms = new Kms();
let keyA = { id: '', arn: '' };
let keyB = { id: '', arn: '' };
/** A 65-byte blob (1-byte plaintext) under keyA with CONTEXT: small enough to tamper with exhaustively. */
let small: Uint8Array;
/** A 96-byte blob (a 32-byte data key) under keyA with CONTEXT. */
let dataKeyBlob: Uint8Array;
let dataKey: Uint8Array;

beforeAll(async () => {
  for (const [name, target] of [
    ['a', 'A'],
    ['b', 'B'],
  ] as const) {
    const { KeyMetadata } = await kms.createKey({ Description: `fuzz key ${target}` });
    const key = { id: KeyMetadata!.KeyId!, arn: KeyMetadata!.Arn! };
    await kms.createAlias({ AliasName: `alias/fuzz-${name}`, TargetKeyId: key.id });
    if (target === 'A') keyA = key;
    else keyB = key;
  }
  small = (await kms.encrypt({ KeyId: keyA.id, Plaintext: new Uint8Array([0x42]), EncryptionContext: CONTEXT })).CiphertextBlob!;
  const dk = await kms.generateDataKey({ KeyId: keyA.id, KeySpec: 'AES_256', EncryptionContext: CONTEXT });
  dataKeyBlob = dk.CiphertextBlob!;
  dataKey = dk.Plaintext!;
  expect(small.length).toBe(65);
  expect(dataKeyBlob.length).toBe(96);
});

/** `null`: no EncryptionContext member at all. */
const decryptA = (blob: Uint8Array, context: Context | null = CONTEXT) =>
  kms.decrypt({ CiphertextBlob: blob, ...(context ? { EncryptionContext: context } : {}) });
const reEncryptA = (blob: Uint8Array, context: Context | null = CONTEXT) =>
  kms.reEncrypt({ CiphertextBlob: blob, DestinationKeyId: keyB.id, ...(context ? { SourceEncryptionContext: context } : {}) });

/** Both ways of opening a blob: Decrypt, and ReEncrypt to another key. */
const OPENERS = [
  ['Decrypt', decryptA],
  ['ReEncrypt', reEncryptA],
] as const;

const plaintextArb = fc.uint8Array({ minLength: 1, maxLength: 512 });
const contextArb = fc.dictionary(fc.string({ unit: 'binary', maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 10 }), {
  maxKeys: 4,
});
/** Contexts close to CONTEXT (one value or key changed, one pair added or dropped) as well as arbitrary ones. */
const nearContextArb = fc.oneof(
  contextArb,
  fc.record({ tenant: fc.string({ maxLength: 4 }), purpose: fc.constantFrom('fuzz', 'Fuzz', 'fuzz ', 'fuz') }),
  fc.record({ tenant: fc.constant('t1'), purpose: fc.constant('fuzz'), extra: fc.string({ maxLength: 3 }) }),
  fc.constantFrom<Context>({ tenant: 't1' }, { purpose: 'fuzz' }, { Tenant: 't1', purpose: 'fuzz' }, { tenant: 't1purpose', '': 'fuzz' }),
);

async function freshBlob(plaintext: Uint8Array, context: Context | undefined = CONTEXT, keyId = keyA.id): Promise<Uint8Array> {
  const { CiphertextBlob } = await kms.encrypt({ KeyId: keyId, Plaintext: plaintext, ...(context ? { EncryptionContext: context } : {}) });
  return CiphertextBlob!;
}

describe('sanity: the untouched blobs open', () => {
  test.each(OPENERS)('%s', async (_, open) => {
    await expect(open(small)).resolves.toBeDefined();
    await expect(open(dataKeyBlob)).resolves.toBeDefined();
    const { Plaintext } = await decryptA(dataKeyBlob);
    expect(sameBytes(Plaintext!, dataKey)).toBe(true);
  });
});

describe.each(OPENERS)('%s of a tampered blob', (op, open) => {
  test('every single bit flip of a 65-byte blob (exhaustive)', async () => {
    for (let bit = 0; bit < small.length * 8; bit++) {
      await expectError(open(flipBit(small, bit)), 'InvalidCiphertextException', `${op} with bit ${bit} flipped`);
    }
  });

  test(
    'a bit flip anywhere in a fresh blob (property)',
    async () => {
      await fc.assert(
        fc.asyncProperty(plaintextArb, fc.nat(), async (plaintext, seed) => {
          const blob = await freshBlob(plaintext);
          const bit = seed % (blob.length * 8);
          await expectError(open(flipBit(blob, bit)), 'InvalidCiphertextException', `${op}, bit ${bit} of ${blob.length * 8}`);
        }),
        { numRuns: runs(200) },
      );
    },
    timeout(30_000),
  );

  test('every truncation of the 96-byte data-key blob: 0 bytes is ValidationException, 1..95 InvalidCiphertextException', async () => {
    await expectError(open(dataKeyBlob.subarray(0, 0)), 'ValidationException', `${op} of 0 bytes`);
    for (let n = 1; n < dataKeyBlob.length; n++) {
      await expectError(open(dataKeyBlob.subarray(0, n)), 'InvalidCiphertextException', `${op} of the first ${n} bytes`);
    }
    // Dropping bytes from the front, too.
    for (let n = 1; n < dataKeyBlob.length; n++) {
      await expectError(open(dataKeyBlob.subarray(n)), 'InvalidCiphertextException', `${op} without the first ${n} bytes`);
    }
  });

  test(
    'any truncation of a fresh blob (property)',
    async () => {
      await fc.assert(
        fc.asyncProperty(plaintextArb, fc.nat(), fc.boolean(), async (plaintext, seed, dropLast) => {
          const blob = await freshBlob(plaintext);
          const n = dropLast ? blob.length - 1 : 1 + (seed % (blob.length - 1));
          await expectError(open(blob.subarray(0, n)), 'InvalidCiphertextException', `${op} of ${n}/${blob.length} bytes`);
        }),
        { numRuns: runs(150) },
      );
    },
    timeout(30_000),
  );

  test('appended bytes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 100 }), fc.boolean(), async (extra, useSmall) => {
        const blob = useSmall ? small : dataKeyBlob;
        await expectError(open(concat(blob, extra)), 'InvalidCiphertextException', `${op} with ${extra.length} bytes appended`);
      }),
      { numRuns: runs(150) },
    );
  });

  test('random byte strings of 1..6144 bytes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 6144 }), async (blob) => {
        await expectError(open(blob), 'InvalidCiphertextException', `${op} of ${blob.length} random bytes`);
      }),
      { numRuns: runs(200) },
    );
  });

  test('random bodies behind a real header, key id or version byte (property)', async () => {
    const prefixes = [small.subarray(0, 1), small.subarray(0, 2), small.subarray(0, 18), small.subarray(0, 20), small.subarray(0, 48)];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...prefixes), fc.uint8Array({ minLength: 0, maxLength: 200 }), async (prefix, rest) => {
        const blob = concat(prefix, rest);
        await expectError(
          open(blob),
          'InvalidCiphertextException',
          `${op} of a ${prefix.length}-byte real prefix + ${rest.length} random bytes`,
        );
      }),
      { numRuns: runs(200) },
    );
  });

  test('6144 bytes is still InvalidCiphertextException; 6145 bytes and 0 bytes are ValidationException', async () => {
    const big = new Uint8Array(6144);
    big.set(small);
    await expectError(open(big), 'InvalidCiphertextException');
    const tooBig = new Uint8Array(6145);
    tooBig.set(small);
    await expectError(open(tooBig), 'ValidationException');
    await expectError(open(new Uint8Array(0)), 'ValidationException');
  });

  test('a wrong or missing encryption context (property)', async () => {
    await expectError(open(small, null), 'InvalidCiphertextException', `${op} without a context`);
    await expectError(open(small, {}), 'InvalidCiphertextException', `${op} with an empty context`);
    await fc.assert(
      fc.asyncProperty(
        nearContextArb.filter((c) => !sameContext(c, CONTEXT)),
        async (context) => {
          await expectError(open(small, context), 'InvalidCiphertextException', `${op} with context ${JSON.stringify(context)}`);
        },
      ),
      { numRuns: runs(200) },
    );
  });

  test('a context where the blob had none, or a different one (property)', async () => {
    await fc.assert(
      fc.asyncProperty(contextArb, contextArb, fc.uint8Array({ minLength: 1, maxLength: 64 }), async (used, given, plaintext) => {
        fc.pre(!sameContext(used, given));
        const blob = await freshBlob(plaintext, used);
        await expectError(open(blob, given), 'InvalidCiphertextException');
      }),
      { numRuns: runs(150) },
    );
  });

  test('the header of one blob spliced onto the body of another under the same key (property)', async () => {
    await fc.assert(
      fc.asyncProperty(plaintextArb, plaintextArb, fc.boolean(), async (p1, p2, samePlaintext) => {
        const b1 = await freshBlob(p1);
        const b2 = await freshBlob(samePlaintext ? p1 : p2);
        const spliced = concat(b1.subarray(0, 48), b2.subarray(48));
        await expectError(open(spliced), 'InvalidCiphertextException', `${op} of a spliced blob`);
        // Salt and nonce swapped in separately, too.
        const saltSwap = concat(b1.subarray(0, 20), b2.subarray(20, 36), b1.subarray(36));
        await expectError(open(saltSwap), 'InvalidCiphertextException', `${op} with another blob's salt`);
        const nonceSwap = concat(b1.subarray(0, 36), b2.subarray(36, 48), b1.subarray(48));
        await expectError(open(nonceSwap), 'InvalidCiphertextException', `${op} with another blob's nonce`);
      }),
      { numRuns: runs(100) },
    );
  });

  test("a blob re-labelled with another key's id or another material version", async () => {
    const relabelled = small.slice();
    relabelled.set(Buffer.from(keyB.id.replaceAll('-', ''), 'hex'), 2);
    await expectError(open(relabelled), 'InvalidCiphertextException');
    const bumped = small.slice();
    bumped[19] = 1;
    await expectError(open(bumped), 'InvalidCiphertextException');
  });
});

describe('a KeyId naming another key → IncorrectKeyException', () => {
  const otherForms = () => [keyB.id, keyB.arn, 'alias/fuzz-b', keyB.arn.replace(`key/${keyB.id}`, 'alias/fuzz-b')];

  test('Decrypt', async () => {
    for (const KeyId of otherForms()) {
      await expectError(kms.decrypt({ CiphertextBlob: small, EncryptionContext: CONTEXT, KeyId }), 'IncorrectKeyException', KeyId);
    }
    // The right key, in every form, works.
    for (const KeyId of [keyA.id, keyA.arn, 'alias/fuzz-a']) {
      await expect(kms.decrypt({ CiphertextBlob: small, EncryptionContext: CONTEXT, KeyId })).resolves.toBeDefined();
    }
  });

  test('ReEncrypt (SourceKeyId)', async () => {
    for (const SourceKeyId of otherForms()) {
      await expectError(
        kms.reEncrypt({ CiphertextBlob: small, SourceEncryptionContext: CONTEXT, SourceKeyId, DestinationKeyId: keyA.id }),
        'IncorrectKeyException',
        SourceKeyId,
      );
    }
  });

  test('for fresh blobs under either key (property)', async () => {
    await fc.assert(
      fc.asyncProperty(plaintextArb, fc.boolean(), fc.boolean(), async (plaintext, underA, viaReEncrypt) => {
        const [owner, other] = underA ? [keyA, keyB] : [keyB, keyA];
        const blob = await freshBlob(plaintext, CONTEXT, owner.id);
        const call = viaReEncrypt
          ? kms.reEncrypt({ CiphertextBlob: blob, SourceEncryptionContext: CONTEXT, SourceKeyId: other.arn, DestinationKeyId: owner.id })
          : kms.decrypt({ CiphertextBlob: blob, EncryptionContext: CONTEXT, KeyId: other.id });
        await expectError(call, 'IncorrectKeyException');
      }),
      { numRuns: runs(100) },
    );
  });
});

describe('no tampered blob ever decrypts', () => {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('xor' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
  );
  type Edit = typeof edit extends fc.Arbitrary<infer E> ? E : never;

  function applyEdits(blob: Uint8Array, edits: readonly Edit[]): Uint8Array {
    const b = [...blob];
    for (const e of edits) {
      if (b.length === 0 && e.kind !== 'insert') continue;
      const i = b.length === 0 ? 0 : e.at % (e.kind === 'insert' ? b.length + 1 : b.length);
      if (e.kind === 'set') b[i] = e.value;
      else if (e.kind === 'xor') b[i] = b[i]! ^ e.mask;
      else if (e.kind === 'insert') b.splice(i, 0, e.value);
      else if (e.kind === 'delete') b.splice(i, 1);
      else {
        const j = e.with % b.length;
        [b[i], b[j]] = [b[j]!, b[i]!];
      }
    }
    return Uint8Array.from(b);
  }

  test.each(OPENERS)('%s (property)', async (op, open) => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('small', 'dataKey'), fc.array(edit, { minLength: 1, maxLength: 6 }), async (which, edits) => {
        const original = which === 'small' ? small : dataKeyBlob;
        const tampered = applyEdits(original, edits);
        fc.pre(!sameBytes(tampered, original));
        const error = await rejection(open(tampered), `${op} of a tampered blob`);
        const name = (error as Error).name;
        expect(tampered.length === 0 ? name === 'ValidationException' : name === 'InvalidCiphertextException').toBe(true);
      }),
      { numRuns: runs(200) },
    );
  });
});

describe('untouched blobs always decrypt: encrypt → decrypt is the identity', () => {
  test('arbitrary plaintexts (1..4096 bytes) and contexts (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 4096 }), contextArb, async (plaintext, context) => {
        const blob = await freshBlob(plaintext, context);
        expect(blob.length).toBe(64 + plaintext.length);
        const reordered = Object.fromEntries(Object.entries(context).reverse());
        const out = await kms.decrypt({ CiphertextBlob: blob, EncryptionContext: reordered });
        expect(sameBytes(out.Plaintext!, plaintext)).toBe(true);
        expect(out.KeyId).toBe(keyA.arn);
        expect(out.EncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');
      }),
      { numRuns: runs(200) },
    );
  });

  test('through ReEncrypt (new key, new context) then Decrypt (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 4096 }), contextArb, contextArb, async (plaintext, c1, c2) => {
        const blob = await freshBlob(plaintext, c1);
        const re = await kms.reEncrypt({
          CiphertextBlob: blob,
          SourceEncryptionContext: c1,
          DestinationKeyId: 'alias/fuzz-b',
          DestinationEncryptionContext: c2,
        });
        expect(re.SourceKeyId).toBe(keyA.arn);
        expect(re.KeyId).toBe(keyB.arn);
        const out = await kms.decrypt({ CiphertextBlob: re.CiphertextBlob!, EncryptionContext: c2 });
        expect(sameBytes(out.Plaintext!, plaintext)).toBe(true);
        if (!sameContext(c1, c2))
          await expectError(kms.decrypt({ CiphertextBlob: re.CiphertextBlob!, EncryptionContext: c1 }), 'InvalidCiphertextException');
      }),
      { numRuns: runs(100) },
    );
  });

  test('data keys (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1024 }), contextArb, async (n, context) => {
        const dk = await kms.generateDataKey({ KeyId: keyB.id, NumberOfBytes: n, EncryptionContext: context });
        expect(dk.CiphertextBlob!.length).toBe(64 + n);
        const out = await kms.decrypt({ CiphertextBlob: dk.CiphertextBlob!, EncryptionContext: context });
        expect(sameBytes(out.Plaintext!, dk.Plaintext!)).toBe(true);
      }),
      { numRuns: runs(100) },
    );
  });
});
