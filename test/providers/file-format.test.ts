// The FileProvider's store format: version-1 stores (written before store ids, committed under
// fixtures/v1 by the FileProvider of commit 7ee7fc7) still open and migrate on the next write;
// the scrypt cost a file asks for is bounded and checked before scrypt runs; the parser accepts
// exactly the fields kmsbox writes (property-tested).
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { Kms } from 'kmsbox';
import { FileProvider, type FileProviderOptions } from 'kmsbox/node';
import {
  decodeHighWaterMark,
  encodeHighWaterMark,
  parseStoreFile,
  scryptParamsProblem,
  StoreFileError,
} from '../../src/providers/store-file.js';
import { headerOf, journalLines, newStore, tempDir } from './file-fixtures.js';
import { rejects } from '../api/helpers.js';

const FIXTURES = new URL('./fixtures/v1/', import.meta.url).pathname;
const fixture = JSON.parse(readFileSync(join(FIXTURES, 'v1-stores.json'), 'utf8')) as Record<string, { keyId: string; ciphertext: string }>;

/** A copy of the version-1 fixtures in a temp dir, and how to open each store. */
function v1Stores() {
  const dir = tempDir();
  cpSync(FIXTURES, dir, { recursive: true });
  return [
    { name: 'v1-rootkey.kmsbox', path: join(dir, 'v1-rootkey.kmsbox'), options: { rootKeyFile: join(dir, 'v1-root.key') } },
    { name: 'v1-passphrase.kmsbox', path: join(dir, 'v1-passphrase.kmsbox'), options: { passphrase: 'fixture passphrase' } },
  ];
}

describe('FileProvider: version-1 stores (before store ids)', () => {
  it.each(v1Stores())(
    '$name opens, decrypts what it held, and becomes version 4 (snapshot and journal) with a store id on the next write',
    async ({ name, path, options }) => {
      const original = readFileSync(path);
      expect(headerOf(path)).toMatchObject({ version: 1 });
      expect(headerOf(path).storeId).toBeUndefined();
      const open = (extra: Partial<FileProviderOptions> = {}) => new FileProvider({ path, ...options, ...extra } as FileProviderOptions);
      const provider = open();
      const kms = new Kms({ provider });
      const { keyId, ciphertext } = fixture[name]!;
      expect((await kms.describeKey({ KeyId: 'alias/v1-fixture' })).KeyMetadata!.KeyId).toBe(keyId);
      const { Plaintext } = await kms.decrypt({ CiphertextBlob: Buffer.from(ciphertext, 'base64') });
      expect(new TextDecoder().decode(Plaintext)).toBe('written by format version 1');
      expect(readFileSync(path).equals(original)).toBe(true); // reading migrates nothing

      const g = headerOf(path).generation;
      await provider.createMaterial('SYMMETRIC_DEFAULT'); // one write
      const migrated = headerOf(path);
      expect(migrated).toMatchObject({ version: 4, generation: g + 1, hwm: false }); // no mark existed before this write
      expect(migrated.storeId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(journalLines(path)).toEqual([]); // the whole store, migrated, as one snapshot
      expect(readFileSync(`${path}.bak`).equals(original)).toBe(true);
      expect(JSON.parse(readFileSync(`${path}.hwm`, 'utf8'))).toMatchObject({ storeId: migrated.storeId, generation: g + 1, entries: 0 });
      await kms.createKey({ Description: 'after migration' });
      // two entries appended (material, key); the snapshot and the id never change
      expect(headerOf(path)).toMatchObject({ version: 4, generation: g + 1, storeId: migrated.storeId, hwm: false });
      expect(journalLines(path).length).toBe(2);
      expect(JSON.parse(readFileSync(`${path}.hwm`, 'utf8'))).toMatchObject({ generation: g + 1, entries: 2 });

      const fresh = new Kms({ provider: open() });
      expect((await fresh.listKeys()).Keys!.length).toBe(2);
      expect(new TextDecoder().decode((await fresh.decrypt({ CiphertextBlob: Buffer.from(ciphertext, 'base64') })).Plaintext)).toBe(
        'written by format version 1',
      );

      // the version-1 copy put back: refused by the running process and, through the mark, by a new one
      writeFileSync(path, original);
      await rejects(
        () => kms.listKeys(),
        'KMSInternalException',
        `Key store ${path} refused: it was replaced by an older copy from before it had a store id. Nothing from it was used and nothing was written over it. If you restored an older copy on purpose, call resetHighWaterMark() on a FileProvider for it.`,
      );
      await rejects(
        () => new Kms({ provider: open() }).listKeys(),
        'KMSInternalException',
        `Key store ${path} refused: it was replaced by an older copy from before it had a store id (see ${path}.hwm). Nothing from it was used and nothing was written over it. If you restored an older copy on purpose, call resetHighWaterMark() on a FileProvider for it.`,
      );
      expect(readFileSync(path).equals(original)).toBe(true);
      // without a mark a new process cannot tell (the README's threat model says so)
      expect((await new Kms({ provider: open({ highWaterMark: false }) }).listKeys()).Keys!.length).toBe(1);
    },
  );
});

/** A real passphrase store (N = 2^10) with its kdf replaced: what an attacker who can write the file can do. */
function craftedStore(kdf: unknown): string {
  const dir = tempDir();
  cpSync(FIXTURES, dir, { recursive: true });
  const path = join(dir, 'v1-passphrase.kmsbox');
  writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), kdf }));
  return path;
}

