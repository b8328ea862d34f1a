// kmsbox/node encryptFile/decryptFile: files of any size through envelope streams; the output file
// appears only when decryption succeeded completely, so a tampered or truncated envelope leaves
// no partial plaintext on disk.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Kms, decryptFile, encryptFile, inspectEnvelope } from 'kmsbox/node';
import { tempDir } from '../providers/file-fixtures.js';

describe('encryptFile / decryptFile', () => {
  it('round trip, and nothing is written when the envelope is tampered with or cut short', async () => {
    const kms = new Kms();
    const keyId = (await kms.createKey({})).KeyMetadata!.KeyId!;
    const dir = tempDir();
    const original = randomBytes(3 * 262144 + 999);
    writeFileSync(join(dir, 'in.bin'), original);
    await encryptFile(join(dir, 'in.bin'), join(dir, 'in.bin.kmsbox'), { kms, keyId, encryptionContext: { file: 'in.bin' } });
    const envelope = readFileSync(join(dir, 'in.bin.kmsbox'));
    expect(inspectEnvelope(envelope).encryptionContext).toEqual({ file: 'in.bin' });
    await decryptFile(join(dir, 'in.bin.kmsbox'), join(dir, 'out.bin'), { kms, discovery: true, encryptionContext: { file: 'in.bin' } });
    expect(readFileSync(join(dir, 'out.bin')).equals(original)).toBe(true);

    const tampered = Buffer.from(envelope);
    tampered[tampered.length - 100]! ^= 1;
    writeFileSync(join(dir, 'bad.kmsbox'), tampered);
    await expect(decryptFile(join(dir, 'bad.kmsbox'), join(dir, 'bad.out'), { kms, discovery: true })).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    writeFileSync(join(dir, 'short.kmsbox'), envelope.subarray(0, envelope.length - 262165));
    await expect(decryptFile(join(dir, 'short.kmsbox'), join(dir, 'short.out'), { kms, discovery: true })).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    expect(existsSync(join(dir, 'bad.out'))).toBe(false);
    expect(existsSync(join(dir, 'short.out'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });
});
