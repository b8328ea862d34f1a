// HMAC-SHA-224/256/384/512 on the node:crypto and @noble/hashes backends, against Wycheproof.
import { describe, expect, it } from 'vitest';
import { nobleHmac, nodeHmac, type HmacBackend, type HmacHash } from '../../src/crypto/hmac.js';
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

const backends = [nodeHmac, nobleHmac].filter((b): b is HmacBackend => b !== undefined);
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
