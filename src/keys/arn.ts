/**
 * Key ids, key ARNs, alias names and alias ARNs (`KeyId` in
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html): parsing the four forms a
 * `KeyId` may take, building ARNs, and the 16-byte binary form blobs carry.
 */
import { publicRandomBytes, randomUuid } from '../crypto/random.js';
import { hex16, toHex } from '../crypto/bytes.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MRK = /^mrk-[0-9a-f]{32}$/;
const ARN = /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc):kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/;

export type KeyRef =
  | { readonly kind: 'key'; readonly keyId: string; readonly partition?: string; readonly region?: string; readonly accountId?: string }
  | {
      readonly kind: 'alias';
      readonly aliasName: string;
      readonly partition?: string;
      readonly region?: string;
      readonly accountId?: string;
    };

export function isKeyId(value: string): boolean {
  return UUID.test(value) || MRK.test(value);
}

/** Parses any of the four KeyId forms; `undefined` when the value is none of them. */
export function parseKeyRef(value: string): KeyRef | undefined {
  if (isKeyId(value)) return { kind: 'key', keyId: value };
  if (value.startsWith('alias/')) return value.length > 6 ? { kind: 'alias', aliasName: value } : undefined;
  const m = ARN.exec(value);
  if (!m) return undefined;
  const [, partition, region, accountId, type, rest] = m as unknown as [string, string, string, string, string, string];
  if (type === 'alias') return { kind: 'alias', aliasName: `alias/${rest}`, partition, region, accountId };
  return isKeyId(rest) ? { kind: 'key', keyId: rest, partition, region, accountId } : undefined;
}

/** A region name as AWS writes them: us-east-1, us-gov-west-1, cn-north-1… */
export const REGION_NAME = /^([a-z]+-){2,3}\d+$/;

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export function keyArn(region: string, accountId: string, keyId: string): string {
  return `arn:${partitionOf(region)}:kms:${region}:${accountId}:key/${keyId}`;
}

/** `alias/x` → `arn:aws:kms:<region>:<account>:alias/x`. */
export function aliasArn(region: string, accountId: string, aliasName: string): string {
  return `arn:${partitionOf(region)}:kms:${region}:${accountId}:${aliasName}`;
}

export function newKeyId(multiRegion: boolean): string {
  return multiRegion ? `mrk-${toHex(publicRandomBytes(16))}` : randomUuid();
}

/** A new KeyMaterialId: 64 lowercase hex characters, as AWS reports them. */
export function newMaterialId(): string {
  return toHex(publicRandomBytes(32));
}

// Binary form for blobs: one byte for the form (0 = UUID, 1 = mrk-), then 16 bytes.
export const KEY_ID_BYTES = 17;

export function encodeKeyId(keyId: string, out: Uint8Array, offset: number): void {
  const hex = keyId.startsWith('mrk-') ? keyId.slice(4) : keyId.replaceAll('-', '');
  out[offset] = keyId.startsWith('mrk-') ? 1 : 0;
  for (let i = 0; i < 16; i++) out[offset + 1 + i] = (nibble(hex.charCodeAt(2 * i)) << 4) | nibble(hex.charCodeAt(2 * i + 1));
}

/** A lowercase hex digit's value (key ids are validated lowercase hex before they get here). */
function nibble(c: number): number {
  return c <= 57 ? c - 48 : c - 87;
}

/** The key id written at `offset`, or `undefined` for an unknown form byte. */
export function decodeKeyId(bytes: Uint8Array, offset: number): string | undefined {
  const form = bytes[offset];
  if ((form !== 0 && form !== 1) || bytes.length < offset + 17) return undefined;
  // One flat string (hex16): this runs on every Decrypt and envelope (issue #16).
  return form === 1 ? `mrk-${hex16(bytes, offset + 1, false)}` : hex16(bytes, offset + 1, true);
}
