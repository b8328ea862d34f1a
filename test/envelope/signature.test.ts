// The optional signature by a KMS signing key: verified before success, required by signerKeyIds,
// non-malleable (high-S twins rejected), and covering every ciphertext byte: an insider who knows
// the segment key and forges ciphertext under an unchanged GCM tag is caught.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { describe, expect, it } from 'vitest';
import { createDecryptStream, decryptEnvelope, decryptRange, encryptEnvelope, inspectEnvelope, type Kms } from 'kmsbox';
import { messageKeys } from '../../src/envelope/key-schedule.js';
import { bytes, concat, counting, expectBytes, expectError, pipe, setup, splitItems } from './helpers.js';

async function signingKey(kms: Kms, spec: 'ECC_NIST_P256' | 'ECC_NIST_P384' | 'ECC_NIST_EDWARDS25519'): Promise<string> {
  return (await kms.createKey({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!.Arn!;
}

// GF(2^128) as GCM uses it (bit 0 = most significant bit of the first byte).
const R = 0xe1n << 120n;
function gmul(x: bigint, y: bigint): bigint {
  let z = 0n;
  let v = y;
  for (let i = 127n; i >= 0n; i--) {
    if ((x >> i) & 1n) z ^= v;
    v = v & 1n ? (v >> 1n) ^ R : v >> 1n;
  }
  return z;
}
const toBig = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString('hex')}`);
const toBlock = (v: bigint) => new Uint8Array(Buffer.from(v.toString(16).padStart(32, '0'), 'hex'));

describe('signed envelopes', () => {
  it.each(['ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_EDWARDS25519'] as const)(
    '%s: signs, verifies, reports the signer, and the policy holds',
    async (spec) => {
      const { kms, keyIds } = await setup();
      const signer = await signingKey(kms, spec);
      const plaintext = bytes(10_000);
      const envelope = await encryptEnvelope(plaintext, { kms, keyId: keyIds[0]!, signingKeyId: signer, segmentSize: 4096 });
      expect(inspectEnvelope(envelope).signer?.keyId).toBe(signer);
      const out = await decryptEnvelope(envelope, { kms, discovery: true, signerKeyIds: [signer] });
      expectBytes(out.plaintext, plaintext);
      expect(out.signerKeyId).toBe(signer);
      expect((await decryptEnvelope(envelope, { kms, discovery: true })).signerKeyId).toBe(signer); // unrequested, still checked
      expectBytes(await pipe(createDecryptStream({ kms, discovery: true, signerKeyIds: [signer] }), envelope, [999]), plaintext);
      const other = await signingKey(kms, spec);
      await expectError(() => decryptEnvelope(envelope, { kms, discovery: true, signerKeyIds: [other] }), 'IncorrectKeyException');
      // An unsigned message when a signature is required.
      const unsigned = await encryptEnvelope(plaintext, { kms, keyId: keyIds[0]! });
      await expectError(() => decryptEnvelope(unsigned, { kms, discovery: true, signerKeyIds: [signer] }), 'IncorrectKeyException');
      // Removed or damaged signature item.
      const sigLen = spec === 'ECC_NIST_P384' ? 1 + 2 + 96 : 1 + 2 + 64;
      await expectError(
        () => decryptEnvelope(envelope.subarray(0, envelope.length - sigLen), { kms, discovery: true }),
        'InvalidCiphertextException',
      );
      await expectError(
        () => pipe(createDecryptStream({ kms, discovery: true }), envelope.subarray(0, envelope.length - 1), [100]),
        'InvalidCiphertextException',
      );
      const bad = envelope.slice();
      bad[bad.length - 5]! ^= 1;
      await expectError(() => decryptEnvelope(bad, { kms, discovery: true }), 'InvalidCiphertextException');
      // Range reads cannot check the signature: refused when one is required.
      await expectError(
        () =>
          decryptRange(
            async (o, l) => envelope.subarray(o, o + l),
            { kms, discovery: true, signerKeyIds: [signer] },
            { start: 0, end: 10 },
          ),
        'UnsupportedOperationException',
      );
      const unverified = await decryptRange(
        async (o, l) => envelope.subarray(o, o + l),
        { kms, keyIds, unverifiedSignature: 'allow' },
        { start: 9990, end: 20000 },
      );
      expectBytes(unverified.plaintext, plaintext.subarray(9990));
      expect(unverified.signature).toBe('unverified');
      expect((await decryptEnvelope(envelope, { kms, keyIds })).signature).toBe('verified');
    },
  );

  it('the high-S twin of a valid ECDSA signature is rejected; writers only emit low S', async () => {
    const { kms, keyIds } = await setup();
    const signer = await signingKey(kms, 'ECC_NIST_P256');
    const n = p256.Point.CURVE().n;
    for (let i = 0; i < 8; i++) {
      const envelope = await encryptEnvelope(bytes(100, i), { kms, keyId: keyIds[0]!, signingKeyId: signer });
      const raw = envelope.subarray(envelope.length - 64);
      const s = toBig(raw.subarray(32));
      expect(s <= n / 2n).toBe(true);
      const twin = envelope.slice();
      twin.set(toBlock(n - s), envelope.length - 32);
      // The twin is a valid ECDSA signature (KMS verifies it) but not the one encoding we accept.
      await expectError(() => decryptEnvelope(twin, { kms, discovery: true }), 'InvalidCiphertextException');
    }
  });

  it('an insider forgery (ciphertext changed, GCM tag unchanged via a GHASH second preimage) fails the signature', async () => {
    const { kms, keyIds } = await setup();
    const signer = await signingKey(kms, 'ECC_NIST_EDWARDS25519');
    const plaintext = bytes(200, 3);
    const { Plaintext: dek, CiphertextBlob } = await kms.generateDataKey({ KeyId: keyIds[0]!, KeySpec: 'AES_256' });
    void CiphertextBlob;
    // The insider knows the data key: use a stub that hands it out so we know it too.
    const insiderKms = {
      ...kms,
      generateDataKey: async () => ({
        Plaintext: dek!.slice(),
        CiphertextBlob: (await kms.encrypt({ KeyId: keyIds[0]!, Plaintext: dek! })).CiphertextBlob,
        KeyId: keyIds[0]!,
      }),
      encrypt: kms.encrypt.bind(kms),
      decrypt: kms.decrypt.bind(kms),
      getPublicKey: kms.getPublicKey.bind(kms),
      sign: kms.sign.bind(kms),
      verify: kms.verify.bind(kms),
    };
    const envelope = await encryptEnvelope(plaintext, { kms: insiderKms, keyId: keyIds[0]!, signingKeyId: signer });
    const info = inspectEnvelope(envelope);
    const { prefix, segments, tail } = splitItems(envelope, info.headerLength);
    const item = segments[0]!;
    const headLen = item.length - 216; // 2-byte head for 216 = 200 + 16
    expect(headLen).toBe(2);
    const sealed = item.subarray(headLen);
    const keys = messageKeys(2, dek!, info.messageId, prefix.subarray(0, prefix.length - 34), undefined);
    const mac = prefix.subarray(prefix.length - 32);
    // H = AES_K(0); GHASH blocks: 2 AAD blocks, 13 ciphertext blocks (200 B), 1 length block: m = 16.
    const ecb = createCipheriv('aes-256-ecb', keys.encKey, null).setAutoPadding(false);
    const H = toBig(ecb.update(new Uint8Array(16)));
    const m = 2 + Math.ceil(200 / 16) + 1;
    const e = (c: number) => m - (3 + c) + 1; // exponent of H for ciphertext block c
    const d0 = 0x0123456789abcdefn;
    let hPow = 1n << 127n; // the multiplicative identity in GCM bit order
    for (let i = 0; i < e(0) - e(1); i++) hPow = gmul(hPow, H);
    const d1 = gmul(d0, hPow);
    const forged = sealed.slice();
    const xorBlock = (at: number, d: bigint) => {
      const blk = toBlock(d);
      for (let i = 0; i < 16; i++) forged[at + i]! ^= blk[i]!;
    };
    xorBlock(0, d0);
    xorBlock(16, d1);
    // The forged segment still authenticates under the segment key (GCM alone cannot tell).
    const nonce = new Uint8Array(12);
    nonce[11] = 1;
    const dec = createDecipheriv('aes-256-gcm', keys.encKey, nonce);
    dec.setAAD(mac);
    dec.setAuthTag(forged.subarray(200));
    const changed = Buffer.concat([dec.update(forged.subarray(0, 200)), dec.final()]);
    expect(Buffer.from(changed).equals(Buffer.from(plaintext))).toBe(false);
    // Under the signature, the reader refuses it.
    const forgedEnvelope = concat(prefix, item.subarray(0, headLen), forged, tail);
    await expectError(() => decryptEnvelope(forgedEnvelope, { kms, discovery: true }), 'InvalidCiphertextException');
    await expectError(
      () => decryptEnvelope(forgedEnvelope, { kms, discovery: true, signerKeyIds: [signer] }),
      'InvalidCiphertextException',
    );
    // A range read cannot check the signature: it refuses the signed envelope, before any KMS
    // call, rather than return the insider's segment as genuine…
    const counted = counting(kms);
    const read = async (o: number, l: number) => forgedEnvelope.subarray(o, o + l);
    const refused = await expectError(
      () => decryptRange(read, { kms: counted, keyIds }, { start: 0, end: 200 }),
      'UnsupportedOperationException',
    );
    expect(refused.message).toBe(
      "The envelope is signed and a range read cannot verify the signature: decrypt the whole envelope, or pass unverifiedSignature: 'allow' to read it unverified.",
    );
    expect(counted.calls).toEqual({});
    // …and with the opt-in it says the signature went unchecked.
    const opted = await decryptRange(read, { kms, keyIds, unverifiedSignature: 'allow' }, { start: 0, end: 200 });
    expect([Buffer.from(opted.plaintext).equals(changed), opted.signature]).toEqual([true, 'unverified']);
  });

  it('signing needs a supported key spec', async () => {
    const { kms, keyIds } = await setup();
    const rsa = (await kms.createKey({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!.Arn!;
    await expectError(() => encryptEnvelope(bytes(1), { kms, keyId: keyIds[0]!, signingKeyId: rsa }), 'ValidationException');
  });
});
