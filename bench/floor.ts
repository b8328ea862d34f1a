/** The floor of one envelope round trip on node:crypto, shared by bench/envelope.ts, bench/ceilings.ts and bench/crypto-backend.ts. */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, randomFillSync } from 'node:crypto';

type Hmac = (algorithm: 'sha256' | 'sha512', key: Uint8Array, ...message: Uint8Array[]) => Buffer;

/** HMAC through createHmac, as kmsbox computes it on node (src/crypto/backend/node.ts). */
const mac: Hmac = (algorithm, key, ...message) => {
  const h = createHmac(algorithm, key);
  for (const m of message) h.update(m);
  return h.digest();
};

/**
 * The node:crypto work of one 4 KiB round trip and nothing else: GenerateDataKey (per-call key
 * HMAC, AES-GCM of the 32-byte DEK), the envelope key schedule and header MAC, and the segment
 * AES-GCM; then Decrypt and the same key schedule and AES-GCM to open. Random bytes come from one
 * fill per round trip. No parsing, validation, policy or allocation of ours. `suite`: whose key
 * schedule — 1 (HKDF-SHA-512, two HMACs, then HMAC-SHA-256 of the header: the floor as first
 * measured) or 2 (one HMAC-SHA-512 over the header, what kmsbox writes since issue #16).
 */
export function cryptoFloor(payload: Uint8Array, suite: 1 | 2 = 1): () => void {
  const material = randomBytes(32);
  const random = Buffer.alloc(92);
  const info = Buffer.from('kmsbox-envelope-v1\0\x01\x01');
  const header = randomBytes(200);
  const one = Buffer.from([1]);
  return () => {
    randomFillSync(random);
    const dek = random.subarray(0, 32);
    const salt = random.subarray(32, 48);
    const nonce = random.subarray(48, 60);
    const messageId = random.subarray(60, 92);
    const segmentNonce = Buffer.alloc(12);
    const kmsSeal = createCipheriv('aes-256-gcm', mac('sha256', material, salt, one), nonce);
    kmsSeal.setAAD(header.subarray(0, 64));
    const wrapped = Buffer.concat([kmsSeal.update(dek), kmsSeal.final()]);
    const kmsTag = kmsSeal.getAuthTag();
    // Suite 1: HKDF-SHA-512 (Extract, one Expand block), then HMAC-SHA-256 of the header; suite 2:
    // HMAC-SHA-512 of counter ‖ label ‖ header ‖ length (the header stands for all of it here).
    const schedule = (key: Uint8Array): [Uint8Array, Uint8Array] => {
      if (suite === 2) {
        const t = mac('sha512', key, header);
        return [t.subarray(0, 32), t.subarray(32)];
      }
      const okm = mac('sha512', mac('sha512', messageId, key), info);
      return [okm.subarray(0, 32), mac('sha256', okm.subarray(32), header)];
    };
    let [encKey, headerMac] = schedule(dek);
    const seal = createCipheriv('aes-256-gcm', encKey, segmentNonce);
    seal.setAAD(headerMac);
    const sealed = Buffer.concat([seal.update(payload), seal.final()]);
    const tag = seal.getAuthTag();
    const kmsOpen = createDecipheriv('aes-256-gcm', mac('sha256', material, salt, one), nonce);
    kmsOpen.setAAD(header.subarray(0, 64));
    kmsOpen.setAuthTag(kmsTag);
    const unwrapped = Buffer.concat([kmsOpen.update(wrapped), kmsOpen.final()]);
    [encKey, headerMac] = schedule(unwrapped);
    const open = createDecipheriv('aes-256-gcm', encKey, segmentNonce);
    open.setAAD(headerMac);
    open.setAuthTag(tag);
    open.update(sealed);
    open.final();
  };
}

/**
 * The node:crypto work of one `kms.encrypt` + `kms.decrypt` of `payload` and nothing else: each way
 * the per-call key (HMAC-SHA256 of the salt under the material's PRK) and
 * the AES-256-GCM, with the 64-byte blob header in the AAD and one copy to join header and
 * ciphertext. What the blob format costs beyond raw AES-GCM (bench/ceilings.ts, core row).
 */
export function blobFloor(payload: Uint8Array, context: Uint8Array): () => void {
  const prk = randomBytes(32);
  const one = Buffer.from([1]);
  const header = randomBytes(64);
  const aad = Buffer.concat([header, context]);
  return () => {
    const random = randomBytes(28);
    const salt = random.subarray(0, 16);
    const nonce = random.subarray(16);
    const c = createCipheriv('aes-256-gcm', mac('sha256', prk, salt, one), nonce);
    c.setAAD(aad);
    const blob = Buffer.concat([header, c.update(payload), c.final(), c.getAuthTag()]);
    const d = createDecipheriv('aes-256-gcm', mac('sha256', prk, salt, one), nonce);
    d.setAAD(aad);
    d.setAuthTag(blob.subarray(blob.length - 16));
    d.update(blob.subarray(64, blob.length - 16));
    d.final();
  };
}
