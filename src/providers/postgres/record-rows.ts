/**
 * Records as rows: each record is stored as JSON text, and whatever comes back from the database
 * is checked before the Kms sees it (after its MAC: root-key.ts), in depth. The database is not trusted to hold well-formed rows (a hand
 * edit, a bad restore, another program's write): a row that is not JSON, not a record of its
 * collection, or filed under another id than its own is refused with a KMSInternalException
 * naming the row, never handed on to fail somewhere as a TypeError.
 */
import { KMSInternalException } from '../../errors.js';
import { COLLECTIONS, type Collection, type RecordChange } from '../records.js';

/** The change-log collection that marks material destroyed or replaced (not a record collection). */
export const MATERIAL_CHANGE = 'material';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The fields every operation reads without checking, and the field that names the record. */
const SHAPES: Record<Collection, { readonly idField: string; readonly check: (r: Record<string, unknown>) => boolean }> = {
  keys: {
    idField: 'arn',
    check: (r) =>
      isString(r.keyId) &&
      isString(r.accountId) &&
      isString(r.region) &&
      isNumber(r.createdAt) &&
      isString(r.keySpec) &&
      isString(r.keyUsage) &&
      isString(r.origin) &&
      typeof r.multiRegion === 'boolean' &&
      isString(r.description) &&
      isString(r.state) &&
      isString(r.policy) &&
      Array.isArray(r.tags) &&
      r.tags.every((t) => isObject(t) && isString(t.TagKey) && isString(t.TagValue)) &&
      Array.isArray(r.materials) &&
      r.materials.every((m) => isObject(m) && isString(m.id) && isNumber(m.createdAt)) &&
      isObject(r.rotation) &&
      typeof r.rotation.enabled === 'boolean' &&
      isNumber(r.rotation.onDemandCount),
  },
  aliases: {
    idField: 'arn',
    check: (r) => isString(r.aliasName) && isString(r.targetKeyId) && isNumber(r.createdAt) && isNumber(r.updatedAt),
  },
  grants: {
    idField: 'grantId',
    check: (r) =>
      isString(r.keyArn) &&
      isString(r.granteePrincipal) &&
      isString(r.issuingAccount) &&
      Array.isArray(r.operations) &&
      r.operations.every(isString) &&
      isNumber(r.createdAt),
  },
  importTokens: {
    idField: '',
    check: (r) =>
      isString(r.keyArn) &&
      isString(r.wrappingMaterialId) &&
      isString(r.wrappingAlgorithm) &&
      isString(r.wrappingKeySpec) &&
      isNumber(r.validTo),
  },
};

const bad = (collection: string, id: string, why: string): KMSInternalException =>
  new KMSInternalException({
    message: `The PostgreSQL store cannot be used: its ${collection} row ${JSON.stringify(id.slice(0, 200))} ${why}.`,
  });

/** A row whose MAC does not match: edited or written outside kmsbox, or another store's. */
export function notAuthentic(collection: string, id: string): KMSInternalException {
  return bad(collection, id, "is not authentic (changed outside kmsbox, or not this store's)");
}

/** A row read back as a change: `value` null is a deletion (change log only). */
export function rowToChange(collection: string, id: string, value: string | null): RecordChange {
  if (!(COLLECTIONS as readonly string[]).includes(collection)) throw bad(collection, id, 'is in no record collection kmsbox knows');
  const c = collection as Collection;
  if (value === null) return { collection: c, id, value: undefined } as RecordChange;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw bad(collection, id, 'is not JSON');
  }
  const shape = SHAPES[c];
  if (!isObject(parsed) || !shape.check(parsed)) throw bad(collection, id, 'is not a record kmsbox writes');
  if (shape.idField !== '' && parsed[shape.idField] !== id)
    throw bad(collection, id, `is filed under another id than its ${shape.idField}`);
  return { collection: c, id, value: parsed } as unknown as RecordChange;
}

/** A change as the row to write: its value as JSON text (null: delete). Serialized now: values are live records. */
export function changeToRow(change: RecordChange): { collection: string; id: string; value: string | null } {
  return { collection: change.collection, id: change.id, value: change.value === undefined ? null : JSON.stringify(change.value) };
}