const SALT = Buffer.alloc(16, 7).toString('base64');
const BOUNDS = 'scrypt N = 2^10 … 2^18 (a power of two), r = 8, p = 1';

describe('FileProvider: the KDF cost a file asks for is bounded', () => {
  it('a file asking for more memory or time than kmsbox writes is KMSInternalException before scrypt runs', async () => {
    // First parameters that kmsbox before the bound handed to scrypt, which failed fast on them (a raw
    // error); after them ones it would have spent 128 GiB or hours on.
    const cases: Array<[unknown, string]> = [
      [{ name: 'scrypt', N: 2 ** 20, r: 1, p: 1, salt: SALT }, `its key-derivation cost is refused (N is outside ${BOUNDS})`],
      [{ name: 'scrypt', N: 2 ** 30, r: 8, p: 1, salt: SALT }, `its key-derivation cost is refused (N is outside ${BOUNDS})`],
      [{ name: 'scrypt', N: 2 ** 10, r: 8, p: 2 ** 24, salt: SALT }, `its key-derivation cost is refused (p is outside ${BOUNDS})`],
      [{ name: 'scrypt', N: 2 ** 10, r: 2 ** 16, p: 1, salt: SALT }, `its key-derivation cost is refused (r is outside ${BOUNDS})`],
      [{ name: 'scrypt', N: 2 ** 19, r: 8, p: 1, salt: SALT }, `its key-derivation cost is refused (N is outside ${BOUNDS})`],
      [{ name: 'scrypt', N: 2 ** 9, r: 8, p: 1, salt: SALT }, `its key-derivation cost is refused (N is outside ${BOUNDS})`],
      [{ name: 'scrypt', N: 3000, r: 8, p: 1, salt: SALT }, `its key-derivation cost is refused (N is outside ${BOUNDS})`],
      [{ name: 'scrypt', N: '1024', r: 8, p: 1, salt: SALT }, `its key-derivation cost is refused (N is outside ${BOUNDS})`],
      [{ name: 'scrypt', N: 2 ** 10, r: 8, p: 1, salt: 'AAAA' }, 'its scrypt salt is not 16 bytes of base64'],
      [{ name: 'scrypt', N: 2 ** 10, r: 8, p: 1, salt: SALT, maxmem: 2 ** 40 }, 'its key-derivation parameters are not ones kmsbox writes'],
      [{ name: 'argon2id', t: 2 ** 30 }, 'its key-derivation parameters are not ones kmsbox writes'],
      [null, 'its key-derivation parameters are missing'],
    ];
    for (const [kdf, reason] of cases) {
      const path = craftedStore(kdf);
      const kms = new Kms({ provider: new FileProvider({ path, passphrase: 'fixture passphrase' }) });
      await rejects(() => kms.listKeys(), 'KMSInternalException', `Key store ${path} cannot be used: ${reason}.`);
    }
  });

  it('the same bound applies to the options of a new store (ValidationException), so kmsbox never writes a store it refuses', () => {
    const path = join(tempDir(), 's');
    for (const [scrypt, what] of [
      [{ N: 2 ** 19 }, 'N'],
      [{ N: 2 ** 9 }, 'N'],
      [{ N: 1000 }, 'N'],
      [{ r: 16 }, 'r'],
      [{ p: 2 }, 'p'],
    ] as const) {
      expect(() => new FileProvider({ path, passphrase: 'x', scrypt })).toThrow(`FileProvider scrypt: ${what} is outside ${BOUNDS}.`);
    }
    for (const N of [2 ** 10, 2 ** 18]) expect(() => new FileProvider({ path, passphrase: 'x', scrypt: { N, r: 8, p: 1 } })).not.toThrow();
    expect(() => new FileProvider({ path, passphrase: 'x', highWaterMark: '' })).toThrow(
      'FileProvider highWaterMark must be a path or false.',
    );
    expect(() => new FileProvider({ path, passphrase: 'x', highWaterMark: path })).toThrow(
      'FileProvider highWaterMark must not be the store file itself.',
    );
    expect(new FileProvider({ path, passphrase: 'x' }).highWaterMarkPath).toBe(`${path}.hwm`);
    expect(new FileProvider({ path, passphrase: 'x', highWaterMark: false }).highWaterMarkPath).toBeUndefined();
  });

  fcTest.prop([fc.integer({ min: -4, max: 2 ** 31 }), fc.integer({ min: -4, max: 64 }), fc.integer({ min: -4, max: 64 })])(
    'scryptParamsProblem accepts exactly N = 2^10..2^18, r = 8, p = 1',
    (N, r, p) => {
      const allowed = [10, 11, 12, 13, 14, 15, 16, 17, 18].some((k) => N === 2 ** k) && r === 8 && p === 1;
      expect(scryptParamsProblem(N, r, p) === undefined).toBe(allowed);
    },
  );
});

