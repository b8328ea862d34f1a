// FileProvider robustness: error messages that never quote the file, stale-lock takeover
// (atomic across processes, and a lock left by an earlier process with our pid), long file
// names, and cleanup of temp files left by killed writers.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Kms } from 'kmsbox';
import { FileProvider } from 'kmsbox/node';
import { tempPath, tempPrefix } from '../../src/providers/atomic-write.js';
import { bundleWorker, newStore, tempDir } from './file-fixtures.js';
import { rejects } from '../api/helpers.js';

/** Above the largest pid_max Linux allows (2^22): never a live process. */
const DEAD_PID = 2 ** 22 + 1;

describe('FileProvider error messages', () => {
  it('a file that is not JSON (an .env, a hex root key) is named but never quoted; .bak only when there is one', async () => {
    const dir = tempDir();
    const rootKeyFile = join(dir, 'root.key');
    writeFileSync(rootKeyFile, Buffer.alloc(32, 9));
    const secrets = {
      '.env': 'SECRET_TOKEN=hunter2-very-secret\nDB_PASSWORD=swordfish\n',
      'other.key': `${'c0ffee'.repeat(10)}abcd\n`,
      'notes.txt': '"quoted secret" plus more',
    };
    for (const [name, text] of Object.entries(secrets)) {
      const path = join(dir, name);
      writeFileSync(path, text);
      const e = await rejects(() => new Kms({ provider: new FileProvider({ path, rootKeyFile }) }).listKeys(), 'KMSInternalException');
      expect(e.message).toContain(path);
      expect(e.message).toMatch(/not a readable key-store file \(not JSON\)/);
      for (const piece of text.match(/\w{4,}/g)!) expect(e.message, name).not.toContain(piece);
      expect(e.message).not.toContain('.bak');
    }
    // a store with a previous generation (a compaction kept it): the message points at it
    const store = newStore();
    const kms = new Kms({ provider: store.open() });
    await kms.createKey();
    await store.open().compact();
    writeFileSync(store.path, secrets['.env']);
    const e = await rejects(() => new Kms({ provider: store.open() }).listKeys(), 'KMSInternalException');
    expect(e.message).toContain(`${store.path}.bak`);
    expect(e.message).not.toContain('hunter2');
  });
});

describe('FileProvider lock', () => {
  it('a lock carrying our own pid that this process does not hold (a restarted container) is stale', async () => {
    const store = newStore();
    mkdirSync(join(store.dir, 'store'), { recursive: true });
    writeFileSync(`${store.path}.lock`, `${process.pid} ${Date.now()}`);
    // The lock is fresh (stale by age only after 30 s) and the provider gives up after 10 s: success
    // means it was taken over for its owner, not waited out (no assertion on elapsed time).
    await new Kms({ provider: new FileProvider({ path: store.path, rootKeyFile: store.rootKeyFile, lockTimeoutMs: 10_000 }) }).createKey();
    expect(existsSync(`${store.path}.lock`)).toBe(false);
  });

  it('but a lock held by another FileProvider in this process is respected: two providers, one file, nothing lost', async () => {
    const store = newStore();
    const a = new Kms({ provider: store.open() });
    const b = new Kms({ provider: store.open() });
    await a.createKey();
    const created = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).createKey().then((r) => r.KeyMetadata!.KeyId)));
    const listed = (await new Kms({ provider: store.open() }).listKeys({ Limit: 1000 })).Keys!.map((k) => k.KeyId);
    expect(created.filter((id) => !listed.includes(id))).toEqual([]);
    expect(listed.length).toBe(31);
  });

  it('a lock of a dead process is taken over quickly, and the lock file is gone afterwards', async () => {
    const store = newStore();
    mkdirSync(join(store.dir, 'store'), { recursive: true });
    writeFileSync(`${store.path}.lock`, `${DEAD_PID} ${Date.now()}`);
    // Fresh by age (30 s) and the default lock timeout is 10 s: success means the dead owner was seen.
    await new Kms({ provider: store.open() }).createKey();
    expect(readdirSync(join(store.dir, 'store')).sort()).toEqual(['keys.kmsbox', 'keys.kmsbox.hwm']);
  });
});

