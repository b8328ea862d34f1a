// The blob's 16-bit material-version field (src/blob/ciphertext-blob.ts): versions 0..65535 are
// written and read back exactly; 65536 and beyond cannot be named, and Encrypt refuses rather
// than wrap to version 0 (src/ops/encryption.ts asks materialVersionFits). The limit is lowered
// through materialVersionFits's parameter to check the edge without 65,536 rotations.
import { describe, expect, test } from 'vitest';
import { MAX_MATERIAL_VERSIONS, decodeBlob, encodeBlob, encodeHeader, materialVersionFits } from '../../src/blob/ciphertext-blob.js';

const header = (version: number) =>
  encodeHeader({
    keyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
    version,
    salt: new Uint8Array(16).fill(1),
    nonce: new Uint8Array(12).fill(2),
  });

describe('the material-version limit', () => {
  test('is 65,536 versions: the u16 field names 0..65535', () => {
    expect(MAX_MATERIAL_VERSIONS).toBe(65_536);
    expect(materialVersionFits(0)).toBe(true);
    expect(materialVersionFits(65_535)).toBe(true);
    expect(materialVersionFits(65_536)).toBe(false);
    expect(materialVersionFits(-1)).toBe(false);
    expect(materialVersionFits(1.5)).toBe(false);
    expect(materialVersionFits(Number.NaN)).toBe(false);
  });

  test('a lowered limit moves the edge, exactly', () => {
    expect(materialVersionFits(2, 3)).toBe(true);
    expect(materialVersionFits(3, 3)).toBe(false);
    expect(materialVersionFits(0, 1)).toBe(true);
    expect(materialVersionFits(0, 0)).toBe(false);
  });

  test('the highest version that fits is written big-endian and read back, not wrapped', () => {
    for (const version of [0, 1, 255, 256, 0x1234, 65_535]) {
      const h = header(version);
      expect([h[18], h[19]]).toEqual([version >>> 8, version & 0xff]);
      expect(decodeBlob(encodeBlob(h, new Uint8Array(16))).version).toBe(version);
    }
  });
});