const V3_FIXTURES = new URL('./fixtures/v3/', import.meta.url).pathname;
const v3Fixture = JSON.parse(readFileSync(join(V3_FIXTURES, 'stores.json'), 'utf8')) as { keyIds: string[]; ciphertext: string };

describe('FileProvider: version-2 and version-3 stores (fixtures/v3, written by the format-3 kmsbox)', () => {
  function copy(name: string) {
    const dir = tempDir();
    cpSync(V3_FIXTURES, dir, { recursive: true });
    const path = join(dir, name);
    return { path, open: () => new FileProvider({ path, rootKeyFile: join(dir, 'root.key') }) };
  }
  async function holdsTheFixture(kms: Kms): Promise<void> {
    expect((await kms.listKeys()).Keys!.map((k) => k.KeyId)).toEqual(expect.arrayContaining(v3Fixture.keyIds));
    expect((await kms.describeKey({ KeyId: 'alias/fixture' })).KeyMetadata!.KeyId).toBe(v3Fixture.keyIds[0]);
    expect((await kms.listResourceTags({ KeyId: v3Fixture.keyIds[1]! })).Tags).toEqual([{ TagKey: 'fixture', TagValue: 'v3' }]);
    const { Plaintext } = await kms.decrypt({ CiphertextBlob: Buffer.from(v3Fixture.ciphertext, 'base64') });
    expect(new TextDecoder().decode(Plaintext)).toBe('written by an earlier format');
  }

  it('version 3 (snapshot and a journal of 4 entries, its mark) opens as it is; a write appends to it; its compaction writes version 4', async () => {
    const { path, open } = copy('v3-rootkey.kmsbox');
    const original = readFileSync(path);
    const kms = new Kms({ provider: open() });
    await holdsTheFixture(kms);
    expect((await kms.listKeys()).Keys).toHaveLength(2);
    expect(readFileSync(path).equals(original)).toBe(true); // reading changes nothing
    expect(journalLines(path)).toHaveLength(4);

    await kms.createAlias({ AliasName: 'alias/after', TargetKeyId: v3Fixture.keyIds[1]! });
    expect(headerOf(path)).toMatchObject({ version: 3, generation: 0 }); // appended: the same snapshot
    expect(journalLines(path)).toHaveLength(5);
    await holdsTheFixture(new Kms({ provider: open() }));

    await open().compact();
    expect(headerOf(path)).toMatchObject({ version: 4, generation: 1 });
    expect(journalLines(path)).toEqual([]);
    const fresh = new Kms({ provider: open() });
    await holdsTheFixture(fresh);
    expect((await fresh.describeKey({ KeyId: 'alias/after' })).KeyMetadata!.KeyId).toBe(v3Fixture.keyIds[1]);
    await holdsTheFixture(kms); // the first provider follows the compaction
  });

  it('version 2 (one sealed object, no journal) opens as it is and becomes version 4 on its first write', async () => {
    const { path, open } = copy('v2-rootkey.kmsbox');
    const kms = new Kms({ provider: open() });
    await holdsTheFixture(kms);
    expect((await kms.listKeys()).Keys).toHaveLength(2);
    expect(headerOf(path)).toMatchObject({ version: 2, generation: 7 });
    await kms.createKey({ Description: 'after migration' });
    expect(headerOf(path)).toMatchObject({ version: 4, generation: 8 });
    const fresh = new Kms({ provider: open() });
    await holdsTheFixture(fresh);
    expect((await fresh.listKeys()).Keys).toHaveLength(3);
  });

  it('a store of a later version (5) is refused as such, and nothing is written over it', async () => {
    const { path, open } = copy('v3-rootkey.kmsbox');
    const lines = readFileSync(path, 'utf8').split('\n');
    writeFileSync(path, [JSON.stringify({ ...JSON.parse(lines[0]!), version: 5 }), ...lines.slice(1)].join('\n'));
    const before = readFileSync(path);
    for (const call of [(k: Kms) => k.listKeys(), (k: Kms) => k.createKey()])
      await rejects(
        () => call(new Kms({ provider: open() })),
        'KMSInternalException',
        `Key store ${path} cannot be used: it is a version-5 key store, written by a later kmsbox (this one reads versions 1 to 4).`,
      );
    expect(readFileSync(path).equals(before)).toBe(true);
  });
});

