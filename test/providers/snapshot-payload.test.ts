// The snapshot plaintext of a version-3 and -4 store (src/providers/snapshot-payload.ts): each
// distinct key policy once, in a table, the keys referring to it by index; version 4's binary
// material table. Round trips property-tested; an authenticated snapshot whose index points
// nowhere, or whose table is cut, flipped or lies about its lengths, is a typed error.
import { writeFileSync } from 'node:fs';
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { Kms } from 'kmsbox';
import type { KeyRecord } from '../../src/keys/record.js';
import {
  decodeSnapshot,
  encodeSnapshot,
  MaterialTable,
  type SnapshotPayload,
  SnapshotPayloadError,
  type StoredMaterial,
} from '../../src/providers/snapshot-payload.js';
import { checkValue, sealStoreFile, snapshotLines } from '../../src/providers/store-file.js';
import { rejects } from '../api/helpers.js';
import { decryptStore, headerOf, newStore } from './file-fixtures.js';

const record = (arn: string, policy: string): KeyRecord => ({ arn, policy, description: 'd' }) as unknown as KeyRecord;

const payloads = fc
  .tuple(fc.uniqueArray(fc.string(), { maxLength: 8 }), fc.array(fc.string({ unit: 'grapheme' }), { minLength: 1, maxLength: 3 }))
  .map(([arns, policies]): SnapshotPayload => {
    const keys: Record<string, KeyRecord> = {};
    arns.forEach((arn, i) => {
      keys[arn] = record(arn, policies[i % policies.length]!);
    });
    return {
      state: { keys, aliases: {}, grants: {}, importTokens: {} },
      materials: new Map([['m', { spec: 'SYMMETRIC_DEFAULT', key: 'AAAA' }]]),
    };
  });

describe('version-3 snapshot payload', () => {
  fcTest.prop([payloads])('decodes to what was encoded (any policy text, non-ASCII too), and leaves the records given unchanged', (p) => {
    const before = structuredClone(p);
    const decoded = decodeSnapshot(encodeSnapshot(p, 3), 3);
    expect(p).toEqual(before);
    expect(decoded).toEqual(before);
  });

  it('stores each distinct policy once', () => {
    const policy = 'x'.repeat(1000);
    const keys = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, record(`k${i}`, policy)]));
    const encoded = encodeSnapshot({ state: { keys, aliases: {} }, materials: new Map() }, 3).toString();
    expect(encoded.split(policy)).toHaveLength(2);
    expect(JSON.parse(encoded).policies).toEqual([policy]);
  });

  it.each([
    ['an index past the table', { policies: ['p'], state: { keys: { k: { policy: 1 } } }, materials: [] }],
    ['a negative index', { policies: ['p'], state: { keys: { k: { policy: -1 } } }, materials: [] }],
    ['a fractional index', { policies: ['p', 'q'], state: { keys: { k: { policy: 0.5 } } }, materials: [] }],
    ['a policy text instead of an index', { policies: ['p'], state: { keys: { k: { policy: 'p' } } }, materials: [] }],
    ['no policy table', { state: { keys: { k: { policy: 0 } } }, materials: [] }],
    ['a table of non-strings', { policies: [1], state: { keys: { k: { policy: 0 } } }, materials: [] }],
    ['no keys', { policies: [], state: {}, materials: [] }],
    ['materials as an object', { policies: [], state: { keys: {} }, materials: {} }],
    ['a material that is not [id, spec, key]', { policies: [], state: { keys: {} }, materials: [['m', 'SYMMETRIC_DEFAULT']] }],
  ])('%s: refused', (_, payload) => {
    expect(() => decodeSnapshot(Buffer.from(JSON.stringify(payload)), 3)).toThrow(SnapshotPayloadError);
  });

  it('versions 1 and 2 keep their policies inline', () => {
    const payload = { state: { keys: { k: { policy: 'inline' } } }, materials: { m: { spec: 'SYMMETRIC_DEFAULT', key: 'AAAA' } } };
    expect(decodeSnapshot(Buffer.from(JSON.stringify(payload)), 2)).toEqual({
      state: payload.state,
      materials: new Map(Object.entries(payload.materials)),
    });
  });

  it('a store whose authenticated snapshot refers to a policy not in its table: KMSInternalException, nothing used', async () => {
    const s = newStore();
    await new Kms({ provider: s.open() }).createKey();
    const header = headerOf(s.path);
    const { state, materials } = decryptStore(s.path, s.rootKey);
    const arn = Object.keys(state.keys)[0]!;
    const plain = JSON.stringify({
      policies: [],
      state: { ...state, keys: { [arn]: { ...state.keys[arn], policy: 0 } } },
      materials: Object.entries(materials).map(([id, m]) => [id, m.spec, m.key]),
    });
    const file = sealStoreFile(
      s.rootKey,
      {
        format: 'kmsbox-store',
        version: 3,
        kdf: { name: 'root-key-file' },
        check: checkValue(s.rootKey),
        generation: header.generation + 1,
        storeId: header.storeId!,
        hwm: true,
      },
      Buffer.from(plain),
    );
    writeFileSync(s.path, snapshotLines(file));
    await rejects(() => new Kms({ provider: s.open() }).listKeys(), 'KMSInternalException', /not in the policy table/);
  });
});

