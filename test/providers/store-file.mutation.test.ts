// The key-store file parser (src/providers/store-file.ts) field by field: every field kmsbox
// writes must be there in exactly its form (sizes, canonical base64, id alphabet, generation
// range), the KDF cost is bounded at its edges, and everything the root key authenticates is
// bound (a changed header field or mark field fails).
import { describe, expect, it } from 'vitest';
import {
  checkMatches,
  checkValue,
  decodeHighWaterMark,
  encodeHighWaterMark,
  openStoreFile,
  parseStoreFile,
  sameKdf,
  scryptMaxmem,
  scryptParamsProblem,
  sealStoreFile,
  type StoreFile,
} from '../../src/providers/store-file.js';

const ROOT = new Uint8Array(32).fill(7);
const OTHER = new Uint8Array(32).fill(8);
const STORE_ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const SALT = Buffer.alloc(16, 1).toString('base64');
const v2 = (): StoreFile =>
  sealStoreFile(
    ROOT,
    {
      format: 'kmsbox-store',
      version: 2,
      kdf: { name: 'root-key-file' },
      check: checkValue(ROOT),
      generation: 3,
      storeId: STORE_ID,
      hwm: true,
    },
    new TextEncoder().encode('{"state":{}}'),
  );
const text = (o: object) => JSON.stringify(o);
const refused = (o: unknown, message: string) =>
  expect(() => parseStoreFile(typeof o === 'string' ? o : JSON.stringify(o))).toThrow(message);
const FIELDS_2 = 'it is not a kmsbox key store (fields of version 2 missing or malformed)';

describe('parseStoreFile', () => {
  it('accepts what kmsbox writes, and reads back the same fields', () => {
    const f = v2();
    expect(parseStoreFile(text(f))).toEqual(f);
    expect(parseStoreFile(text({ ...f, generation: 0 })).generation).toBe(0);
    expect(parseStoreFile(text({ ...f, hwm: false })).hwm).toBe(false);
  });

  it('not JSON, not an object, another format or version', () => {
    refused('{', 'it is not a readable key-store file (not JSON)');
    const unknown = 'it is not a kmsbox key store (format/version fields missing or unknown)';
    for (const o of [null, [], '"x"', 'null', { ...v2(), format: 'kmsbox-hwm' }, { ...v2(), version: 3 }, { ...v2(), version: '2' }])
      refused(o, unknown);
  });

  it('the generation is a safe integer from 0', () => {
    for (const generation of [-1, 1.5, 2 ** 53, '3', null]) refused({ ...v2(), generation }, FIELDS_2);
    expect(parseStoreFile(text({ ...v2(), generation: 2 ** 53 - 1 })).generation).toBe(2 ** 53 - 1);
  });

  it('check, nonce and payload are canonical base64 of their sizes', () => {
    const b = (n: number) => Buffer.alloc(n, 2).toString('base64');
    for (const check of [b(31), b(33), checkValue(ROOT).replace(/=$/, ''), 7]) refused({ ...v2(), check }, FIELDS_2);
    for (const nonce of [b(11), b(13), 'not base64!']) refused({ ...v2(), nonce }, FIELDS_2);
    for (const payload of ['a', 'ab=c', 5]) refused({ ...v2(), payload }, FIELDS_2);
  });

  it('a version-2 store id is 22 base64url characters; hwm a boolean; no field missing or extra', () => {
    for (const storeId of [STORE_ID.slice(1), `${STORE_ID}A`, `${STORE_ID.slice(1)}+`, `${STORE_ID.slice(1)}.`, 5])
      refused({ ...v2(), storeId }, FIELDS_2);
    expect(parseStoreFile(text({ ...v2(), storeId: 'Az09_-Az09_-Az09_-Az09' })).storeId).toBe('Az09_-Az09_-Az09_-Az09');
    refused({ ...v2(), hwm: 'true' }, FIELDS_2);
    refused({ ...v2(), extra: 1 }, FIELDS_2);
    const { hwm: _, ...missing } = v2();
    refused(missing, FIELDS_2);
    const { storeId: _s, hwm: _h, ...v1 } = v2();
    expect(parseStoreFile(text({ ...v1, version: 1 })).version).toBe(1);
    refused({ ...v1, version: 1, storeId: STORE_ID }, 'it is not a kmsbox key store (fields of version 1 missing or malformed)');
  });

  it('the KDF parameters: exactly root-key-file, or scrypt within bounds with a 16-byte salt', () => {
    const kdf = (k: unknown) => ({ ...v2(), kdf: k });
    refused(kdf(undefined), FIELDS_2);
    refused(kdf('scrypt'), 'its key-derivation parameters are missing');
    refused(kdf({ name: 'root-key-file', N: 1 }), 'its key-derivation parameters are not ones kmsbox writes');
    refused(kdf({ name: 'pbkdf2' }), 'its key-derivation parameters are not ones kmsbox writes');
    refused(kdf({ name: 'scrypt', N: 1024, r: 8, p: 1, salt: SALT, extra: 1 }), 'its key-derivation parameters are not ones kmsbox writes');
    refused(
      kdf({ name: 'scrypt', N: 512, r: 8, p: 1, salt: SALT }),
      'its key-derivation cost is refused (N is outside scrypt N = 2^10 … 2^18 (a power of two), r = 8, p = 1)',
    );
    refused(
      kdf({ name: 'scrypt', N: 1024, r: 8, p: 1, salt: Buffer.alloc(15).toString('base64') }),
      'its scrypt salt is not 16 bytes of base64',
    );
    refused(
      kdf({ name: 'scrypt', N: 1024, r: 8, p: 1, salt: Buffer.alloc(17).toString('base64') }),
      'its scrypt salt is not 16 bytes of base64',
    );
    expect(parseStoreFile(text(kdf({ name: 'scrypt', N: 1024, r: 8, p: 1, salt: SALT }))).kdf).toEqual({
      name: 'scrypt',
      N: 1024,
      r: 8,
      p: 1,
      salt: SALT,
    });
  });
});

