// Whoever can write the store's directory (a shared directory, a restored backup) plants files
// the FileProvider reads: a lock that claims to be fresh forever, a FIFO or a device where the
// store, its high-water mark or its lock belongs. Each must end in a typed error or a takeover,
// never in a process that waits forever.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Kms } from 'kmsbox';
import { FileProvider } from 'kmsbox/node';
import { tempPrefix } from '../../src/providers/atomic-write.js';
import { headerOf, newStore } from './file-fixtures.js';

/** Above the largest pid_max Linux allows (2^22): never a live process. */
const DEAD_PID = 2 ** 22 + 1;

const root = new URL('../..', import.meta.url).pathname;
const DAY_MS = 24 * 3600 * 1000;

describe('FileProvider lock planted by someone who can write the directory', () => {
  it('a lock dated in the future, naming a live process (not ours), is stale: it cannot hold the store forever', async () => {
    const store = newStore();
    mkdirSync(join(store.dir, 'store'), { recursive: true });
    // process.ppid is alive and not this process; the date is a day ahead, so "older than 30 s" never comes.
    writeFileSync(`${store.path}.lock`, `${process.ppid} ${Date.now() + DAY_MS}`);
    const provider = new FileProvider({ path: store.path, rootKeyFile: store.rootKeyFile, lockTimeoutMs: 3000 });
    await new Kms({ provider }).createKey();
    expect(existsSync(`${store.path}.lock`)).toBe(false);
  });

  it('the same for the break lock that serializes takeovers: one dated in the future does not stop the takeover of a dead lock', async () => {
    const store = newStore();
    mkdirSync(join(store.dir, 'store'), { recursive: true });
    writeFileSync(`${store.path}.lock`, `${DEAD_PID} ${Date.now()}`);
    writeFileSync(join(store.dir, 'store', `${tempPrefix(`${store.path}.lock`)}break`), `${process.ppid} ${Date.now() + DAY_MS}`);
    const provider = new FileProvider({ path: store.path, rootKeyFile: store.rootKeyFile, lockTimeoutMs: 3000 });
    await new Kms({ provider }).createKey();
    expect(existsSync(`${store.path}.lock`)).toBe(false);
  });

  it('a lock dated a few seconds ahead (clocks of two hosts on a shared disk) is still respected', async () => {
    const store = newStore();
    mkdirSync(join(store.dir, 'store'), { recursive: true });
    writeFileSync(`${store.path}.lock`, `${process.ppid} ${Date.now() + 5000}`);
    const provider = new FileProvider({ path: store.path, rootKeyFile: store.rootKeyFile, lockTimeoutMs: 200 });
    await expect(new Kms({ provider }).createKey()).rejects.toMatchObject({
      name: 'KMSInternalException',
      message: `Key store ${store.path} is locked by another process (${store.path}.lock).`,
    });
  });
});

/**
 * Runs a FileProvider on `path` in a child process with a deadline: reading a FIFO or a device
 * blocks the whole process (readFileSync), so only a child can show it. Returns what it printed.
 */
