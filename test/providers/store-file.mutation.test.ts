// The key-store file parser (src/providers/store-file.ts) field by field: every field kmsbox
// writes must be there in exactly its form (sizes, canonical base64, id alphabet, generation
// range), the KDF cost is bounded at its edges, and everything the root key authenticates is
// bound (a changed header field or mark field fails).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkMatches,
  checkValue,
  DEFAULT_SCRYPT_N,
  decodeHighWaterMark,
  encodeHighWaterMark,
  newScryptParams,
  newStoreId,
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
    for (const o of [
      null,
      [],
      '"x"',
      'null',
      { ...v2(), format: 'kmsbox-hwm' },
      { ...v2(), version: 0 },
      { ...v2(), version: 4.5 },
      { ...v2(), version: '2' },
    ])
      refused(o, unknown);
    // A later format: said so, not taken for a damaged file.
    refused({ ...v2(), version: 5 }, 'it is a version-5 key store, written by a later kmsbox (this one reads versions 1 to 4)');
    refused({ ...v2(), version: 2 ** 53 }, unknown);
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
    const m = { storeId: STORE_ID, generation: 9, nonce: Buffer.alloc(12, 3).toString('base64'), entries: 0 };
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

describe('fixed vectors: what kmsbox wrote opens (the AAD, the check label and the mark MAC are pinned)', () => {
  // Sealed by this module at commit b09d1e7 under ROOT (0x07 × 32); the v1 store by the FileProvider
  // of commit 7ee7fc7 under fixtures/v1/v1-root.key (hex 5a × 32).
  const V2 =
    '{"format":"kmsbox-store","version":2,"kdf":{"name":"root-key-file"},"check":"SNSgtwLETB5q1beh2/87D7W3eUkyn84yqWw6m/e43oU=","generation":3,"storeId":"AAAAAAAAAAAAAAAAAAAAAA","hwm":true,"nonce":"gWOBupWM3oCsSLts","payload":"tF01qTq6fvF70qeVKvWybwBE9Luyz8Z4VP24zw=="}';
  const HWM =
    '{"format":"kmsbox-hwm","version":1,"storeId":"AAAAAAAAAAAAAAAAAAAAAA","generation":9,"nonce":"AwMDAwMDAwMDAwMD","mac":"o41MUt6O4zMShGURnSsicKmGQ0tTPaZYH2Nwr6whKC4="}';

  it('a version-2 file: check value, payload', () => {
    expect(checkValue(ROOT)).toBe('SNSgtwLETB5q1beh2/87D7W3eUkyn84yqWw6m/e43oU=');
    const f = parseStoreFile(V2);
    expect(checkMatches(ROOT, f)).toBe(true);
    expect(new TextDecoder().decode(openStoreFile(ROOT, f))).toBe('{"state":{}}');
  });

  it('a version-1 file', () => {
    const dir = new URL('./fixtures/v1/', import.meta.url);
    const root = Buffer.from(readFileSync(new URL('v1-root.key', dir), 'utf8').trim(), 'hex');
    const f = parseStoreFile(readFileSync(new URL('v1-rootkey.kmsbox', dir), 'utf8'));
    expect([f.version, f.storeId, f.hwm]).toEqual([1, undefined, undefined]);
    expect(checkMatches(root, f)).toBe(true);
    expect(JSON.parse(openStoreFile(root, f).toString('utf8'))).toHaveProperty('state');
  });

  it('a high-water mark: decoded, and encoded to the same text', () => {
    const m = { storeId: STORE_ID, generation: 9, nonce: Buffer.alloc(12, 3).toString('base64'), entries: 0 };
    expect(decodeHighWaterMark(ROOT, HWM)).toEqual(m);
    expect(encodeHighWaterMark(ROOT, m)).toBe(HWM);
  });
});

describe('what kmsbox writes', () => {
  it('sealing: a 12-byte nonce, the plaintext and a 16-byte tag; an empty payload still opens', () => {
    const header = { format: 'kmsbox-store', version: 1, kdf: { name: 'root-key-file' }, check: checkValue(ROOT), generation: 0 } as const;
    const f = sealStoreFile(ROOT, header, new Uint8Array(5));
    expect(Buffer.from(f.nonce, 'base64').length).toBe(12);
    expect(Buffer.from(f.payload, 'base64').length).toBe(5 + 16);
    expect(parseStoreFile(JSON.stringify(f))).toEqual(f);
    const empty = sealStoreFile(ROOT, header, new Uint8Array(0));
    expect(Buffer.from(empty.payload, 'base64').length).toBe(16);
    expect(openStoreFile(ROOT, empty).length).toBe(0);
    expect(sealStoreFile(ROOT, header, new Uint8Array(5)).nonce).not.toBe(f.nonce);
  });

  it('new scrypt parameters: N = 2^17 unless given, r = 8, p = 1, a fresh 16-byte salt; the bounds message names them all', () => {
    const p = newScryptParams();
    expect(p).toMatchObject({ name: 'scrypt', N: 2 ** 17, r: 8, p: 1 });
    expect(DEFAULT_SCRYPT_N).toBe(2 ** 17);
    expect(Buffer.from(p.salt, 'base64').length).toBe(16);
    expect(newScryptParams(1024)).toMatchObject({ N: 1024 });
    expect(newScryptParams().salt).not.toBe(p.salt);
    expect(Object.keys(p).sort()).toEqual(['N', 'name', 'p', 'r', 'salt']);
    expect(parseStoreFile(JSON.stringify({ ...v2(), kdf: p })).kdf).toEqual(p);
    const bounds = 'outside scrypt N = 2^10 … 2^18 (a power of two), r = 8, p = 1';
    expect(scryptParamsProblem(2 ** 19, 8, 1)).toBe(`N is ${bounds}`);
    expect(scryptParamsProblem(1024, 16, 1)).toBe(`r is ${bounds}`);
    expect(scryptParamsProblem(1024, 8, 0)).toBe(`p is ${bounds}`);
  });

  it('a store id: 22 base64url characters (16 random bytes), a new one each time', () => {
    const a = newStoreId();
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(a, 'base64url').length).toBe(16);
    expect(newStoreId()).not.toBe(a);
  });
});

describe('field names, not only their count', () => {
  it('a field renamed (same count) or another KDF with the scrypt fields is refused', () => {
    const { hwm, ...rest } = v2();
    refused({ ...rest, hwn: hwm }, FIELDS_2);
    refused(
      { ...v2(), kdf: { name: 'pbkdf2', N: 1024, r: 8, p: 1, salt: SALT } },
      'its key-derivation parameters are not ones kmsbox writes',
    );
    const o = JSON.parse(
      encodeHighWaterMark(ROOT, { storeId: STORE_ID, generation: 1, nonce: Buffer.alloc(12).toString('base64'), entries: 0 }),
    );
    const { mac, ...fields } = o as Record<string, unknown>;
    expect(() => decodeHighWaterMark(ROOT, JSON.stringify({ ...fields, tag: mac }))).toThrow('it is not a kmsbox high-water mark');
  });
});
