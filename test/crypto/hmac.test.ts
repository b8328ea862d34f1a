// HMAC-SHA-224/256/384/512 on both crypto backends (node:crypto; the portable one's @noble/hashes), against Wycheproof.
import { describe, expect, it } from 'vitest';
import { nodeCryptoBackend, webBackend, type CryptoBackend, type HmacHash } from '../../src/crypto/backend/index.js';
import { hex, loadVectors, toHex } from './wycheproof.js';

interface MacTest {
  tcId: number;
  key: string;
  msg: string;
  tag: string;
  result: 'valid' | 'invalid';
}
interface MacGroup {
  keySize: number;
  tagSize: number;
  tests: MacTest[];
}

const backends = [nodeCryptoBackend, webBackend].filter((b): b is CryptoBackend => b !== undefined);
const FILES: Array<[HmacHash, string]> = [
  ['SHA-224', 'hmac_sha224_test'],
  ['SHA-256', 'hmac_sha256_test'],
  ['SHA-384', 'hmac_sha384_test'],
  ['SHA-512', 'hmac_sha512_test'],
];

describe.each(backends.map((b) => [b.name, b] as const))('Wycheproof HMAC on %s', (_, backend) => {
  it.each(FILES)('%s: valid tags match, invalid ones do not (tags truncated to the group size)', (hash, file) => {
    const vectors = loadVectors<MacGroup>(file);
    let count = 0;
    for (const group of vectors.testGroups) {
      for (const t of group.tests) {
        const tag = toHex(backend.hmac(hash, hex(t.key), hex(t.msg))).slice(0, group.tagSize / 4);
        if (t.result === 'valid') expect(tag, `tcId ${t.tcId}`).toBe(t.tag);
        else expect(tag, `tcId ${t.tcId}`).not.toBe(t.tag);
        count++;
      }
    }
    expect(count).toBe(vectors.numberOfTests);
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('HMAC of a message given in parts on %s', (_, backend) => {
  it('is the HMAC of their concatenation, however the message is cut (no parts at all included)', () => {
    const key = new Uint8Array(20).fill(0x0b);
    const message = new TextEncoder().encode('Hi There, and some more bytes');
    const whole = toHex(backend.hmac('SHA-256', key, message));
    expect(toHex(backend.hmac('SHA-256', key, message.subarray(0, 3), message.subarray(3, 3), message.subarray(3)))).toBe(whole);
    expect(toHex(backend.hmac('SHA-256', key))).toBe(toHex(backend.hmac('SHA-256', key, new Uint8Array(0))));
    expect(toHex(backend.hmac('SHA-256', key, message.subarray(1)))).not.toBe(whole);
  });
});
