// encryptFile/decryptFile writing into a directory someone else can write: what they plant at the
// temporary name or at the output name must neither stop the call nor be written through.
import { randomBytes } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Kms, decryptFile, encryptFile } from 'kmsbox/node';
import { tempDir } from '../providers/file-fixtures.js';

/** When set, the next 8 random bytes asked for (decryptFile's temporary name) are these. */
const next8: { bytes?: Uint8Array } = {};
vi.mock('../../src/crypto/random.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/crypto/random.js')>();
  const publicRandomBytes = (n: number): Uint8Array => {
    const fixed = next8.bytes;
    if (n !== 8 || fixed === undefined) return real.publicRandomBytes(n);
    delete next8.bytes;
    return fixed;
  };
  return { ...real, publicRandomBytes };
});

afterEach(() => {
  vi.restoreAllMocks();
  delete next8.bytes;
});

async function envelopeIn(dir: string): Promise<{ kms: Kms; keyId: string; plaintext: Buffer; envelope: string }> {
  const kms = new Kms();
  const keyId = (await kms.createKey({})).KeyMetadata!.KeyId!;
  const plaintext = randomBytes(5000);
  writeFileSync(join(dir, 'in.bin'), plaintext);
  await encryptFile(join(dir, 'in.bin'), join(dir, 'in.kmsbox'), { kms, keyId });
  return { kms, keyId, plaintext, envelope: join(dir, 'in.kmsbox') };
}

describe('encryptFile / decryptFile: files planted in the output directory', () => {
  it('the temporary name cannot be guessed from the pid and the clock: a symlink planted there neither stops nor redirects decryptFile', async () => {
    const dir = tempDir();
    const { kms, keyId, plaintext, envelope } = await envelopeIn(dir);
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    const out = join(dir, 'out.bin');
    const now = 1_800_000_000_000;
    vi.spyOn(Date, 'now').mockReturnValue(now);
    // Every name the pid and the clock (the names used until now) would give.
    const planted = `${out}.${process.pid}.${now}.partial`;
    symlinkSync(victim, planted);
    await decryptFile(envelope, out, { kms, keyIds: [keyId] });
    expect(readFileSync(out).equals(plaintext)).toBe(true);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(planted).isSymbolicLink()).toBe(true); // someone else's file: left alone
    expect(readdirSync(dir).filter((f) => f.endsWith('.partial') && f !== planted.slice(dir.length + 1))).toEqual([]);
  });

  it('a symlink planted at the output name is replaced, not written through: its target is untouched', async () => {
    const dir = tempDir();
    const { kms, keyId, plaintext, envelope } = await envelopeIn(dir);
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    const out = join(dir, 'out.bin');
    symlinkSync(victim, out);
    await decryptFile(envelope, out, { kms, keyIds: [keyId] });
    expect(lstatSync(out).isFile()).toBe(true);
    expect(lstatSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out).equals(plaintext)).toBe(true);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  });

  it('a file already at the temporary name (O_EXCL): a typed error, and that file, not ours, is left as it was', async () => {
    const dir = tempDir();
    const { kms, keyId, envelope } = await envelopeIn(dir);
    const out = join(dir, 'out.bin');
    next8.bytes = new Uint8Array(8).fill(0xab);
    const planted = `${out}.${process.pid}.abababababababab.partial`;
    writeFileSync(planted, 'theirs');
    await expect(decryptFile(envelope, out, { kms, keyIds: [keyId] })).rejects.toMatchObject({
      name: 'ValidationException',
      message: `Cannot read ${envelope} or write ${out}: EEXIST.`,
    });
    expect(readFileSync(planted, 'utf8')).toBe('theirs');
    expect(readdirSync(dir).sort()).toEqual(['in.bin', 'in.kmsbox', `out.bin.${process.pid}.abababababababab.partial`]);
  });

  it('an input that cannot be read: a typed error, and no temporary file is left', async () => {
    const dir = tempDir();
    const { kms, keyId } = await envelopeIn(dir);
    await expect(decryptFile(join(dir, 'missing.kmsbox'), join(dir, 'out.bin'), { kms, keyIds: [keyId] })).rejects.toMatchObject({
      name: 'ValidationException',
    });
    expect(readdirSync(dir).sort()).toEqual(['in.bin', 'in.kmsbox']);
  });
});