describe('parseStoreFile', () => {
  const base = JSON.parse(readFileSync(join(FIXTURES, 'v1-rootkey.kmsbox'), 'utf8')) as Record<string, unknown>;
  const v2 = { ...base, version: 2, storeId: 'AAAAAAAAAAAAAAAAAAAAAA', hwm: false };

  it('accepts the fields of versions 1 to 4, nothing missing and nothing extra', () => {
    expect(parseStoreFile(JSON.stringify(base)).version).toBe(1);
    expect(parseStoreFile(JSON.stringify(v2)).storeId).toBe('AAAAAAAAAAAAAAAAAAAAAA');
    expect(parseStoreFile(JSON.stringify({ ...v2, version: 3 })).version).toBe(3);
    expect(parseStoreFile(JSON.stringify({ ...v2, version: 4 })).version).toBe(4);
    for (const [what, file] of Object.entries({
      'v1 with a store id': { ...base, storeId: 'AAAAAAAAAAAAAAAAAAAAAA' },
      'v2 without one': { ...base, version: 2, hwm: false },
      'v2 with a short id': { ...v2, storeId: 'AAAA' },
      'v2 hwm not boolean': { ...v2, hwm: 'yes' },
      'version 5': { ...v2, version: 5 },
      'v3 without an id': { ...base, version: 3, hwm: false },
      'negative generation': { ...base, generation: -1 },
      'fractional generation': { ...base, generation: 1.5 },
      'short nonce': { ...base, nonce: 'AAAA' },
      'check not 32 bytes': { ...base, check: 'AAAA' },
      'payload not base64': { ...base, payload: '***' },
      'extra field': { ...base, extra: 1 },
    })) {
      expect(() => parseStoreFile(JSON.stringify(file)), what).toThrow(StoreFileError);
    }
  });

  fcTest.prop([fc.jsonValue()])('anything else is a StoreFileError, never another exception', (value) => {
    try {
      parseStoreFile(JSON.stringify(value));
    } catch (error) {
      expect(error).toBeInstanceOf(StoreFileError);
    }
  });

  it('a version-2 file missing any one field is refused', () => {
    for (const field of Object.keys(v2)) {
      const file: Record<string, unknown> = { ...v2 };
      delete file[field];
      expect(() => parseStoreFile(JSON.stringify(file)), field).toThrow(StoreFileError);
    }
  });
});

