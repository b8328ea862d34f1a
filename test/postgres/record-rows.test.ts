// The shape check behind the MAC (src/providers/postgres/record-rows.ts): whatever text a row
// holds, reading it gives a record of its collection filed under its own id, or KMSInternalException.
import { fc, test } from '@fast-check/vitest';
import { KMSInternalException } from 'kmsbox';
import { expect } from 'vitest';
import { changeToRow, rowToChange } from '../../src/providers/postgres/record-rows.js';

const collections = fc.constantFrom('keys', 'aliases', 'grants', 'importTokens', 'material', 'users');
const json = fc.oneof(
  fc.json(),
  fc.string(),
  fc.jsonValue().map((v) => JSON.stringify({ arn: 'a', grantId: 'a', v })),
);

test.prop([collections, fc.constantFrom('a', 'b'), fc.option(json, { nil: null })])(
  'any row text: a change or KMSInternalException, nothing else',
  (collection, id, value) => {
    let change: ReturnType<typeof rowToChange>;
    try {
      change = rowToChange(collection, id, value);
    } catch (error) {
      expect(error).toBeInstanceOf(KMSInternalException);
      return;
    }
    expect(change.collection).toBe(collection);
    expect(change.id).toBe(id);
    if (value === null) expect(change.value).toBeUndefined();
  },
);

test('a record round-trips through its row; one without a field every operation reads does not', () => {
  const alias = { aliasName: 'alias/a', arn: 'arn:alias', targetKeyId: 'k', createdAt: 1, updatedAt: 2 };
  const row = changeToRow({ collection: 'aliases', id: 'arn:alias', value: alias });
  expect(rowToChange(row.collection, row.id, row.value)).toEqual({ collection: 'aliases', id: 'arn:alias', value: alias });
  expect(rowToChange('aliases', 'arn:alias', null)).toEqual({ collection: 'aliases', id: 'arn:alias', value: undefined });
  for (const field of Object.keys(alias).filter((f) => f !== 'arn')) {
    const { [field as keyof typeof alias]: _, ...rest } = alias;
    expect(() => rowToChange('aliases', 'arn:alias', JSON.stringify(rest)), field).toThrow(/is not a record kmsbox writes/);
  }
  expect(() => rowToChange('aliases', 'arn:other', row.value)).toThrow(/filed under another id/);
});
