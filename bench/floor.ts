/** The floor of one envelope round trip on node:crypto, shared by bench/envelope.ts and bench/crypto-backend.ts. */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, randomFillSync } from 'node:crypto';

/**
 * The node:crypto work of one 4 KiB round trip and nothing else: GenerateDataKey (per-call key
 * HMAC, AES-GCM of the 32-byte DEK), the envelope key schedule (HKDF-SHA-512 = two HMACs), the
 * header MAC and the segment AES-GCM; then Decrypt and the same three HMACs and AES-GCM to open.
 * Random bytes come from one fill per round trip. No parsing, validation, policy or allocation of
 * ours: what 20x would have to fit under.
 */
export function cryptoFloor(payload: Uint8Array): () => void {
  const material = randomBytes(32);
  const random = Buffer.alloc(92);
  const info = Buffer.from('kmsbox-envelope-v1\0\x01\x01');
  const header = randomBytes(200);
  return () => {
    randomFillSync(random);
    const dek = random.subarray(0, 32);
    const salt = random.subarray(32, 48);
    const nonce = random.subarray(48, 60);
    const messageId = random.subarray(60, 92);
    const segmentNonce = Buffer.alloc(12);
    const kmsSeal = createCipheriv('aes-256-gcm', createHmac('sha256', material).update(salt).digest(), nonce);
    kmsSeal.setAAD(header.subarray(0, 64));
    const wrapped = Buffer.concat([kmsSeal.update(dek), kmsSeal.final()]);
    const kmsTag = kmsSeal.getAuthTag();
    const schedule = (key: Uint8Array) => createHmac('sha512', createHmac('sha512', messageId).update(key).digest()).update(info).digest();
    let okm = schedule(dek);
    let mac = createHmac('sha256', okm.subarray(32)).update(header).digest();
    const seal = createCipheriv('aes-256-gcm', okm.subarray(0, 32), segmentNonce);
    seal.setAAD(mac);
    const sealed = Buffer.concat([seal.update(payload), seal.final()]);
    const tag = seal.getAuthTag();
    const kmsOpen = createDecipheriv('aes-256-gcm', createHmac('sha256', material).update(salt).digest(), nonce);
    kmsOpen.setAAD(header.subarray(0, 64));
    kmsOpen.setAuthTag(kmsTag);
    const unwrapped = Buffer.concat([kmsOpen.update(wrapped), kmsOpen.final()]);
    okm = schedule(unwrapped);
    mac = createHmac('sha256', okm.subarray(32)).update(header).digest();
    const open = createDecipheriv('aes-256-gcm', okm.subarray(0, 32), segmentNonce);
    open.setAAD(mac);
    open.setAuthTag(tag);
    open.update(sealed);
    open.final();
  };
}
