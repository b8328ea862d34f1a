/** The floor of one envelope round trip on node:crypto, shared by bench/envelope.ts, bench/ceilings.ts and bench/crypto-backend.ts. */
import { createCipheriv, createDecipheriv, createHmac, hash, randomBytes, randomFillSync } from 'node:crypto';

type Hmac = (algorithm: 'sha256' | 'sha512', key: Uint8Array, ...message: Uint8Array[]) => Buffer;

/** HMAC through createHmac: an object and four crossings into C++ per call (kmsbox until issue #16). */
const viaCreateHmac: Hmac = (algorithm, key, ...message) => {
  const h = createHmac(algorithm, key);
  for (const m of message) h.update(m);
  return h.digest();
};

/**
 * HMAC (RFC 2104) as two one-shot `crypto.hash` calls, as kmsbox's node backend computes it since
 * issue #16 (src/crypto/backend/node.ts): the same bytes, fewer and cheaper native calls. Keys
 * here are at most one block long.
 */
const scratch = Buffer.alloc(128 + 256);
const viaHash: Hmac = (algorithm, key, ...message) => {
  const block = algorithm === 'sha256' ? 64 : 128;
  for (let i = 0; i < key.length; i++) scratch[i] = key[i]! ^ 0x36;
  scratch.fill(0x36, key.length, block);
  let at = block;
  for (const m of message) {
    scratch.set(m, at);
    at += m.length;
  }
  const inner = hash(algorithm, scratch.subarray(0, at), 'buffer');
  for (let i = 0; i < key.length; i++) scratch[i] = key[i]! ^ 0x5c;
  scratch.fill(0x5c, key.length, block);
  scratch.set(inner, block);
  return hash(algorithm, scratch.subarray(0, block + inner.length), 'buffer');
};

/**
 * The node:crypto work of one 4 KiB round trip and nothing else: GenerateDataKey (per-call key
 * HMAC, AES-GCM of the 32-byte DEK), the envelope key schedule (HKDF-SHA-512 = two HMACs), the
 * header MAC and the segment AES-GCM; then Decrypt and the same three HMACs and AES-GCM to open.
 * Random bytes come from one fill per round trip. No parsing, validation, policy or allocation of
 * ours. `hmac`: how the HMACs are computed — 'createHmac' (the floor as first measured) or
 * 'oneShot' (two `crypto.hash` calls each, the calls kmsbox makes since issue #16).
 */
export function cryptoFloor(payload: Uint8Array, hmac: 'createHmac' | 'oneShot' = 'createHmac'): () => void {
  const mac = hmac === 'oneShot' ? viaHash : viaCreateHmac;
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
    const schedule = (key: Uint8Array) => mac('sha512', mac('sha512', messageId, key), info);
    let okm = schedule(dek);
    let headerMac = mac('sha256', okm.subarray(32), header);
    const seal = createCipheriv('aes-256-gcm', okm.subarray(0, 32), segmentNonce);
    seal.setAAD(headerMac);
    const sealed = Buffer.concat([seal.update(payload), seal.final()]);
    const tag = seal.getAuthTag();
    const kmsOpen = createDecipheriv('aes-256-gcm', mac('sha256', material, salt, one), nonce);
    kmsOpen.setAAD(header.subarray(0, 64));
    kmsOpen.setAuthTag(kmsTag);
    const unwrapped = Buffer.concat([kmsOpen.update(wrapped), kmsOpen.final()]);
    okm = schedule(unwrapped);
    headerMac = mac('sha256', okm.subarray(32), header);
    const open = createDecipheriv('aes-256-gcm', okm.subarray(0, 32), segmentNonce);
    open.setAAD(headerMac);
    open.setAuthTag(tag);
    open.update(sealed);
    open.final();
  };
}

/**
 * The node:crypto work of one `kms.encrypt` + `kms.decrypt` of `payload` and nothing else: each way
 * the per-call key (HMAC-SHA256 of the salt under the material's PRK, two `crypto.hash` calls) and
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
    const c = createCipheriv('aes-256-gcm', viaHash('sha256', prk, salt, one), nonce);
    c.setAAD(aad);
    const blob = Buffer.concat([header, c.update(payload), c.final(), c.getAuthTag()]);
    const d = createDecipheriv('aes-256-gcm', viaHash('sha256', prk, salt, one), nonce);
    d.setAAD(aad);
    d.setAuthTag(blob.subarray(blob.length - 16));
    d.update(blob.subarray(64, blob.length - 16));
    d.final();
  };
}