describe('the scrypt bounds', () => {
  it('N a power of two from 2^10 to 2^18, r = 8, p = 1, each named', () => {
    for (const N of [2 ** 10, 2 ** 14, 2 ** 18]) expect(scryptParamsProblem(N, 8, 1)).toBeUndefined();
    for (const N of [2 ** 9, 2 ** 19, 3 * 2 ** 10, 2 ** 10 + 1, 2 ** 18 - 1, 1024.5, '1024', Number.NaN])
      expect(scryptParamsProblem(N, 8, 1)).toMatch(/^N is outside/);
    expect(scryptParamsProblem(1024, 7, 1)).toMatch(/^r is outside/);
    expect(scryptParamsProblem(1024, 8, 2)).toMatch(/^p is outside/);
  });

  it('the memory bound is what scrypt needs plus 1 MiB', () => {
    expect(scryptMaxmem({ N: 1024, r: 8 })).toBe(128 * 1024 * 8 + 2 ** 20);
  });

  it('sameKdf compares every scrypt parameter; root-key-file only with itself', () => {
    const s = { name: 'scrypt', N: 1024, r: 8, p: 1, salt: SALT } as const;
    expect(sameKdf(s, { ...s })).toBe(true);
    for (const d of [{ N: 2048 }, { r: 7 }, { p: 2 }, { salt: Buffer.alloc(16, 2).toString('base64') }])
      expect(sameKdf(s, { ...s, ...d })).toBe(false);
    expect(sameKdf({ name: 'root-key-file' }, { name: 'root-key-file' })).toBe(true);
    expect(sameKdf({ name: 'root-key-file' }, s)).toBe(false);
    expect(sameKdf(s, { name: 'root-key-file' })).toBe(false);
  });
});

describe('what the root key authenticates', () => {
  it('the payload opens under the root key only, and every header field is bound', () => {
    const f = v2();
    expect(new TextDecoder().decode(openStoreFile(ROOT, f))).toBe('{"state":{}}');
    expect(checkMatches(ROOT, f)).toBe(true);
    expect(checkMatches(OTHER, f)).toBe(false);
    expect(checkMatches(ROOT, { ...f, check: 'short' })).toBe(false);
    const fails = 'its contents fail authentication (damaged or edited)';
    expect(() => openStoreFile(OTHER, f)).toThrow(fails);
    for (const edit of [
      { generation: 4 },
      { hwm: false },
      { storeId: 'B'.repeat(22) },
      { version: 1 as const },
      { check: checkValue(OTHER) },
      { kdf: { name: 'scrypt', N: 1024, r: 8, p: 1, salt: SALT } as const },
      { payload: 'AAAA' },
    ]) {
      expect(() => openStoreFile(ROOT, { ...f, ...edit }), JSON.stringify(edit)).toThrow(fails);
    }
  });

  it('a high-water mark decodes under its root key only; any field edited or malformed is refused', () => {
    const m = { storeId: STORE_ID, generation: 9, nonce: Buffer.alloc(12, 3).toString('base64') };
    const encoded = encodeHighWaterMark(ROOT, m);
    expect(decodeHighWaterMark(ROOT, encoded)).toEqual(m);
    expect(() => decodeHighWaterMark(OTHER, encoded)).toThrow(
      "it fails authentication under this store's root key (edited, or another store's)",
    );
    const o = JSON.parse(encoded) as Record<string, unknown>;
    for (const edit of [{ generation: 10 }, { storeId: 'B'.repeat(22) }, { nonce: Buffer.alloc(12, 4).toString('base64') }]) {
      expect(() => decodeHighWaterMark(ROOT, JSON.stringify({ ...o, ...edit })), JSON.stringify(edit)).toThrow('fails authentication');
    }
    const malformed = [
      { format: 'kmsbox-store' },
      { version: 2 },
      { extra: 1 },
      { storeId: 'short' },
      { generation: -1 },
      { nonce: Buffer.alloc(11).toString('base64') },
      { mac: Buffer.alloc(31).toString('base64') },
    ];
    for (const edit of malformed)
      expect(() => decodeHighWaterMark(ROOT, JSON.stringify({ ...o, ...edit })), JSON.stringify(edit)).toThrow(
        'it is not a kmsbox high-water mark',
      );
    expect(() => decodeHighWaterMark(ROOT, '{')).toThrow('it is not a kmsbox high-water mark');
    expect(() => decodeHighWaterMark(ROOT, '[]')).toThrow('it is not a kmsbox high-water mark');
  });
});
