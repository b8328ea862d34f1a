/// <reference types="node" />
/**
 * The Node backend's asymmetric keys (PKCS#8 DER private keys, SPKI DER public keys): node:crypto
 * (OpenSSL) signs and verifies messages (MessageType RAW); where OpenSSL has no "sign this digest"
 * call, DIGEST goes through @noble/curves (ECDSA, Ed25519ph) or an EMSA-PSS / PKCS#1 v1.5 encoding
 * (emsa.ts) over node's raw RSA operation.
 */
import { ed25519ph } from '@noble/curves/ed25519.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { KeyObject } from 'node:crypto';
import type { KeySpec, SigningAlgorithmSpec } from '../../api/enums.js';
import { concatBytes, equalBytes } from '../bytes.js';
import { DIGEST_INFO, pssEncode, pssVerify, type Digest, type HashName } from '../emsa.js';
import { parseSpki } from '../key-der.js';
import { SIGNING, type MessageType } from '../signatures.js';
import type { NodeCrypto } from './node.js';
import type { AsymmetricBackend } from './types.js';

type Hash = HashName;

/** How node:crypto makes each asymmetric spec's key pair. */
const GENERATE: Partial<Record<KeySpec, [string, object]>> = {
  RSA_2048: ['rsa', { modulusLength: 2048 }],
  RSA_3072: ['rsa', { modulusLength: 3072 }],
  RSA_4096: ['rsa', { modulusLength: 4096 }],
  ECC_NIST_P256: ['ec', { namedCurve: 'prime256v1' }],
  ECC_NIST_P384: ['ec', { namedCurve: 'secp384r1' }],
  ECC_NIST_P521: ['ec', { namedCurve: 'secp521r1' }],
  ECC_SECG_P256K1: ['ec', { namedCurve: 'secp256k1' }],
  ECC_NIST_EDWARDS25519: ['ed25519', {}],
};

const CURVES = { 'P-256': p256, 'P-384': p384, 'P-521': p521, secp256k1 } as const;
/** RFC 8032 verification, as OpenSSL does for Ed25519 and the portable path for both: noble defaults to ZIP-215's lenient rules. */
const STRICT_ED25519 = { zip215: false } as const;

function curveOf(key: KeyObject) {
  const crv = (key.export({ format: 'jwk' }) as { crv?: string }).crv as keyof typeof CURVES;
  return CURVES[crv];
}

function b64u(s: string | undefined): Uint8Array {
  return new Uint8Array(Buffer.from(s ?? '', 'base64url'));
}

function ecPoint(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' }) as { x: string; y: string };
  return concatBytes(new Uint8Array([4]), b64u(jwk.x), b64u(jwk.y));
}

function edPublic(key: KeyObject): Uint8Array {
  return b64u((key.export({ format: 'jwk' }) as { x: string }).x);
}

/**
 * A signature node:crypto just made, as a plain Uint8Array over the same memory: node allocates each
 * signature afresh (never from its shared pool), so the view owns its bytes and no copy is needed.
 */
function ownBytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function modulusBits(key: KeyObject): number {
  return key.asymmetricKeyDetails!.modulusLength!;
}

