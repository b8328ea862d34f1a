/**
 * The per-message key schedule and the header MAC.
 *
 *   OKM   = HKDF-SHA-512(ikm = DEK, salt = messageId, info = "kmsbox-envelope-v1" ‖ 0x00 ‖ suite, L = 64)
 *   K_enc = OKM[0..32)   K_mac = OKM[32..64)
 *   MAC   = HMAC-SHA-256(K_mac, header bytes [‖ canonical context when withheld])
 *
 * With L = 64 and SHA-512, HKDF is exactly two HMAC calls, written out here: node:crypto's
 * hkdfSync costs ~4x two createHmac calls for inputs this small, and the inputs are too small for
 * WebCrypto's per-call cost to pay off, so browsers use @noble/hashes synchronously.
 */
import { concatBytes, equalBytes, utf8Encode } from '../crypto/bytes.js';
import { backend } from '../crypto/backend/index.js';
import { DEK_BYTES, KDF_LABEL, type SuiteId } from './format.js';

const LABEL = utf8Encode(KDF_LABEL);

export interface MessageKeys {
  readonly encKey: Uint8Array;
  readonly macKey: Uint8Array;
}

/** HKDF info ‖ 0x01: the whole input of the single expand block, per suite. */
const EXPAND_INPUT = new Map<SuiteId, Uint8Array>();

export function kdfInfo(suite: SuiteId): Uint8Array {
  const info = new Uint8Array(LABEL.length + 2);
  info.set(LABEL, 0);
  info[LABEL.length + 1] = suite;
  return info;
}

function expandInput(suite: SuiteId): Uint8Array {
  let t1 = EXPAND_INPUT.get(suite);
  if (t1 === undefined) {
    const info = kdfInfo(suite);
    t1 = new Uint8Array(info.length + 1);
    t1.set(info, 0);
    t1[info.length] = 1;
    EXPAND_INPUT.set(suite, t1);
  }
  return t1;
}

export function deriveMessageKeys(dek: Uint8Array, messageId: Uint8Array, suite: SuiteId): MessageKeys {
  if (dek.length !== DEK_BYTES) throw new RangeError('the data key must be 32 bytes');
  const prk = backend.hmac('SHA-512', messageId, dek);
  const okm = backend.hmac('SHA-512', prk, expandInput(suite));
  prk.fill(0);
  // One copy of OKM into a plain 64-byte array (on V8's heap at this size), the two keys views of
  // it: no Buffer views (each one is a costly object on Node) and one allocation instead of two.
  const both = new Uint8Array(64);
  both.set(okm);
  okm.fill(0);
  return { encKey: both.subarray(0, 32), macKey: both.subarray(32, 64) };
}

export function headerMac(keys: MessageKeys, headerBytes: Uint8Array, withheldContext?: Uint8Array): Uint8Array {
  const input = withheldContext === undefined ? headerBytes : concatBytes(headerBytes, withheldContext);
  return backend.hmac('SHA-256', keys.macKey, input);
}

/** Constant-time check of a received MAC. */
export function macMatches(
  keys: MessageKeys,
  headerBytes: Uint8Array,
  withheldContext: Uint8Array | undefined,
  received: Uint8Array,
): boolean {
  return equalBytes(headerMac(keys, headerBytes, withheldContext), received);
}

export function wipeKeys(keys: MessageKeys): void {
  keys.encKey.fill(0);
  keys.macKey.fill(0);
}
