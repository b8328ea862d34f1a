/**
 * The optional signature by a KMS SIGN_VERIFY key. It signs (MessageType RAW)
 *
 *   M = "kmsbox-envelope-v1 sig" ‖ 0x00 ‖ SHA-256(SHA-256(header ‖ MAC item) ‖ SHA-256(segment item 0) ‖ …)
 *
 * a hash of every byte, not of the GCM tags: every recipient knows the segment key and could
 * change ciphertext under unchanged tags. The signature travels raw and fixed-size (ECDSA r‖s
 * normalised to low S; Ed25519 as is) in a trailing `[bstr]` item; readers reject high S, so no
 * second valid encoding of a signed envelope exists.
 */
import { backend } from '../crypto/backend/index.js';
import { utf8Encode } from '../crypto/bytes.js';
import { IncorrectKeyException, ValidationException } from '../errors.js';
import { lazily } from '../lazy.js';
import { MAJOR, headSize, writeHead } from './cbor.js';
import { SIGNATURE_ITEM_HEAD, SIGNATURE_LABEL, SIGNERS, type SignerAlgId } from './format.js';
import type { Signer } from './header.js';
import { allowed, sameKey, type KmsLike } from './kms-like.js';
import { invalidEnvelope } from './invalid.js';

/** SHA-256 of the header part, then one SHA-256 per segment item, folded into one running hash. */
export class Transcript {
  readonly #outer = backend.sha256();
  /** One item's bytes (or the header part), given in pieces. */
  add(...pieces: Uint8Array[]): void {
    const h = backend.sha256();
    for (const p of pieces) h.update(p);
    this.#outer.update(h.digest());
  }
  /** The message KMS signs. */
  message(): Uint8Array {
    const label = utf8Encode(SIGNATURE_LABEL);
    const digest = this.#outer.digest();
    const m = new Uint8Array(label.length + 1 + digest.length);
    m.set(label, 0);
    m.set(digest, label.length + 1);
    return m;
  }
}

export interface MessageSigner {
  readonly header: Signer;
  readonly transcript: Transcript;
  /** Signs the transcript; returns the signature item. */
  finish(): Promise<Uint8Array>;
}

const ALG_BY_SPEC: Record<string, SignerAlgId> = Object.fromEntries(
  Object.entries(SIGNERS).map(([id, s]) => [s.keySpec, Number(id) as SignerAlgId]),
);

export async function prepareSigner(kms: KmsLike, signingKeyId: string): Promise<MessageSigner> {
  if (typeof signingKeyId !== 'string' || signingKeyId.length === 0)
    throw new ValidationException({ message: 'signingKeyId must be a key id, ARN or alias.' });
  const { getPublicKey, sign } = kms;
  if (typeof getPublicKey !== 'function' || typeof sign !== 'function') {
    throw new ValidationException({ message: 'Signing needs a kms with getPublicKey and sign.' });
  }
  const info = await getPublicKey.call(kms, { KeyId: signingKeyId });
  const alg = ALG_BY_SPEC[info.KeySpec ?? ''];
  if (alg === undefined || info.KeyId === undefined) {
    throw new ValidationException({
      message: `signingKeyId must name an ECC_NIST_P256, ECC_NIST_P384 or ECC_NIST_EDWARDS25519 signing key; its spec is ${info.KeySpec}.`,
    });
  }
  const spec = SIGNERS[alg];
  const transcript = new Transcript();
  return {
    header: { alg, keyRef: info.KeyId },
    transcript,
    async finish() {
      const out = await sign.call(kms, {
        KeyId: info.KeyId!,
        Message: transcript.message(),
        MessageType: 'RAW',
        SigningAlgorithm: spec.algorithm,
      });
      if (!(out.Signature instanceof Uint8Array)) throw new ValidationException({ message: 'Sign did not return a signature.' });
      const raw = alg === 3 ? out.Signature : await derToLowSRaw(out.Signature, alg);
      if (raw.length !== spec.signatureBytes)
        throw new ValidationException({ message: 'Sign returned a signature of an unexpected size.' });
      return signatureItem(raw);
    },
  };
}

