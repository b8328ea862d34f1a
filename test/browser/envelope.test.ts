// The envelope format in Chromium: WebCrypto segments, @noble key schedule, WHATWG streams; golden
// vectors written in Node decrypt here, and messages written here decrypt with the frozen reader.
import { describe, expect, it } from 'vitest';
import {
  DataKeyCache,
  Kms,
  MemoryAuditSink,
  WebCryptoProvider,
  createDecryptStream,
  createEncryptStream,
  decryptEnvelope,
  decryptRange,
  encryptEnvelope,
  inspectEnvelope,
  type KmsLike,
} from 'kmsbox';
import golden from '../vectors/envelope/golden.json' with { type: 'json' };

const unhex = (h: string) => new Uint8Array(h.match(/../g)?.map((x) => parseInt(x, 16)) ?? []);
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

describe('envelopes in the browser', () => {
  it('writes 256 KiB segments by default here (WebCrypto), and reads the 1 MiB ones Node writes by default', async () => {
    const kms = new Kms();
    const keyId = (await kms.createKey({})).KeyMetadata!.Arn!;
    const small = await encryptEnvelope(new Uint8Array(10), { kms, keyId });
    expect(inspectEnvelope(small).segmentSize).toBe(256 * 1024);
    const plaintext = new Uint8Array(2 ** 20 + 5);
    for (let at = 0; at < plaintext.length; at += 65536) crypto.getRandomValues(plaintext.subarray(at, at + 65536));
    const envelope = await encryptEnvelope(plaintext, { kms, keyId, segmentSize: 2 ** 20 });
    expect(inspectEnvelope(envelope).segmentSize).toBe(2 ** 20);
    const decrypted = new Blob([envelope as BlobPart]).stream().pipeThrough(createDecryptStream({ kms, keyIds: [keyId] }));
    expect(same(new Uint8Array(await new Response(decrypted).arrayBuffer()), plaintext)).toBe(true);
  });

  it('round trips through buffers, streams and range reads with a WebCrypto provider key', async () => {
    const kms = new Kms({ provider: new WebCryptoProvider() });
    const { KeyMetadata } = await kms.createKey({});
    const plaintext = crypto.getRandomValues(new Uint8Array(60_000));
    const envelope = await encryptEnvelope(plaintext, {
      kms,
      keyId: KeyMetadata!.KeyId!,
      segmentSize: 4096,
      encryptionContext: { page: 'x' },
    });
    const keyIds = [KeyMetadata!.Arn!];
    expect(same((await decryptEnvelope(envelope, { kms, keyIds, encryptionContext: { page: 'x' } })).plaintext, plaintext)).toBe(true);
    const streamed = new Blob([plaintext])
      .stream()
      .pipeThrough(createEncryptStream({ kms, keyId: KeyMetadata!.KeyId!, cache: new DataKeyCache({ maxAgeMs: 1000 }) }))
      .pipeThrough(createDecryptStream({ kms, keyIds }));
    expect(same(new Uint8Array(await new Response(streamed).arrayBuffer()), plaintext)).toBe(true);
    const range = await decryptRange(async (o, l) => envelope.subarray(o, o + l), { kms, keyIds }, { start: 50_000, end: 50_010 });
    expect([same(range.plaintext, plaintext.subarray(50_000, 50_010)), range.signature]).toEqual([true, 'none']);
    const tampered = envelope.slice();
    tampered[tampered.length - 1]! ^= 1;
    await expect(decryptEnvelope(tampered, { kms, keyIds })).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    // Strict by default: no keyIds and no discovery is refused before anything is read.
    await expect(decryptEnvelope(envelope, { kms })).rejects.toMatchObject({ name: 'ValidationException' });
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
      const out = await decryptEnvelope(unhex(v.envelope), {
        kms,
        discovery: true,
        ...(v.storeContext ? {} : { encryptionContext: v.encryptionContext }),
      });
      expect(
        same(
          out.plaintext,
          Uint8Array.from({ length: v.plaintextLength }, (_, i) => (i * 31 + 7) & 0xff),
        ),
        v.name,
      ).toBe(true);
    }
  });

  it('signs with a browser-held Ed25519 key and verifies before success', async () => {
    const kms = new Kms();
    const { KeyMetadata } = await kms.createKey({});
    const signer = (await kms.createKey({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!.Arn!;
    const plaintext = crypto.getRandomValues(new Uint8Array(9000));
    const envelope = await encryptEnvelope(plaintext, { kms, keyId: KeyMetadata!.KeyId!, signingKeyId: signer, segmentSize: 4096 });
    const out = await decryptEnvelope(envelope, { kms, discovery: true, signerKeyIds: [signer] });
    expect([same(out.plaintext, plaintext), out.signerKeyId]).toEqual([true, signer]);
    const forged = envelope.slice();
    forged[forged.length - 3]! ^= 1;
    await expect(decryptEnvelope(forged, { kms, discovery: true })).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
  });
});

describe('policies and the audit trail in the browser', () => {
  it('evaluates key and identity policies and records every call', async () => {
    const audit = new MemoryAuditSink();
    const app = 'arn:aws:iam::111122223333:role/app';
    const kms = new Kms({
      audit,
      identityPolicies: {
        [app]: [JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*' }] })],
      },
    });
    const { KeyMetadata } = await kms.createKey({});
    await kms.withPrincipal(app).encrypt({ KeyId: KeyMetadata!.KeyId, Plaintext: new Uint8Array([1, 2, 3]) });
    await expect(kms.withPrincipal(app).disableKey({ KeyId: KeyMetadata!.KeyId })).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(audit.events.map((e) => `${e.eventName}:${e.errorCode ?? 'ok'}`)).toEqual([
      'CreateKey:ok',
      'Encrypt:ok',
      'DisableKey:AccessDeniedException',
    ]);
  });
});
