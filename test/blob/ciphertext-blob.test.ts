/**
 * The KMS ciphertext blob, format v2 (src/blob/ciphertext-blob.ts; the README's "Formats"): exact header
 * layout, round trips, sizes, and every malformed input → InvalidCiphertextException. v1 blobs
 * and the v2 derivation: blob-v2.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { InvalidCiphertextException, Kms, ManualClock } from 'kmsbox';
import {
  BLOB_VERSION,
  HEADER_BYTES,
  NONCE_BYTES,
  SALT_BYTES,
  TAG_BYTES,
  decodeBlob,
  encodeBlob,
  encodeHeader,
  type BlobHeader,
} from '../../src/blob/ciphertext-blob.js';

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const seq = (start: number, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);

function uuidFromBytes(b: Uint8Array): string {
  const h = hex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Any key id a blob can carry: UUID (form 0) or mrk- (form 1), from 16 arbitrary bytes. */
const keyIdArb = fc
  .tuple(fc.boolean(), fc.uint8Array({ minLength: 16, maxLength: 16 }))
  .map(([mrk, b]) => (mrk ? `mrk-${hex(b)}` : uuidFromBytes(b)));

const headerArb: fc.Arbitrary<BlobHeader> = fc.record({
  blobVersion: fc.constantFrom(1 as const, 2 as const),
  keyId: keyIdArb,
  version: fc.integer({ min: 0, max: 0xffff }),
  salt: fc.uint8Array({ minLength: SALT_BYTES, maxLength: SALT_BYTES }),
  nonce: fc.uint8Array({ minLength: NONCE_BYTES, maxLength: NONCE_BYTES }),
});

function expectInvalid(f: () => unknown): void {
  let thrown: unknown;
  try {
    f();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidCiphertextException);
  const e = thrown as InvalidCiphertextException;
  expect(e.name).toBe('InvalidCiphertextException');
  expect(e.message).toBe('The ciphertext is not valid for this key and encryption context, or it was altered.'); // AWS sends it empty; kmsbox never sends an empty message
  expect(e.$fault).toBe('client');
  expect(e.$metadata.httpStatusCode).toBe(400);
}

describe('constants', () => {
  test('v2: 48-byte header, 16-byte salt, 12-byte nonce, 16-byte tag', () => {
    expect(BLOB_VERSION).toBe(2);
    expect(SALT_BYTES).toBe(16);
    expect(NONCE_BYTES).toBe(12);
    expect(TAG_BYTES).toBe(16);
    expect(HEADER_BYTES).toBe(48);
    expect(HEADER_BYTES + TAG_BYTES).toBe(64);
  });
});