describe('FileProvider stale-lock takeover across processes', () => {
  let worker: string;
  beforeAll(async () => {
    worker = await bundleWorker(new URL('./file-race-worker.ts', import.meta.url));
  });

  it("8 processes meeting a dead process's lock at the same moment, 12 times: one takes it over, no update is lost", async () => {
    const store = newStore();
    await new Kms({ provider: store.open() }).createKey();
    const P = 8;
    const ROUNDS = 12;
    const ROUND_MS = 300;
    const startAt = Date.now() + 1500;
    // just before each round, a lock left by a dead process
    const timers = Array.from({ length: ROUNDS }, (_, r) =>
      setTimeout(
        () => {
          try {
            writeFileSync(`${store.path}.lock`, `${DEAD_PID} ${Date.now()}`, { flag: 'wx' });
          } catch {
            // a live lock is there: this round has no stale one
          }
        },
        startAt - Date.now() + r * ROUND_MS - 30,
      ),
    );
    const outputs = await Promise.all(
      Array.from(
        { length: P },
        () =>
          new Promise<string[]>((resolve, reject) => {
            const child = spawn(
              process.execPath,
              [worker, store.path, store.rootKeyFile, String(startAt), String(ROUNDS), String(ROUND_MS)],
              { stdio: ['ignore', 'pipe', 'pipe'] },
            );
            let out = '';
            let err = '';
            child.stdout.on('data', (d: Buffer) => (out += d.toString()));
            child.stderr.on('data', (d: Buffer) => (err += d.toString()));
            child.on('exit', (code) =>
              code === 0 ? resolve(out.split('\n').filter(Boolean)) : reject(new Error(`worker failed: ${err}`)),
            );
          }),
      ),
    );
    timers.forEach(clearTimeout);
    const reported = outputs.flat();
    expect(reported.length).toBe(P * ROUNDS);
    const listed = (await new Kms({ provider: store.open() }).listKeys({ Limit: 1000 })).Keys!.map((k) => k.KeyId);
    expect(reported.filter((id) => !listed.includes(id))).toEqual([]);
    expect(listed.length).toBe(P * ROUNDS + 1);
  }); // the outcome does not depend on the rounds' timing; on a loaded machine they just run late
});

describe('FileProvider file names', () => {
  it('a store name that is legal with a .bak suffix works (temp names stay short), 240 bytes ASCII, 230 UTF-8', async () => {
    const dir = tempDir();
    const rootKeyFile = join(dir, 'root.key');
    writeFileSync(rootKeyFile, Buffer.alloc(32, 5));
    for (const name of ['a'.repeat(240), 'é'.repeat(115), '鍵'.repeat(75)]) {
      const path = join(dir, name);
      const kms = new Kms({ provider: new FileProvider({ path, rootKeyFile }) });
      await kms.createKey();
      await new FileProvider({ path, rootKeyFile }).compact(); // writes .bak
      await kms.createKey();
      expect((await new Kms({ provider: new FileProvider({ path, rootKeyFile }) }).listKeys()).Keys!.length, name).toBe(2);
      expect(existsSync(`${path}.bak`)).toBe(true);
    }
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp') || n.endsWith('.lock'))).toEqual([]);
  });

  it("temp files of dead writers (store, .bak, lock; new and old names) are removed under the lock, not another store's", async () => {
    const store = newStore();
    const kms = new Kms({ provider: store.open() });
    await kms.createKey();
    const dir = join(store.dir, 'store');
    const sibling = join(dir, 'keys.kmsbox-other'); // shares the first 16 characters of the name
    expect(tempPrefix(sibling).slice(0, 12)).toBe(tempPrefix(store.path).slice(0, 12));
    const withPid = (p: string) => tempPath(p).replace(`.${process.pid}.`, `.${DEAD_PID}.`);
    const orphans = [
      withPid(store.path),
      withPid(`${store.path}.bak`),
      withPid(`${store.path}.lock`),
      tempPath(store.path),
      join(dir, `.keys.kmsbox.${DEAD_PID}.0a1b2c3d4e5f.tmp`),
      join(dir, `.keys.kmsbox.bak.${DEAD_PID}.0a1b2c3d4e5f.tmp`),
    ];
    const kept = [withPid(sibling), join(dir, 'unrelated.tmp')];
    for (const p of [...orphans, ...kept]) writeFileSync(p, 'partial');
    await kms.createKey();
    for (const p of orphans) expect(existsSync(p), p).toBe(false);
    for (const p of kept) expect(existsSync(p), p).toBe(true);
    expect((await new Kms({ provider: store.open() }).listKeys()).Keys!.length).toBe(2);
  });
});
