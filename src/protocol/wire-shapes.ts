/**
 * What the awsJson1_1 wire form changes about a member (https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html; docs/aws-behaviour.md#wire-protocol): blobs travel as base64
 * strings and timestamps as epoch seconds. The member names of each kind, for both directions,
 * are collected from the operation table (api/operations.ts); string maps (encryption contexts)
 * are never descended into, since their keys are user data.
 */
import { type Kind, OPERATION_NAMES, operationSpec, UNIMPLEMENTED_MEMBER_KINDS, UNIMPLEMENTED_OPERATIONS } from '../api/operations.js';

/** Every member name of the table, nested ones included, by wire kind. */
function membersByKind(): Map<'blob' | 'timestamp' | 'map', Set<string>> {
  const out = new Map([
    ['blob' as const, new Set<string>()],
    ['timestamp' as const, new Set<string>()],
    ['map' as const, new Set<string>()],
  ]);
  const visit = (name: string, kind: Kind): void => {
    if (kind === 'blob' || kind === 'timestamp' || kind === 'map') out.get(kind)?.add(name);
    else if (typeof kind === 'string') return;
    else if ('list' in kind) visit(name, kind.list);
    else for (const [member, m] of Object.entries(kind.members)) visit(member, m.kind);
  };
  for (const operation of OPERATION_NAMES) {
    const { request, response } = operationSpec(operation);
    for (const [name, m] of [...Object.entries(request), ...Object.entries(response)]) visit(name, m.kind);
  }
  for (const [name, kind] of Object.entries(UNIMPLEMENTED_MEMBER_KINDS)) visit(name, kind);
  return out;
}
const BY_KIND = membersByKind();

export const BLOB_MEMBERS: ReadonlySet<string> = BY_KIND.get('blob') ?? new Set();
export const TIMESTAMP_MEMBERS: ReadonlySet<string> = BY_KIND.get('timestamp') ?? new Set();
/** Members that are string → string maps: their keys are user data, not member names. */
export const MAP_MEMBERS: ReadonlySet<string> = BY_KIND.get('map') ?? new Set();

/** Every AWS KMS operation name (https://docs.aws.amazon.com/kms/latest/APIReference/API_Operations.html): an unknown target is UnknownOperationException, a known but unimplemented one UnsupportedOperationException. */
export const KMS_OPERATIONS: ReadonlySet<string> = new Set([...OPERATION_NAMES, ...UNIMPLEMENTED_OPERATIONS]);