describe('header layout', () => {
  test('UUID key id: version 0x02, form 0x00, 16 id bytes, u16 BE material version, salt, nonce', () => {
    const header = encodeHeader({
      keyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
      version: 0x0102,
      salt: seq(0xa0, 16),
      nonce: seq(0xb0, 12),
    });
    expect(header.length).toBe(48);
    expect(hex(header)).toBe(
      '02' + // format version
        '00' + // key id form: UUID
        '1234abcd12ab34cd56ef1234567890ab' + // the 16 bytes of the UUID
        '0102' + // material version 258, big-endian
        'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf' + // salt
        'b0b1b2b3b4b5b6b7b8b9babb', // nonce
    );
  });

  test('mrk- key id: form 0x01 and the 16 bytes after the prefix', () => {
    const header = encodeHeader({
      keyId: 'mrk-0123456789abcdef0123456789abcdef',
      version: 0xfffe,
      salt: new Uint8Array(16),
      nonce: new Uint8Array(12).fill(0xff),
    });
    expect(hex(header)).toBe(`02010123456789abcdef0123456789abcdeffffe${'00'.repeat(16)}${'ff'.repeat(12)}`);
  });

  test('material version is big-endian across the whole u16 range', () => {
    for (const v of [0, 1, 0xff, 0x100, 0x1234, 0xffff]) {
      const h = encodeHeader({ keyId: `mrk-${'00'.repeat(16)}`, version: v, salt: new Uint8Array(16), nonce: new Uint8Array(12) });
      expect([h[18], h[19]]).toEqual([v >>> 8, v & 0xff]);
      expect(decodeBlob(encodeBlob(h, new Uint8Array(16))).version).toBe(v);
    }
  });

  test('a blob is the header followed by ciphertext || tag', () => {
    const header = encodeHeader({ keyId: `mrk-${'ab'.repeat(16)}`, version: 3, salt: seq(1, 16), nonce: seq(2, 12) });
    const sealed = seq(9, 40);
    const blob = encodeBlob(header, sealed);
    expect(hex(blob)).toBe(hex(header) + hex(sealed));
  });

  test('a real Encrypt blob: UUID key id and material version 0, then 1 after rotation', async () => {
    const kms = new Kms();
    const { KeyMetadata } = await kms.createKey({});
    const id = KeyMetadata!.KeyId!;
    const first = (await kms.encrypt({ KeyId: id, Plaintext: seq(0, 10) })).CiphertextBlob!;
    expect(first[0]).toBe(0x02);
    expect(first[1]).toBe(0x00);
    expect(hex(first.subarray(2, 18))).toBe(id.replaceAll('-', ''));
    expect(hex(first.subarray(18, 20))).toBe('0000');
    expect(decodeBlob(first)).toMatchObject({ keyId: id, version: 0 });
    await kms.rotateKeyOnDemand({ KeyId: id });
    const second = (await kms.encrypt({ KeyId: id, Plaintext: seq(0, 10) })).CiphertextBlob!;
    expect(hex(second.subarray(18, 20))).toBe('0001');
    expect(hex(second.subarray(0, 18))).toBe(hex(first.subarray(0, 18)));
  });

  test('a real blob of a multi-Region key carries form 0x01 and the id without mrk-', async () => {
    const kms = new Kms();
    const { KeyMetadata } = await kms.createKey({ MultiRegion: true });
    const id = KeyMetadata!.KeyId!;
    expect(id).toMatch(/^mrk-[0-9a-f]{32}$/);
    const blob = (await kms.encrypt({ KeyId: id, Plaintext: seq(0, 3) })).CiphertextBlob!;
    expect(blob[1]).toBe(0x01);
    expect(hex(blob.subarray(2, 18))).toBe(id.slice(4));
    expect(decodeBlob(blob).keyId).toBe(id);
  });

  test('every Encrypt draws a fresh salt and nonce', async () => {
    const kms = new Kms();
    const { KeyMetadata } = await kms.createKey({});
    const blobs = await Promise.all(Array.from({ length: 64 }, () => kms.encrypt({ KeyId: KeyMetadata!.KeyId!, Plaintext: seq(0, 16) })));
    const salts = new Set(blobs.map((b) => hex(b.CiphertextBlob!.subarray(20, 36))));
    const nonces = new Set(blobs.map((b) => hex(b.CiphertextBlob!.subarray(36, 48))));
    const bodies = new Set(blobs.map((b) => hex(b.CiphertextBlob!.subarray(48))));
    expect(salts.size).toBe(64);
    expect(nonces.size).toBe(64);
    expect(bodies.size).toBe(64);
  });
});

describe('round trip', () => {
  test('decode(encode(header, sealed)) gives back every field (property)', () => {
    fc.assert(
      fc.property(headerArb, fc.uint8Array({ minLength: TAG_BYTES, maxLength: 300 }), (h, sealed) => {
        const header = encodeHeader(h);
        const d = decodeBlob(encodeBlob(header, sealed));
        expect(d.blobVersion).toBe(h.blobVersion);
        expect(d.keyId).toBe(h.keyId);
        expect(d.version).toBe(h.version);
        expect(hex(d.salt)).toBe(hex(h.salt));
        expect(hex(d.nonce)).toBe(hex(h.nonce));
        expect(hex(d.header)).toBe(hex(header));
        expect(hex(d.sealed)).toBe(hex(sealed));
      }),
      { numRuns: 300 },
    );
  });

  test('encode(decode(blob)) = blob for every well-formed blob (property)', () => {
    const wellFormed = fc
      .tuple(fc.constantFrom(1, 2), fc.constantFrom(0, 1), fc.uint8Array({ minLength: HEADER_BYTES - 2 + TAG_BYTES, maxLength: 400 }))
      .map(([version, form, rest]) => Uint8Array.from([version, form, ...rest]));
    fc.assert(
      fc.property(wellFormed, (blob) => {
        const d = decodeBlob(blob);
        expect(hex(encodeBlob(encodeHeader(d), d.sealed))).toBe(hex(blob));
      }),
      { numRuns: 300 },
    );
  });
});