export function signatureItem(raw: Uint8Array): Uint8Array {
  const item = new Uint8Array(1 + headSize(raw.length) + raw.length);
  item[0] = SIGNATURE_ITEM_HEAD;
  item.set(raw, writeHead(item, 1, MAJOR.bytes, raw.length));
  return item;
}

export function signatureItemBytes(alg: SignerAlgId): number {
  const n = SIGNERS[alg].signatureBytes;
  return 1 + headSize(n) + n;
}

/**
 * Checks a message's signature against the reader's policy and KMS. Returns the ARN of the key KMS
 * verified with. With `signerKeyIds`, Verify is called with the matching entry, as decrypt is with
 * its keyIds entry (src/envelope/trust.ts): the header's keyRef only selects an entry. A bad
 * signature is InvalidCiphertextException; a signer outside `signerKeyIds` is IncorrectKeyException.
 */
export async function verifySignature(
  kms: KmsLike,
  signer: Signer,
  transcript: Transcript,
  raw: Uint8Array,
  signerKeyIds: readonly string[] | undefined,
  debug: boolean,
): Promise<string> {
  const pinned = signerKeyIds?.find((k) => sameKey(k, signer.keyRef));
  if (signerKeyIds !== undefined && pinned === undefined) throw notListed();
  const { verify } = kms;
  if (typeof verify !== 'function')
    throw new ValidationException({ message: 'The envelope is signed: reading it needs a kms with verify.' });
  const spec = SIGNERS[signer.alg];
  let signature = raw;
  if (signer.alg !== 3) {
    const der = await rawToDerIfLowS(raw, signer.alg);
    if (der === undefined) throw invalidEnvelope('signature is not in low-S form', debug);
    signature = der;
  }
  let valid: boolean | undefined;
  let verifiedBy: string | undefined;
  try {
    const out = await verify.call(kms, {
      KeyId: pinned ?? signer.keyRef,
      Message: transcript.message(),
      MessageType: 'RAW',
      Signature: signature,
      SigningAlgorithm: spec.algorithm,
    });
    valid = out.SignatureValid;
    verifiedBy = out.KeyId;
  } catch (error) {
    if ((error as { name?: unknown })?.name !== 'KMSInvalidSignatureException') throw error;
    valid = false;
  }
  if (valid !== true) throw invalidEnvelope('signature does not verify', debug);
  const arn = verifiedBy ?? pinned ?? signer.keyRef;
  if (!allowed(signerKeyIds, arn)) throw notListed();
  return arn;
}

const notListed = () => new IncorrectKeyException({ message: 'The envelope is signed by a key that is not in signerKeyIds.' });

// ECDSA: DER (as KMS returns it) <-> fixed-size r‖s with low S, by @noble/curves' Signature, loaded
// on the first ECDSA-signed envelope (an unsigned envelope never needs the curve code).

const curves = lazily(async () => {
  const { p256, p384 } = await import('../crypto/nist-curves.js');
  return { 1: p256, 2: p384 } as const;
});

async function derToLowSRaw(der: Uint8Array, alg: 1 | 2): Promise<Uint8Array> {
  const curve = (await curves())[alg];
  const { Signature } = curve;
  try {
    const sig = Signature.fromBytes(der, 'der');
    return (sig.hasHighS() ? new Signature(sig.r, curve.Point.CURVE().n - sig.s) : sig).toBytes('compact');
  } catch {
    throw new ValidationException({ message: 'Sign returned a malformed ECDSA signature.' });
  }
}

/** DER for a raw r‖s, or undefined when r or s is out of range or s is high. */
async function rawToDerIfLowS(raw: Uint8Array, alg: 1 | 2): Promise<Uint8Array | undefined> {
  const { Signature } = (await curves())[alg];
  try {
    const sig = Signature.fromBytes(raw, 'compact');
    return sig.hasHighS() ? undefined : sig.toBytes('der');
  } catch {
    return undefined;
  }
}