export function nodeAsymmetric(c: NodeCrypto): AsymmetricBackend {
  function canGenerate(spec: KeySpec): boolean {
    return Object.hasOwn(GENERATE, spec);
  }

  /** A new private key as PKCS#8 DER. */
  function generatePrivateKey(spec: KeySpec): Uint8Array {
    const [type, options] = GENERATE[spec]!;
    const { privateKey } = c.generateKeyPairSync(type as 'rsa', {
      ...(options as { modulusLength: number }),
      privateKeyEncoding: { type: 'pkcs8', format: 'der' },
      publicKeyEncoding: { type: 'spki', format: 'der' },
    });
    return new Uint8Array(privateKey);
  }

  // Parsed keys, per material buffer: parsing DER on every Sign would cost more than signing.
  const parsedPrivate = new WeakMap<Uint8Array, KeyObject>();
  const parsedPublic = new WeakMap<Uint8Array, KeyObject>();
  const spkiOf = new WeakMap<Uint8Array, Uint8Array>();

  function privateKey(pkcs8: Uint8Array): KeyObject {
    let key = parsedPrivate.get(pkcs8);
    if (key === undefined) {
      key = c.createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
      parsedPrivate.set(pkcs8, key);
    }
    return key;
  }

  function publicKey(spki: Uint8Array): KeyObject {
    let key = parsedPublic.get(spki);
    if (key === undefined) {
      key = c.createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
      parsedPublic.set(spki, key);
    }
    return key;
  }

  /** The SPKI DER public key of a PKCS#8 private key (the same buffer each time for one key). */
  function publicKeyOf(pkcs8: Uint8Array): Uint8Array {
    let spki = spkiOf.get(pkcs8);
    if (spki === undefined) {
      spki = new Uint8Array(c.createPublicKey(privateKey(pkcs8)).export({ type: 'spki', format: 'der' }));
      spkiOf.set(pkcs8, spki);
    }
    return spki;
  }

  // --- RSA over a given digest: the encodings of RFC 8017 (emsa.ts), then node's raw RSA operation ---

  /** node's hash of the concatenation, for the EMSA encodings. */
  const digestOf =
    (hash: Hash): Digest =>
    (...parts) => {
      const h = c.createHash(hash);
      for (const p of parts) h.update(p);
      return new Uint8Array(h.digest());
    };

  function rsaRaw(key: KeyObject, em: Uint8Array, bytes: number): Uint8Array {
    const padded = new Uint8Array(bytes);
    padded.set(em, bytes - em.length);
    return new Uint8Array(c.privateEncrypt({ key, padding: c.constants.RSA_NO_PADDING }, padded));
  }

  /**
   * ECDH: the raw shared X coordinate, as OpenSSL and AWS KMS give it; `undefined` when the peer
   * key is not a valid SPKI public key on the same curve. The peer key must name its curve: OpenSSL
   * would match explicit curve parameters with a wrong cofactor to the named curve (Wycheproof).
   */
  function deriveSharedSecret(pkcs8: Uint8Array, peerSpki: Uint8Array): Uint8Array | undefined {
    try {
      if (parseSpki(peerSpki).type !== 'ec') return undefined;
      const privateKeyObject = privateKey(pkcs8);
      const peer = c.createPublicKey({ key: Buffer.from(peerSpki), format: 'der', type: 'spki' });
      if (peer.asymmetricKeyType !== 'ec' || peer.asymmetricKeyDetails?.namedCurve !== privateKeyObject.asymmetricKeyDetails?.namedCurve)
        return undefined;
      return new Uint8Array(c.diffieHellman({ privateKey: privateKeyObject, publicKey: peer }));
    } catch {
      return undefined;
    }
  }

  /** RSAES-OAEP with MGF1 over the same hash (RSAES_OAEP_SHA_1 / RSAES_OAEP_SHA_256). */
  function rsaEncrypt(pkcs8: Uint8Array, algorithm: 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256', plaintext: Uint8Array): Uint8Array {
    const oaepHash = algorithm === 'RSAES_OAEP_SHA_1' ? 'sha1' : 'sha256';
    return new Uint8Array(
      c.publicEncrypt({ key: publicKey(publicKeyOf(pkcs8)), padding: c.constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, plaintext),
    );
  }

  /** The plaintext, or `undefined` when the ciphertext does not decrypt under this key and algorithm. */
  function rsaDecrypt(
    pkcs8: Uint8Array,
    algorithm: 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256',
    ciphertext: Uint8Array,
  ): Uint8Array | undefined {
    try {
      const oaepHash = algorithm === 'RSAES_OAEP_SHA_1' ? 'sha1' : 'sha256';
      return new Uint8Array(
        c.privateDecrypt({ key: privateKey(pkcs8), padding: c.constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, ciphertext),
      );
    } catch {
      return undefined;
    }
  }

  // --- sign and verify ------------------------------------------------------------------------

  function sign(pkcs8: Uint8Array, algorithm: SigningAlgorithmSpec, message: Uint8Array, type: MessageType): Uint8Array {
    const a = SIGNING[algorithm]!;
    const key = privateKey(pkcs8);
    if (type === 'RAW') {
      switch (a.scheme) {
        case 'pss':
          return new Uint8Array(c.sign(a.hash, message, { key, padding: c.constants.RSA_PKCS1_PSS_PADDING, saltLength: a.digestBytes }));
        case 'pkcs1':
          return new Uint8Array(c.sign(a.hash, message, { key, padding: c.constants.RSA_PKCS1_PADDING }));
        case 'ecdsa':
          // The KeyObject itself, not `{ key, dsaEncoding: 'der' }`: DER is node's default, and an
          // options object costs node a key re-preparation per call (3 µs of a 90 µs Sign + Verify).
          return ownBytes(c.sign(a.hash, message, key));
        case 'ed25519':
          return ownBytes(c.sign(null, message, key));
        case 'ed25519ph':
          return ed25519ph.sign(message, b64u((key.export({ format: 'jwk' }) as { d: string }).d));
      }
    }
    // DIGEST: `message` is the hash of the message.
    switch (a.scheme) {
      case 'pss': {
        const bits = modulusBits(key);
        return rsaRaw(key, pssEncode(digestOf(a.hash), message, bits - 1), Math.ceil(bits / 8));
      }
      case 'pkcs1':
        return new Uint8Array(c.privateEncrypt({ key, padding: c.constants.RSA_PKCS1_PADDING }, concatBytes(DIGEST_INFO[a.hash], message)));
      case 'ecdsa': {
        const d = b64u((key.export({ format: 'jwk' }) as { d: string }).d);
        return curveOf(key).sign(message, d, { prehash: false, lowS: false, format: 'der' });
      }
      case 'ed25519ph':
        // KMS applies the Ed25519ph SHA-512 prehash to the digest it is given (docs/aws-behaviour.md#signing).
        return ed25519ph.sign(message, b64u((key.export({ format: 'jwk' }) as { d: string }).d));
      case 'ed25519':
        throw new Error('ED25519_SHA_512 signs RAW messages only');
    }
  }

  function verify(
    spki: Uint8Array,
    algorithm: SigningAlgorithmSpec,
    message: Uint8Array,
    type: MessageType,
    signature: Uint8Array,
  ): boolean {
    const a = SIGNING[algorithm]!;
    const key = publicKey(spki);
    try {
      if (type === 'RAW') {
        switch (a.scheme) {
          case 'pss':
            return c.verify(a.hash, message, { key, padding: c.constants.RSA_PKCS1_PSS_PADDING, saltLength: a.digestBytes }, signature);
          case 'pkcs1':
            return c.verify(a.hash, message, { key, padding: c.constants.RSA_PKCS1_PADDING }, signature);
          case 'ecdsa':
            return c.verify(a.hash, message, key, signature); // DER, node's default (see sign)
          case 'ed25519':
            return c.verify(null, message, key, signature);
          case 'ed25519ph':
            return ed25519ph.verify(signature, message, edPublic(key), STRICT_ED25519);
        }
      }
      switch (a.scheme) {
        case 'pss': {
          const bits = modulusBits(key);
          if (signature.length !== Math.ceil(bits / 8)) return false;
          const em = new Uint8Array(c.publicDecrypt({ key, padding: c.constants.RSA_NO_PADDING }, signature));
          const emLen = Math.ceil((bits - 1) / 8);
          return pssVerify(digestOf(a.hash), message, em.subarray(em.length - emLen), bits - 1);
        }
        case 'pkcs1': {
          // Exactly the modulus length (RFC 8017 §8.2.2): OpenSSL's raw decrypt also takes shorter input.
          if (signature.length !== Math.ceil(modulusBits(key) / 8)) return false;
          const out = new Uint8Array(c.publicDecrypt({ key, padding: c.constants.RSA_PKCS1_PADDING }, signature));
          return equalBytes(out, concatBytes(DIGEST_INFO[a.hash], message));
        }
        case 'ecdsa':
          return curveOf(key).verify(signature, message, ecPoint(key), { prehash: false, lowS: false, format: 'der' });
        case 'ed25519ph':
          return ed25519ph.verify(signature, message, edPublic(key), STRICT_ED25519);
        case 'ed25519':
          return false;
      }
    } catch {
      return false; // malformed signatures and keys are simply not valid
    }
  }

  return {
    canGenerate,
    generatePrivateKey: async (spec) => generatePrivateKey(spec),
    publicKeyOf,
    sign: async (pkcs8, algorithm, message, type) => sign(pkcs8, algorithm, message, type),
    verify: async (spki, algorithm, message, type, signature) => verify(spki, algorithm, message, type, signature),
    signNow: sign,
    verifyNow: verify,
    rsaEncrypt: async (pkcs8, algorithm, plaintext) => rsaEncrypt(pkcs8, algorithm, plaintext),
    rsaDecrypt: async (pkcs8, algorithm, ciphertext) => rsaDecrypt(pkcs8, algorithm, ciphertext),
    deriveSharedSecret: async (pkcs8, peer) => deriveSharedSecret(pkcs8, peer),
  };
}