describe('size: 64 bytes + plaintext', () => {
  test('Encrypt of 1..4096 bytes gives 64 + n (property)', async () => {
    const kms = new Kms();
    const { KeyMetadata } = await kms.createKey({});
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4096 }), async (n) => {
        const { CiphertextBlob } = await kms.encrypt({ KeyId: KeyMetadata!.KeyId!, Plaintext: new Uint8Array(n) });
        expect(CiphertextBlob!.length).toBe(64 + n);
      }),
      { numRuns: 100 },
    );
    for (const n of [1, 4096]) {
      const { CiphertextBlob } = await kms.encrypt({ KeyId: KeyMetadata!.KeyId!, Plaintext: new Uint8Array(n) });
      expect(CiphertextBlob!.length).toBe(64 + n);
    }
  });

  test('a 32-byte data key gives a 96-byte blob (under 100 bytes); 16 bytes give 80', async () => {
    const kms = new Kms();
    const { KeyMetadata } = await kms.createKey({});
    const KeyId = KeyMetadata!.KeyId!;
    const k256 = await kms.generateDataKey({ KeyId, KeySpec: 'AES_256' });
    expect(k256.Plaintext!.length).toBe(32);
    expect(k256.CiphertextBlob!.length).toBe(96);
    const k128 = await kms.generateDataKey({ KeyId, KeySpec: 'AES_128' });
    expect(k128.CiphertextBlob!.length).toBe(80);
    const without = await kms.generateDataKeyWithoutPlaintext({ KeyId, KeySpec: 'AES_256' });
    expect(without.CiphertextBlob!.length).toBe(96);
    for (const n of [1, 64, 1024]) {
      const k = await kms.generateDataKey({ KeyId, NumberOfBytes: n });
      expect(k.CiphertextBlob!.length).toBe(64 + n);
    }
    const { KeyMetadata: other } = await kms.createKey({});
    const re = await kms.reEncrypt({ CiphertextBlob: k256.CiphertextBlob!, DestinationKeyId: other!.KeyId! });
    expect(re.CiphertextBlob!.length).toBe(96);
  });
});

describe('malformed input → InvalidCiphertextException', () => {
  const good = encodeBlob(
    encodeHeader({ keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', version: 0, salt: seq(1, 16), nonce: seq(2, 12) }),
    seq(3, 32),
  );

  test('the reference blob decodes', () => {
    expect(decodeBlob(good).keyId).toBe('1234abcd-12ab-34cd-56ef-1234567890ab');
    expect(decodeBlob(good.subarray(0, 64)).sealed.length).toBe(16);
  });

  test('every length below 64 (header + tag), including 0', () => {
    for (let n = 0; n < HEADER_BYTES + TAG_BYTES; n++) expectInvalid(() => decodeBlob(good.subarray(0, n)));
  });

  test('every version byte other than 0x01 and 0x02', () => {
    for (let v = 0; v < 256; v++) {
      if (v === 1 || v === 2) continue;
      const blob = good.slice();
      blob[0] = v;
      expectInvalid(() => decodeBlob(blob));
    }
  });

  test('every key-id form byte other than 0x00 and 0x01', () => {
    for (let f = 2; f < 256; f++) {
      const blob = good.slice();
      blob[1] = f;
      expectInvalid(() => decodeBlob(blob));
    }
  });

  test('random short or misversioned inputs (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 63 }), (b) => expectInvalid(() => decodeBlob(b))),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }).filter((v) => v !== 1 && v !== 2),
        fc.uint8Array({ minLength: 63, maxLength: 200 }),
        (v, rest) => expectInvalid(() => decodeBlob(Uint8Array.from([v, ...rest]))),
      ),
      { numRuns: 200 },
    );
  });

  test('decoding neither copies nor changes the input', () => {
    const blob = good.slice();
    const before = hex(blob);
    const d = decodeBlob(blob);
    expect(hex(blob)).toBe(before);
    expect(d.sealed.buffer).toBe(blob.buffer);
  });

  test('Kms: a material version the key does not have is InvalidCiphertextException', async () => {
    const kms = new Kms({ clock: new ManualClock(0) });
    const { KeyMetadata } = await kms.createKey({});
    const { CiphertextBlob } = await kms.encrypt({ KeyId: KeyMetadata!.KeyId!, Plaintext: seq(0, 5) });
    for (const v of [1, 2, 0x100, 0xffff]) {
      const blob = CiphertextBlob!.slice();
      blob[18] = v >>> 8;
      blob[19] = v & 0xff;
      await expect(kms.decrypt({ CiphertextBlob: blob })).rejects.toBeInstanceOf(InvalidCiphertextException);
    }
  });

  test('Kms: a well-formed blob for a key that does not exist is InvalidCiphertextException', async () => {
    const kms = new Kms();
    await kms.createKey({});
    await expect(kms.decrypt({ CiphertextBlob: good })).rejects.toBeInstanceOf(InvalidCiphertextException);
    const mrk = good.slice();
    mrk[1] = 1;
    await expect(kms.decrypt({ CiphertextBlob: mrk })).rejects.toBeInstanceOf(InvalidCiphertextException);
    await expect(kms.decrypt({ CiphertextBlob: fromHex('01 00') })).rejects.toBeInstanceOf(InvalidCiphertextException);
  });
});