describe('what the root key authenticates in a version-4 header', () => {
  async function v3Store() {
    const store = newStore();
    const kms = new Kms({ provider: store.open() });
    await kms.createKey();
    await kms.createKey();
    await store.open().resetHighWaterMark(); // a snapshot written with its mark on disk (and a .bak)
    const file = headerOf(store.path) as unknown as Record<string, unknown>;
    expect(file).toMatchObject({ version: 4, hwm: true });
    return { store, file };
  }

  it.each([
    ['the mark flag cleared (to dodge the missing-mark refusal)', (f: Record<string, unknown>) => ({ ...f, hwm: false })],
    ['another store id', (f: Record<string, unknown>) => ({ ...f, storeId: 'BBBBBBBBBBBBBBBBBBBBBB' })],
    [
      'relabelled as version 1 (no id, no flag)',
      (f: Record<string, unknown>) => {
        const { storeId: _id, hwm: _hwm, ...rest } = f;
        return { ...rest, version: 1 };
      },
    ],
    ['relabelled as version 2 (a store without a journal)', (f: Record<string, unknown>) => ({ ...f, version: 2 })],
    ['relabelled as version 3 (a snapshot in JSON)', (f: Record<string, unknown>) => ({ ...f, version: 3 })],
  ])('%s: fails authentication, with or without the mark', async (_, edit) => {
    const { store, file } = await v3Store();
    const changed = edit(file) as Record<string, unknown>;
    const payload = readFileSync(store.path, 'utf8').split('\n')[1]!;
    // versions 3 and 4: header line and payload line; versions 1 and 2: one JSON object with the payload, no line end
    const edited = (changed.version as number) >= 3 ? `${JSON.stringify(changed)}\n${payload}\n` : JSON.stringify({ ...changed, payload });
    for (const withMark of [true, false]) {
      writeFileSync(store.path, edited);
      if (!withMark) rmSync(`${store.path}.hwm`, { force: true });
      await rejects(
        () => new Kms({ provider: store.open() }).listKeys(),
        'KMSInternalException',
        `Key store ${store.path} cannot be used: its contents fail authentication (damaged or edited); the previous generation is in ${store.path}.bak.`,
      );
    }
  });
});

describe('high-water mark encoding', () => {
  const key = Buffer.alloc(32, 1);
  const mark = { storeId: 'AAAAAAAAAAAAAAAAAAAAAA', generation: 7, nonce: Buffer.alloc(12, 2).toString('base64'), entries: 0 };
  const markV2 = { ...mark, entries: 5, head: Buffer.alloc(16, 4).toString('base64') };

  it('version 2 (with the journal position) round-trips; an edited entry count or chain head fails authentication', () => {
    const text = encodeHighWaterMark(key, markV2);
    expect(JSON.parse(text)).toMatchObject({ version: 2, entries: 5 });
    expect(decodeHighWaterMark(key, text)).toEqual(markV2);
    const o = JSON.parse(text) as Record<string, unknown>;
    for (const edited of [{ entries: 4 }, { entries: 6 }, { head: Buffer.alloc(16, 5).toString('base64') }, { version: 1 }]) {
      expect(() => decodeHighWaterMark(key, JSON.stringify({ ...o, ...edited })), JSON.stringify(edited)).toThrow(
        /fails authentication|not a kmsbox high-water mark/,
      );
    }
    for (const bad of [
      { ...o, entries: -1 },
      { ...o, head: 'AAAA' },
      { ...o, entries: '5' },
    ]) {
      expect(() => decodeHighWaterMark(key, JSON.stringify(bad)), JSON.stringify(bad)).toThrow('it is not a kmsbox high-water mark');
    }
  });

  it('round-trips under the root key; another key, or any edited field, fails authentication', () => {
    const text = encodeHighWaterMark(key, mark);
    expect(decodeHighWaterMark(key, text)).toEqual(mark);
    expect(() => decodeHighWaterMark(Buffer.alloc(32, 3), text)).toThrow(
      "it fails authentication under this store's root key (edited, or another store's)",
    );
    const o = JSON.parse(text) as Record<string, unknown>;
    for (const edited of [
      { generation: 8 },
      { generation: 6 },
      { storeId: 'BAAAAAAAAAAAAAAAAAAAAA' },
      { nonce: Buffer.alloc(12, 9).toString('base64') },
    ]) {
      expect(() => decodeHighWaterMark(key, JSON.stringify({ ...o, ...edited })), JSON.stringify(edited)).toThrow('fails authentication');
    }
  });

  it('anything but the exact fields is not a mark', () => {
    const o = JSON.parse(encodeHighWaterMark(key, mark)) as Record<string, unknown>;
    const notAMark = 'it is not a kmsbox high-water mark';
    for (const bad of [
      { ...o, extra: 1 },
      { ...o, format: 'kmsbox-store' },
      { ...o, version: 2 },
      { ...o, storeId: 'short' },
      { ...o, generation: -1 },
      { ...o, generation: '7' },
      { ...o, nonce: 'AAAA' },
      { ...o, mac: 'AAAA' },
      [o],
      null,
    ]) {
      expect(() => decodeHighWaterMark(key, JSON.stringify(bad)), JSON.stringify(bad)).toThrow(notAMark);
    }
    expect(() => decodeHighWaterMark(key, '{not json')).toThrow(notAMark);
  });
});