const materialEntries = fc.uniqueArray(
  fc.tuple(
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.constantFrom('SYMMETRIC_DEFAULT', 'HMAC_256', 'RSA_2048'),
    fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64')),
  ),
  { selector: ([id]) => id, maxLength: 8 },
);
const v4Payloads = fc.tuple(payloads, materialEntries).map(
  ([p, entries]): SnapshotPayload => ({
    ...p,
    materials: new Map(entries.map(([id, spec, key]) => [id, { spec, key } as StoredMaterial])),
  }),
);
const sorted = (m: Iterable<[string, StoredMaterial]>) => [...m].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
/** Decodes, or throws only SnapshotPayloadError; also reads every material the table says it has. */
function decodeOrTypedError(bytes: Buffer): void {
  try {
    const { materials } = decodeSnapshot(bytes, 4);
    for (const [id, m] of materials) expect(materials.get(id)).toEqual(m);
  } catch (error) {
    expect(error).toBeInstanceOf(SnapshotPayloadError);
  }
}

describe('version-4 snapshot payload (binary, a material table)', () => {
  fcTest.prop([v4Payloads])('decodes to what was encoded: records, and every material by id and in id order', (p) => {
    const before = structuredClone(p);
    const decoded = decodeSnapshot(encodeSnapshot(p, 4), 4);
    expect(p).toEqual(before);
    expect(decoded.state).toEqual(before.state);
    expect([...decoded.materials]).toEqual(sorted(before.materials));
    for (const [id, m] of before.materials) expect(decoded.materials.get(id)).toEqual(m);
    expect(decoded.materials.get('absent\u{10ffff}')).toBeUndefined();
  });

  fcTest.prop([v4Payloads, fc.string({ unit: 'binary', maxLength: 12 })])(
    'changes over the table: set and delete win over it, and iteration shows them',
    (p, id) => {
      const { materials } = decodeSnapshot(encodeSnapshot(p, 4), 4);
      const expected = new Map(p.materials);
      const m = { spec: 'HMAC_512', key: 'AQID' } as StoredMaterial;
      expect(materials.delete(id)).toBe(expected.delete(id));
      expect(materials.get(id)).toBeUndefined();
      expect([...materials]).toEqual(sorted(expected));
      materials.set(id, m);
      expected.set(id, m);
      expect(materials.get(id)).toEqual(m);
      expect(new Map(materials)).toEqual(expected);
    },
  );

  // Each case decodes every prefix (hundreds): fewer cases than the default 100.
  fcTest.prop([v4Payloads], { numRuns: 30 })('cut at every offset: a SnapshotPayloadError (every part has a length or count)', (p) => {
    const bytes = encodeSnapshot(p, 4);
    for (let cut = 0; cut < bytes.length; cut++) expect(() => decodeSnapshot(bytes.subarray(0, cut), 4)).toThrow(SnapshotPayloadError);
  });

  fcTest.prop([v4Payloads, fc.nat(), fc.integer({ min: 0, max: 7 })])(
    'a flipped bit: decoded, or a SnapshotPayloadError; never another exception',
    (p, at, bit) => {
      const bytes = Buffer.from(encodeSnapshot(p, 4));
      bytes[at % bytes.length]! ^= 1 << bit;
      decodeOrTypedError(bytes);
    },
  );

  fcTest.prop([fc.uint8Array({ maxLength: 80 })])('any bytes: decoded, or a SnapshotPayloadError', (bytes) => {
    decodeOrTypedError(Buffer.from(bytes));
  });

  const json = Buffer.from(JSON.stringify({ policies: [], state: { keys: {} } }));
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const plaintext = (table: Buffer, part: Buffer = json) => Buffer.concat([u32(part.length), part, table]);
  const entry = (id: string, key = Buffer.alloc(4, 1)) => {
    const idBytes = Buffer.from(id);
    const head = Buffer.alloc(2);
    head.writeUInt16BE(idBytes.length);
    return Buffer.concat([head, idBytes, Buffer.from([3]), Buffer.from('RSA'), u32(key.length), key]);
  };

  it('a well-formed table by hand decodes', () => {
    const { materials } = decodeSnapshot(plaintext(Buffer.concat([u32(2), entry('a'), entry('b')])), 4);
    expect([...materials]).toEqual([
      ['a', { spec: 'RSA', key: 'AQEBAQ==' }],
      ['b', { spec: 'RSA', key: 'AQEBAQ==' }],
    ]);
  });

  it.each([
    ['a record part longer than the plaintext', Buffer.concat([u32(1000), json, u32(0)])],
    ['no table', plaintext(Buffer.alloc(0))],
    ['a count the bytes cannot hold (no allocation for it)', plaintext(u32(0xffffffff))],
    ['more entries counted than present', plaintext(Buffer.concat([u32(2), entry('a')]))],
    ['bytes after the last entry', plaintext(Buffer.concat([u32(1), entry('a'), Buffer.from([0])]))],
    ['ids out of order', plaintext(Buffer.concat([u32(2), entry('b'), entry('a')]))],
    ['an id twice', plaintext(Buffer.concat([u32(2), entry('a'), entry('a')]))],
    ['a key longer than the table', plaintext(Buffer.concat([u32(1), entry('a').subarray(0, -8), u32(0xfffffff0)]))],
    ['materials in the record part', plaintext(u32(0), Buffer.from(JSON.stringify({ policies: [], state: { keys: {} }, materials: [] })))],
    ['a record part that is not JSON', plaintext(u32(0), Buffer.from('{'))],
  ])('%s: refused', (_, bytes) => {
    expect(() => decodeSnapshot(bytes, 4)).toThrow(SnapshotPayloadError);
  });

  it.each([
    ['an id that is not UTF-8', Buffer.concat([u32(1), Buffer.from([0, 1, 0xff, 0]), u32(0)])],
    ['a cut length field', Buffer.concat([u32(1), Buffer.from([0])])],
    ['a spec past the end', Buffer.concat([u32(1), Buffer.from([0, 0, 9])])],
    ['no spec length after the id', Buffer.concat([u32(1), Buffer.from([0, 1]), Buffer.from('a')])],
    ['a second id past the end', Buffer.concat([u32(2), entry('a'), Buffer.from([0, 9]), Buffer.from('b')])],
    ['no key length after the spec', Buffer.concat([u32(1), Buffer.from([0, 1]), Buffer.from('a'), Buffer.from([3]), Buffer.from('RSA')])],
    ['a key past the end', Buffer.concat([u32(1), Buffer.from([0, 1]), Buffer.from('a'), Buffer.from([0]), u32(5), Buffer.from([1])])],
    ['a count of 2^32 - 1 (nothing allocated for it)', u32(0xffffffff)],
    ['no table at all', Buffer.alloc(0)],
  ])('%s: a malformed material table', (_, table) => {
    expect(() => decodeSnapshot(plaintext(table), 4)).toThrow(
      new SnapshotPayloadError('its contents are not a version-4 key store (a malformed material table)'),
    );
  });

  it('the record part: its length within the plaintext, the table after it', () => {
    const noRecordPart = new SnapshotPayloadError('its contents are not a version-4 key store (no record part)');
    for (const bytes of [Buffer.alloc(0), Buffer.from([0, 0, 0]), Buffer.concat([u32(json.length + 1), json])])
      expect(() => decodeSnapshot(bytes, 4), bytes.toString('hex')).toThrow(noRecordPart);
    // exactly the plaintext: no table after it
    expect(() => decodeSnapshot(Buffer.concat([u32(json.length), json]), 4)).toThrow(
      new SnapshotPayloadError('its contents are not a version-4 key store (a malformed material table)'),
    );
    // an empty record part and an empty table: the table is well formed, the records are not
    expect(() => decodeSnapshot(Buffer.concat([u32(0), u32(0)]), 4)).toThrow(new SnapshotPayloadError('its contents are not a key store'));
    expect([...decodeSnapshot(plaintext(u32(0)), 4).materials]).toEqual([]); // a table of 4 bytes: no materials
    // 4 bytes: a record part of length 0 and no table
    expect(() => decodeSnapshot(u32(0), 4)).toThrow(
      new SnapshotPayloadError('its contents are not a version-4 key store (a malformed material table)'),
    );
  });

  it('the edges of every length field: an empty id, spec and key (the smallest entry), an id of 65,535 bytes, a spec of 255', () => {
    const empty = Buffer.concat([u32(1), Buffer.from([0, 0, 0]), u32(0)]);
    expect([...decodeSnapshot(plaintext(empty), 4).materials]).toEqual([['', { spec: '', key: '' }]]);
    const materials = new Map([
      ['i'.repeat(0xffff), { spec: 'S'.repeat(0xff), key: 'AQID' } as StoredMaterial],
      ['', { spec: 'SYMMETRIC_DEFAULT', key: '' } as StoredMaterial],
    ]);
    const decoded = decodeSnapshot(encodeSnapshot({ state: { keys: {}, aliases: {} }, materials }, 4), 4).materials;
    expect(new Map(decoded)).toEqual(materials);
    const spec = new Map([['m', { spec: 'S'.repeat(0x100), key: 'AAAA' } as StoredMaterial]]);
    expect(() => encodeSnapshot({ state: { keys: {}, aliases: {} }, materials: spec }, 4)).toThrow(SnapshotPayloadError);
  });

  it('a lookup between, before and after the ids finds nothing', () => {
    const { materials } = decodeSnapshot(plaintext(Buffer.concat([u32(3), entry('b'), entry('d'), entry('f')])), 4);
    for (const id of ['a', 'c', 'e', 'g', 'bb', '']) expect(materials.get(id), id).toBeUndefined();
    for (const id of ['b', 'd', 'f']) expect(materials.get(id), id).toEqual({ spec: 'RSA', key: 'AQEBAQ==' });
    expect(materials.delete('c')).toBe(false);
    expect(materials.delete('d')).toBe(true);
    expect([...materials].map(([id]) => id)).toEqual(['b', 'f']);
  });

  it('an id too long for its length field is refused when writing, not cut', () => {
    const materials = new Map([['x'.repeat(0x10000), { spec: 'SYMMETRIC_DEFAULT', key: 'AAAA' } as StoredMaterial]]);
    expect(() => encodeSnapshot({ state: { keys: {}, aliases: {} }, materials }, 4)).toThrow(SnapshotPayloadError);
  });

  it('the table is a copy: wiping the plaintext after decoding keeps every material', () => {
    const bytes = plaintext(Buffer.concat([u32(1), entry('a')]));
    const { materials } = decodeSnapshot(bytes, 4);
    bytes.fill(0);
    expect(materials.get('a')).toEqual({ spec: 'RSA', key: 'AQEBAQ==' });
  });

  it('a material deleted or replaced is zeroed in the table at once (destroyed material does not stay in the process)', () => {
    const keyA = Buffer.alloc(4, 0xa1);
    const keyB = Buffer.alloc(4, 0xb2);
    const table = Buffer.concat([u32(2), entry('a', keyA), entry('b', keyB)]);
    const materials = new MaterialTable(table); // the table keeps these bytes
    expect(materials.delete('a')).toBe(true);
    expect(table.includes(keyA)).toBe(false);
    expect(table.includes(keyB)).toBe(true);
    materials.set('b', { spec: 'SYMMETRIC_DEFAULT', key: 'AAAA' });
    expect(table.includes(keyB)).toBe(false);
    expect(materials.get('b')).toEqual({ spec: 'SYMMETRIC_DEFAULT', key: 'AAAA' });
    expect(materials.get('a')).toBeUndefined();
    expect([...materials].map(([id]) => id)).toEqual(['b']);
  });
});
