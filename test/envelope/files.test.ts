// kmsbox/node encryptFile/decryptFile: files of any size through envelope streams; the output file
// appears only when decryption succeeded completely, so a tampered or truncated envelope leaves
// no partial plaintext on disk.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Kms, decryptFile, encryptFile, inspectEnvelope, type KmsLike } from 'kmsbox/node';
import { tempDir } from '../providers/file-fixtures.js';

describe('encryptFile / decryptFile', () => {
  it('round trip, and nothing is written when the envelope is tampered with or cut short', async () => {
    const kms = new Kms();
    const keyId = (await kms.createKey({})).KeyMetadata!.KeyId!;
    const dir = tempDir();
    const original = randomBytes(3 * 262144 + 999);
    writeFileSync(join(dir, 'in.bin'), original);
    // 256 KiB segments (four here): the cut below removes the last segment and part of the one before.
    await encryptFile(join(dir, 'in.bin'), join(dir, 'in.bin.kmsbox'), {
      kms,
      keyId,
      encryptionContext: { file: 'in.bin' },
      segmentSize: 262144,
    });
    const envelope = readFileSync(join(dir, 'in.bin.kmsbox'));
    expect(inspectEnvelope(envelope).encryptionContext).toEqual({ file: 'in.bin' });
    await decryptFile(join(dir, 'in.bin.kmsbox'), join(dir, 'out.bin'), { kms, discovery: true, encryptionContext: { file: 'in.bin' } });
    expect(readFileSync(join(dir, 'out.bin')).equals(original)).toBe(true);

    const tampered = Buffer.from(envelope);
    tampered[tampered.length - 100]! ^= 1;
    writeFileSync(join(dir, 'bad.kmsbox'), tampered);
    await expect(decryptFile(join(dir, 'bad.kmsbox'), join(dir, 'bad.out'), { kms, discovery: true })).rejects.toMatchObject({
      name: 'InvalidCiphertextException',
    });
    writeFileSync(join(dir, 'short.kmsbox'), envelope.subarray(0, envelope.length - 262165));
    await expect(decryptFile(join(dir, 'short.kmsbox'), join(dir, 'short.out'), { kms, discovery: true })).rejects.toMatchObject({
      name: 'InvalidCiphertextException',
    });
    expect(existsSync(join(dir, 'bad.out'))).toBe(false);
    expect(existsSync(join(dir, 'short.out'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });
});

/** A KMS whose `decrypt` / `generateDataKey` wait until `open()`: the file operation is held mid-stream. */
function gatedKms(kms: Kms): { kms: KmsLike; entered: Promise<void>; open: () => void } {
  let open!: () => void;
  let entered!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const enteredP = new Promise<void>((r) => (entered = r));
  const hold = async <T>(call: () => Promise<T>): Promise<T> => {
    entered();
    await gate;
    return call();
  };
  return {
    kms: {
      generateDataKey: (input) => hold(() => kms.generateDataKey(input)),
      encrypt: (input) => hold(() => kms.encrypt(input)),
      decrypt: (input) => hold(() => kms.decrypt(input)),
    },
    entered: enteredP,
    open,
  };
}

/** Waits (by polling the directory, not by a deadline) until the `.partial` file is there. */
async function partialIn(dir: string): Promise<string> {
  for (;;) {
    const found = readdirSync(dir).find((f) => f.endsWith('.partial'));
    if (found !== undefined) return join(dir, found);
    await new Promise((r) => setImmediate(r));
  }
}

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('file modes: the temporary and the final file are 0600 whatever the umask leaves', () => {
  let umask = 0;
  beforeEach(() => {
    umask = process.umask(0o022); // the usual umask, under which a default-mode file would be 0644
  });
  afterEach(() => {
    process.umask(umask);
  });

  it('decryptFile: the .partial file (plaintext while streaming) and the output', async () => {
    const kms = new Kms();
    const keyId = (await kms.createKey({})).KeyMetadata!.KeyId!;
    const dir = tempDir();
    writeFileSync(join(dir, 'in.bin'), randomBytes(2 * 262144 + 5));
    await encryptFile(join(dir, 'in.bin'), join(dir, 'in.kmsbox'), { kms, keyId, segmentSize: 262144 });
    const gated = gatedKms(kms);
    const done = decryptFile(join(dir, 'in.kmsbox'), join(dir, 'out.bin'), { kms: gated.kms, keyIds: [keyId] });
    await gated.entered;
    const partial = await partialIn(dir);
    expect(mode(partial)).toBe(0o600);
    gated.open();
    await done;
    expect(mode(join(dir, 'out.bin'))).toBe(0o600);
    expect(readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('encryptFile: its temporary file and the envelope', async () => {
    const kms = new Kms();
    const keyId = (await kms.createKey({})).KeyMetadata!.KeyId!;
    const dir = tempDir();
    writeFileSync(join(dir, 'in.bin'), randomBytes(1000));
    const gated = gatedKms(kms);
    const done = encryptFile(join(dir, 'in.bin'), join(dir, 'in.kmsbox'), { kms: gated.kms, keyId });
    await gated.entered;
    expect(mode(await partialIn(dir))).toBe(0o600);
    gated.open();
    await done;
    expect(mode(join(dir, 'in.kmsbox'))).toBe(0o600);
  });
});
