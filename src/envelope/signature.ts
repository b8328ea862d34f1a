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
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8Encode } from '../crypto/bytes.js';
import { nodeCrypto } from '../crypto/runtime.js';
import { IncorrectKeyException, ValidationException } from '../errors.js';
import { MAJOR, headSize, writeHead } from './cbor.js';
import { SIGNATURE_ITEM_HEAD, SIGNATURE_LABEL, SIGNERS, type SignerAlgId } from './format.js';
import type { Signer } from './header.js';
import { allowed, type KmsLike } from './kms-like.js';
import { invalidEnvelope } from './invalid.js';

interface Hasher {
  update(data: Uint8Array): Hasher;
  digest(): Uint8Array;
}
const newHash = (): Hasher => (nodeCrypto ? nodeCrypto.createHash('sha256') : (sha256.create() as unknown as Hasher));

/** SHA-256 of the header part, then one SHA-256 per segment item, folded into one running hash. */
export class Transcript {
  readonly #outer = newHash();
  /** One item's bytes (or the header part), given in pieces. */
  add(...pieces: Uint8Array[]): void {
    const h = newHash();
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
  if (typeof signingKeyId !== 'string' || signingKeyId.length === 0) throw new ValidationException({ message: 'signingKeyId must be a key id, ARN or alias.' });
  const { getPublicKey, sign } = kms;
  if (typeof getPublicKey !== 'function' || typeof sign !== 'function') {
    throw new ValidationException({ message: 'Signing needs a kms with getPublicKey and sign.' });
  }
  const info = await getPublicKey.call(kms, { KeyId: signingKeyId });
  const alg = ALG_BY_SPEC[info.KeySpec ?? ''];
  if (alg === undefined || info.KeyId === undefined) {
    throw new ValidationException({ message: `signingKeyId must name an ECC_NIST_P256, ECC_NIST_P384 or ECC_NIST_EDWARDS25519 signing key; its spec is ${info.KeySpec}.` });
  }
  const spec = SIGNERS[alg];
  const transcript = new Transcript();
  return {
    header: { alg, keyRef: info.KeyId },
    transcript,
    async finish() {
      const out = await sign.call(kms, { KeyId: info.KeyId!, Message: transcript.message(), MessageType: 'RAW', SigningAlgorithm: spec.algorithm });
      if (!(out.Signature instanceof Uint8Array)) throw new ValidationException({ message: 'Sign did not return a signature.' });
      const raw = alg === 3 ? out.Signature : derToLowSRaw(out.Signature, alg);
      if (raw.length !== spec.signatureBytes) throw new ValidationException({ message: 'Sign returned a signature of an unexpected size.' });
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
 * Checks a message's signature against the reader's policy and KMS. Returns the signer's ARN.
 * A bad signature is InvalidCiphertextException; a signer outside `signerKeyIds` is IncorrectKeyException.
 */
export async function verifySignature(kms: KmsLike, signer: Signer, transcript: Transcript, raw: Uint8Array, signerKeyIds: readonly string[] | undefined, debug: boolean): Promise<string> {
  if (!allowed(signerKeyIds, signer.keyRef)) throw new IncorrectKeyException({ message: 'The envelope is signed by a key that is not in signerKeyIds.' });
  const { verify } = kms;
  if (typeof verify !== 'function') throw new ValidationException({ message: 'The envelope is signed: reading it needs a kms with verify.' });
  const spec = SIGNERS[signer.alg];
  let signature = raw;
  if (signer.alg !== 3) {
    const der = rawToDerIfLowS(raw, signer.alg);
    if (der === undefined) throw invalidEnvelope('signature is not in low-S form', debug);
    signature = der;
  }
  let valid: boolean | undefined;
  try {
    const out = await verify.call(kms, { KeyId: signer.keyRef, Message: transcript.message(), MessageType: 'RAW', Signature: signature, SigningAlgorithm: spec.algorithm });
    valid = out.SignatureValid;
  } catch (error) {
    if ((error as { name?: unknown })?.name !== 'KMSInvalidSignatureException') throw error;
    valid = false;
  }
  if (valid !== true) throw invalidEnvelope('signature does not verify', debug);
  return signer.keyRef;
}

// ECDSA: DER <-> fixed-size r‖s, low S.

const ORDER: Record<1 | 2, bigint> = {
  1: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  2: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
};

const toBig = (b: Uint8Array): bigint => (b.length === 0 ? 0n : BigInt('0x' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')));
function toFixed(v: bigint, size: number): Uint8Array {
  const hex = v.toString(16).padStart(size * 2, '0');
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function derToLowSRaw(der: Uint8Array, alg: 1 | 2): Uint8Array {
  const half = SIGNERS[alg].signatureBytes / 2;
  const n = ORDER[alg];
  let p = 0;
  const read = (tag: number): Uint8Array => {
    if (der[p++] !== tag) throw new ValidationException({ message: 'Sign returned a malformed ECDSA signature.' });
    let len = der[p++]!;
    if (len === 0x81) len = der[p++]!;
    const v = der.subarray(p, p + len);
    p += len;
    return v;
  };
  const seq = read(0x30);
  p = der.length - seq.length;
  const r = toBig(read(0x02));
  let s = toBig(read(0x02));
  if (s > n / 2n) s = n - s;
  const out = new Uint8Array(2 * half);
  out.set(toFixed(r, half), 0);
  out.set(toFixed(s, half), half);
  return out;
}

function derInt(v: Uint8Array): Uint8Array {
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  const body = v.subarray(i);
  const pad = body[0]! & 0x80 ? 1 : 0;
  const out = new Uint8Array(2 + pad + body.length);
  out[0] = 0x02;
  out[1] = pad + body.length;
  out.set(body, 2 + pad);
  return out;
}

/** DER for a raw r‖s, or undefined when r or s is out of range or s is high. */
function rawToDerIfLowS(raw: Uint8Array, alg: 1 | 2): Uint8Array | undefined {
  const half = raw.length / 2;
  const n = ORDER[alg];
  const r = toBig(raw.subarray(0, half));
  const s = toBig(raw.subarray(half));
  if (r === 0n || r >= n || s === 0n || s > n / 2n) return undefined;
  const ri = derInt(raw.subarray(0, half));
  const si = derInt(raw.subarray(half));
  const body = ri.length + si.length;
  const lenBytes = body < 0x80 ? [body] : [0x81, body];
  const out = new Uint8Array(1 + lenBytes.length + body);
  out[0] = 0x30;
  out.set(lenBytes, 1);
  out.set(ri, 1 + lenBytes.length);
  out.set(si, 1 + lenBytes.length + ri.length);
  return out;
}

export const ecdsaForTests = { derToLowSRaw, rawToDerIfLowS, ORDER };
