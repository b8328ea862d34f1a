// blobKeyId reads a kmsbox blob's key id without decoding the whole blob (issue #16: it runs on
// every envelope written and read). It must accept exactly what decodeBlob accepts and name the
// same key, for real blobs and for any bytes an envelope's author may put in a recipient.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Kms } from 'kmsbox';
import { decodeBlob } from '../../src/blob/ciphertext-blob.js';
import { blobKeyId } from '../../src/envelope/wrap.js';

const RUNS = Number(process.env.KMSBOX_FUZZ_RUNS ?? 300);
const viaDecodeBlob = (blob: Uint8Array): string | undefined => {
  try {
    return decodeBlob(blob).keyId;
  } catch {
    return undefined;
  }
};

describe('blobKeyId', () => {
  it('names the key of a real blob, as decodeBlob does', async () => {
    const kms = new Kms();
    const key = (await kms.createKey({})).KeyMetadata!;
    const mrk = (await kms.createKey({ MultiRegion: true })).KeyMetadata!;
    for (const k of [key, mrk]) {
      const { CiphertextBlob } = await kms.generateDataKey({ KeyId: k.KeyId!, KeySpec: 'AES_256' });
      expect(blobKeyId(CiphertextBlob!)).toBe(k.KeyId);
      expect(blobKeyId(CiphertextBlob!)).toBe(viaDecodeBlob(CiphertextBlob!));
    }
  });

  it('accepts and refuses exactly what decodeBlob does, for any bytes', async () => {
    const kms = new Kms();
    const { CiphertextBlob } = await kms.generateDataKey({ KeyId: (await kms.createKey({})).KeyMetadata!.KeyId!, KeySpec: 'AES_256' });
    const real = CiphertextBlob!;
    // Real blobs with a byte changed or cut short, and arbitrary bytes led by plausible version and key-id form bytes.
    const mutated = fc
      .tuple(fc.nat({ max: real.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.nat({ max: real.length + 4 }))
      .map(([at, value, length]) => {
        const b = new Uint8Array(Math.min(length, real.length));
        b.set(real.subarray(0, b.length));
        if (at < b.length) b[at] = value;
        return b;
      });
    const arbitrary = fc
      .tuple(fc.constantFrom(0, 1, 2, 3), fc.constantFrom(0, 1, 2), fc.uint8Array({ minLength: 0, maxLength: 120 }))
      .map(([version, form, rest]) => Uint8Array.from([version, form, ...rest]));
    fc.assert(
      fc.property(fc.oneof(mutated, arbitrary, fc.uint8Array({ maxLength: 100 })), (blob) => {
        expect(blobKeyId(blob)).toBe(viaDecodeBlob(blob));
      }),
      { numRuns: RUNS },
    );
  });
});
