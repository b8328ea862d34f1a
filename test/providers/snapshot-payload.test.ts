// The snapshot plaintext of a version-3 store (src/providers/snapshot-payload.ts): each distinct
// key policy once, in a table, the keys referring to it by index. Round trip property-tested; an
// authenticated snapshot whose index points nowhere is a typed error, not a key without policy.
import { writeFileSync } from 'node:fs';
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { Kms } from 'kmsbox';
import type { KeyRecord } from '../../src/keys/record.js';
import { decodeSnapshot, encodeSnapshot, type SnapshotPayload, SnapshotPayloadError } from '../../src/providers/snapshot-payload.js';
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
    const decoded = decodeSnapshot(encodeSnapshot(p), 3);
    expect(p).toEqual(before);
    expect(decoded).toEqual(before);
  });

  it('stores each distinct policy once', () => {
    const policy = 'x'.repeat(1000);
    const keys = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, record(`k${i}`, policy)]));
    const encoded = encodeSnapshot({ state: { keys, aliases: {} }, materials: new Map() }).toString();
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
