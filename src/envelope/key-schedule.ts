/**
 * The per-message key schedule and the header MAC (docs/envelope-format.md §4), per suite:
 *
 * Suite 1:
 *   OKM   = HKDF-SHA-512(ikm = DEK, salt = messageId, info = "kmsbox-envelope-v1" ‖ 0x00 ‖ 0x01, L = 64)
 *   K_enc = OKM[0..32)   K_mac = OKM[32..64)
 *   MAC   = HMAC-SHA-256(K_mac, header bytes [‖ canonical context when withheld])
 *
 * Suite 2 (the default since issue #16): one HMAC instead of three, for the same properties. The
 * KDF in counter mode of NIST SP 800-108r1 §4.1 with HMAC-SHA-512 as the PRF, L = 512 bits (one
 * block), Label = "kmsbox-envelope-v1", Context = uint8(suite) ‖ header bytes [‖ canonical context
 * when withheld]:
 *   T     = HMAC-SHA-512(DEK, uint32be(1) ‖ Label ‖ 0x00 ‖ Context ‖ uint32be(512))
 *   K_enc = T[0..32)     MAC = T[32..64)
 *
 * Why suite 2 is as strong (docs/envelope-format.md §4 says it at length): the DEK is a uniformly
 * random 32-byte key for the PRF; the header holds the random message id, so every message gets
 * its own K_enc even when a cache reuses the DEK; the MAC is a 256-bit PRF output over the whole
 * header under the DEK (header authentication) that verifies under one DEK only (key commitment);
 * K_enc and the MAC are independent halves of one PRF output. (Not HKDF-Expand with the DEK as
 * PRK: RFC 5869 wants a PRK of at least HashLen, 64 bytes for SHA-512.)
 *
 * The HMACs are written out rather than node:crypto's hkdfSync, which costs ~4x two createHmac
 * calls for inputs this small; browsers use @noble/hashes synchronously (WebCrypto's per-call cost
 * does not pay off on inputs this small).
 */
import { utf8Encode } from '../crypto/bytes.js';
import { backend } from '../crypto/backend/index.js';
import { DEK_BYTES, KDF_LABEL, type SuiteId } from './format.js';

export interface MessageKeys {
  /** K_enc, the segments' AES-256-GCM key: secret, wiped by the caller when the message ends. */
  readonly encKey: Uint8Array;
  /** The header MAC: public (written into the envelope, the segments' AAD). */
  readonly mac: Uint8Array;
}

// The constant inputs, made once at import. Stryker's static mutants here are never active when
// a test runs (the module is loaded before a mutant is switched on); the golden vectors of both
// suites (test/vectors/envelope/) pin every byte of them.
// Stryker disable all
const LABEL = utf8Encode(KDF_LABEL);
/** SP 800-108's [L]₂: 512 bits as a 32-bit big-endian integer, after the context. */
const SUITE_2_LENGTH = new Uint8Array([0, 0, 2, 0]);
/** "kmsbox-envelope-v1" ‖ 0x00 ‖ suite: HKDF's info (suite 1); Label ‖ 0x00 ‖ the start of the context (suite 2). */
const kdfInfo = (suite: SuiteId): number[] => [...LABEL, 0, suite];
/** Suite 1's info ‖ 0x01: the whole input of its single Expand block. */
const SUITE_1_EXPAND_INPUT = new Uint8Array([...kdfInfo(1), 1]);
/** Suite 2's [i]₂ ‖ Label ‖ 0x00 ‖ suite, the start of the PRF's input. */
const SUITE_2_PREFIX = new Uint8Array([0, 0, 0, 1, ...kdfInfo(2)]);
// Stryker restore all

/** Suite 1's HKDF-SHA-512 (two HMACs: Extract, then one Expand block): K_enc ‖ K_mac. */
export function suite1Keys(dek: Uint8Array, messageId: Uint8Array): Uint8Array {
  const prk = backend.hmac('SHA-512', messageId, dek);
  const okm = backend.hmac('SHA-512', prk, SUITE_1_EXPAND_INPUT);
  prk.fill(0);
  return okm;
}

type Schedule = (dek: Uint8Array, messageId: Uint8Array, headerBytes: Uint8Array, withheld: Uint8Array | undefined) => MessageKeys;

// Plain views of the HMAC output, not copies: V8 keeps a new array this small on its heap and must
// move it off the heap the first time node:crypto reads it (issue #16); and not Buffer views, each
// a costly object on Node.
const view = (b: Uint8Array, at: number) => new Uint8Array(b.buffer, b.byteOffset + at, 32);

/** One key schedule per suite: `satisfies` makes a new row of SUITES (format.ts) fail to compile until it has one. */
const SCHEDULES = {
  1: (dek, messageId, headerBytes, withheld) => {
    const okm = suite1Keys(dek, messageId);
    const macKey = okm.subarray(32, 64);
    const mac =
      withheld === undefined ? backend.hmac('SHA-256', macKey, headerBytes) : backend.hmac('SHA-256', macKey, headerBytes, withheld);
    macKey.fill(0);
    return { encKey: view(okm, 0), mac };
  },
  2: (dek, _messageId, headerBytes, withheld) => {
    const t =
      withheld === undefined
        ? backend.hmac('SHA-512', dek, SUITE_2_PREFIX, headerBytes, SUITE_2_LENGTH)
        : backend.hmac('SHA-512', dek, SUITE_2_PREFIX, headerBytes, withheld, SUITE_2_LENGTH);
    return { encKey: view(t, 0), mac: view(t, 32) };
  },
} as const satisfies Record<SuiteId, Schedule>;

/**
 * K_enc and the header MAC of a message. `headerBytes`: the header item; `withheldContext`: the
 * context's canonical CBOR when the header does not store it. A suite without a schedule (none
 * today: the header parser admits only SUITES' ids) is an error, never another suite's schedule.
 */
export function messageKeys(
  suite: SuiteId,
  dek: Uint8Array,
  messageId: Uint8Array,
  headerBytes: Uint8Array,
  withheldContext: Uint8Array | undefined,
): MessageKeys {
  if (dek.length !== DEK_BYTES) throw new RangeError('the data key must be 32 bytes');
  const schedule: Schedule | undefined = Object.hasOwn(SCHEDULES, suite) ? SCHEDULES[suite] : undefined;
  if (schedule === undefined) throw new RangeError(`no key schedule for envelope suite ${suite}`);
  return schedule(dek, messageId, headerBytes, withheldContext);
}