function openInChild(
  path: string,
  rootKeyFile: string,
  call: 'listKeys' | 'createKey' = 'listKeys',
): { status: number | null; out: string } {
  const script = `
    import { Kms } from './src/index.ts';
    import { FileProvider } from './src/node.ts';
    const kms = new Kms({ provider: new FileProvider({ path: ${JSON.stringify(path)}, rootKeyFile: ${JSON.stringify(rootKeyFile)}, lockTimeoutMs: 2000 }) });
    try { await kms.${call}(); console.log('opened'); } catch (e) { console.log(e.name + ': ' + e.message); }
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, out: r.stdout.trim() };
}

describe('FileProvider: what is not a regular file where a file of the store belongs', () => {
  it('a FIFO as the store: a typed error, not a process blocked forever', () => {
    const store = newStore();
    mkdirSync(join(store.dir, 'store'), { recursive: true });
    execFileSync('mkfifo', [store.path]);
    expect(openInChild(store.path, store.rootKeyFile)).toEqual({
      status: 0,
      out: `KMSInternalException: Key store ${store.path} cannot be used: it is not a regular file.`,
    });
  });

  it('a FIFO as its high-water mark: a typed error, not a process blocked forever', async () => {
    const marked = newStore();
    await new Kms({ provider: marked.open() }).createKey();
    rmSync(`${marked.path}.hwm`);
    execFileSync('mkfifo', [`${marked.path}.hwm`]);
    expect(openInChild(marked.path, marked.rootKeyFile)).toEqual({
      status: 0,
      out: `KMSInternalException: Key store ${marked.path} cannot be used: its high-water mark ${marked.path}.hwm is not a regular file.`,
    });
  });

  it('a FIFO as its lock: waited for like a live lock, then a typed timeout, not a process blocked forever', async () => {
    const locked = newStore();
    await new Kms({ provider: locked.open() }).createKey();
    execFileSync('mkfifo', [`${locked.path}.lock`]);
    expect(openInChild(locked.path, locked.rootKeyFile, 'createKey')).toEqual({
      status: 0,
      out: `KMSInternalException: Key store ${locked.path} is locked by another process (${locked.path}.lock).`,
    });
  });

  it('a symlink to a device (/dev/zero, endless) as the store: a typed error, no unbounded read', async () => {
    const store = newStore();
    mkdirSync(join(store.dir, 'store'), { recursive: true });
    symlinkSync('/dev/zero', store.path);
    expect(openInChild(store.path, store.rootKeyFile)).toEqual({
      status: 0,
      out: `KMSInternalException: Key store ${store.path} cannot be used: it is not a regular file.`,
    });
  });
});

describe('FileProvider file modes: owner-only whatever the umask leaves', () => {
  let umask = 0;
  beforeEach(() => {
    umask = process.umask(0o022); // the usual umask, under which a default-mode file is 0644
  });
  afterEach(() => {
    process.umask(umask);
  });
  const mode = (path: string): number => statSync(path).mode & 0o777;

  it('the directory it creates 0700; the store, .bak, .hwm and the lock (seen while held) 0600', async () => {
    const store = newStore();
    const provider = store.open();
    const kms = new Kms({ provider });
    await kms.createKey();
    await provider.resetHighWaterMark(); // a compaction: the previous file becomes .bak
    let lockMode = 0;
    await provider.update(() => {
      lockMode = mode(`${store.path}.lock`);
    });
    expect(lockMode).toBe(0o600);
    expect(mode(join(store.dir, 'store'))).toBe(0o700);
    for (const suffix of ['', '.bak', '.hwm']) expect(mode(`${store.path}${suffix}`), suffix).toBe(0o600);
  });

  it('a deeply nested JSON store (a million levels) is a typed error before any key is derived, not a stack overflow', async () => {
    const store = newStore();
    mkdirSync(join(store.dir, 'store'), { recursive: true });
    writeFileSync(store.path, `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`);
    await expect(new Kms({ provider: store.open() }).listKeys()).rejects.toMatchObject({
      name: 'KMSInternalException',
      message: `Key store ${store.path} cannot be used: it is not a kmsbox key store (format/version fields missing or unknown).`,
    });
    writeFileSync(store.path, `{"format":"kmsbox-store","version":2,"kdf":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`);
    await expect(new Kms({ provider: store.open() }).listKeys()).rejects.toMatchObject({
      name: 'KMSInternalException',
      message: `Key store ${store.path} cannot be used: it is not a kmsbox key store (fields of version 2 missing or malformed).`,
    });
  });
});

describe('FileProvider: the generation resetHighWaterMark writes, put back later with the mark deleted', () => {
  it('is refused by a new process: it records that its mark exists (else its .bak copy undid every later change)', async () => {
    const store = newStore();
    const kms = new Kms({ provider: store.open() });
    const { KeyMetadata } = await kms.createKey();
    await kms.createKey();
    await store.open().resetHighWaterMark(); // e.g. after restoring a backup on purpose
    const resetGeneration = readFileSync(store.path);
    expect(headerOf(store.path).hwm).toBe(true);
    await kms.disableKey({ KeyId: KeyMetadata!.KeyId! });
    // The attacker: write access to the directory, no root key. A copy of the reset generation (its
    // snapshot without the entries after it: what the next compaction's .bak begins with).
    writeFileSync(store.path, resetGeneration);
    rmSync(`${store.path}.hwm`);
    await expect(new Kms({ provider: store.open() }).describeKey({ KeyId: KeyMetadata!.KeyId! })).rejects.toMatchObject({
      name: 'KMSInternalException',
      message: expect.stringContaining(`its high-water mark ${store.path}.hwm is missing, though the store says it was written`),
    });
  });

  it('a journal entry written after the mark records it: cut back to it with the mark deleted, refused', async () => {
    const store = newStore();
    const kms = new Kms({ provider: store.open() });
    await kms.createKey(); // generation 0: the new key's material (before the mark); entry 0: its record (after)
    expect(headerOf(store.path)).toMatchObject({ generation: 0, hwm: false });
    const withRecord = readFileSync(store.path);
    await kms.createKey();
    writeFileSync(store.path, withRecord);
    rmSync(`${store.path}.hwm`);
    await expect(new Kms({ provider: store.open() }).listKeys()).rejects.toMatchObject({
      name: 'KMSInternalException',
      message: expect.stringContaining(`its high-water mark ${store.path}.hwm is missing, though the store says it was written`),
    });
  });

  it('what a new store cannot prove: its first generation (written before its mark) put back with the mark deleted is accepted', async () => {
    const first = newStore();
    const provider = first.open();
    await provider.createMaterial('SYMMETRIC_DEFAULT'); // generation 0, before any mark
    const firstGeneration = readFileSync(first.path);
    await new Kms({ provider }).createKey();
    expect(headerOf(first.path)).toMatchObject({ generation: 0, hwm: false });
    writeFileSync(first.path, firstGeneration);
    rmSync(`${first.path}.hwm`);
    // As good as deleting store and mark together (which starts afresh): no key record in it.
    expect((await new Kms({ provider: first.open() }).listKeys()).Keys).toEqual([]);
  });
});
