// Builds envelopes from parts (what a malicious sender or an insider could write), with the
// library's own header writer, key schedule and segment cipher.
import { CborMap, encode, type CborValue } from '../../src/envelope/cbor.js';
import { encodeContext, encodeHeader, type Header, type Recipient } from '../../src/envelope/header.js';
import { messageKeys } from '../../src/envelope/key-schedule.js';
import { segmentCipher, segmentItem } from '../../src/envelope/segments.js';
import { concat } from './helpers.js';

export interface BuildInput {
  dek: Uint8Array;
  messageId: Uint8Array;
  segmentSizeLog2?: number;
  recipients: Recipient[];
  context?: Record<string, string>;
  withheld?: Record<string, string>;
  /** Plaintext segments, each sealed with its index; the last is sealed final unless finalFlags says otherwise. */
  segments: Uint8Array[];
  finalFlags?: boolean[];
  /** Raw header bytes to use instead of the encoded header. */
  rawHeader?: Uint8Array;
  /** Default 2, what writers write. */
  suite?: 1 | 2;
}

export async function build(input: BuildInput): Promise<Uint8Array> {
  const header: Header = {
    suite: input.suite ?? 2,
    messageId: input.messageId,
    segmentSizeLog2: input.segmentSizeLog2 ?? 12,
    recipients: input.recipients,
    context: input.context,
    contextNotStored: input.withheld !== undefined,
  };
  const headerBytes = input.rawHeader ?? encodeHeader(header);
  const { encKey, mac } = messageKeys(
    input.suite ?? 2,
    input.dek,
    input.messageId,
    headerBytes,
    input.withheld && encodeContext(input.withheld),
  );
  const cipher = segmentCipher(encKey, mac);
  const items: Uint8Array[] = [headerBytes, encode(mac)];
  for (let i = 0; i < input.segments.length; i++) {
    const final = input.finalFlags?.[i] ?? i === input.segments.length - 1;
    items.push(segmentItem(await cipher.seal(i, final, input.segments[i]!)));
  }
  return concat(...items);
}

/** A header map with arbitrary entries (for hostile-input tests). */
export function rawHeader(entries: Array<[number, CborValue]>): Uint8Array {
  return encode(new CborMap(entries));
}
