// A deterministic KmsLike for golden vectors: fixed data key, fixed wrapped blobs, and (optionally)
// a fixed Ed25519 signing key held by node:crypto.
import { createPrivateKey, createPublicKey, sign as edSign, verify as edVerify } from 'node:crypto';
import type { KmsLike } from 'kmsbox';

export interface StubRecipient {
  arn: string;
  blob: Uint8Array;
}

export function stubKms(dek: Uint8Array, recipients: StubRecipient[], signer?: { arn: string; pkcs8: Uint8Array }): KmsLike {
  let next = 0;
  const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
  return {
    async generateDataKey() {
      next = 1;
      return { Plaintext: dek.slice(), CiphertextBlob: recipients[0]!.blob, KeyId: recipients[0]!.arn };
    },
    async encrypt() {
      const r = recipients[next++]!;
      return { CiphertextBlob: r.blob, KeyId: r.arn };
    },
    async decrypt({ CiphertextBlob }) {
      const r = recipients.find((x) => sameBytes(x.blob, CiphertextBlob));
      if (!r) throw Object.assign(new Error('unknown blob'), { name: 'InvalidCiphertextException', $fault: 'client', $metadata: {} });
      return { Plaintext: dek.slice(), KeyId: r.arn };
    },
    ...(signer && {
      async getPublicKey() {
        return { KeyId: signer.arn, KeySpec: 'ECC_NIST_EDWARDS25519' };
      },
      async sign({ Message }) {
        const key = createPrivateKey({ key: Buffer.from(signer.pkcs8), format: 'der', type: 'pkcs8' });
        return { Signature: new Uint8Array(edSign(null, Message, key)), KeyId: signer.arn };
      },
      async verify({ Message, Signature }) {
        const key = createPublicKey(createPrivateKey({ key: Buffer.from(signer.pkcs8), format: 'der', type: 'pkcs8' }));
        return { SignatureValid: edVerify(null, Message, key, Signature) };
      },
    }),
  };
}
