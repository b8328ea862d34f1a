// FileProvider: a reader that meets another process's write half-way. A writer replaces the store
// first and its high-water mark second, so a reader can read the store of generation g and then
// the mark of g + 1. That is no rollback: the store has changed since it was read, and is read
// again. node:fs is mocked so that the other process's write lands exactly between the two reads.
import * as realFs from 'node:fs';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Kms } from 'kmsbox';
import { FileProvider } from 'kmsbox/node';
import { newStore, tempDir } from './file-fixtures.js';
import { rejects } from '../api/helpers.js';

/** Called after each readFileSync of `path` (by name, or by an fd opened on it) by the code under test (once, then cleared). */
const after: { path?: string; then?: () => void } = {};

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const fdPaths = new Map<number, string>(); // readRegularFile reads through an fd
  const openSync = ((path: realFs.PathLike, ...rest: unknown[]) => {
    const fd = (fs.openSync as (...a: unknown[]) => number)(path, ...rest);
    fdPaths.set(fd, String(path));
    return fd;
  }) as typeof fs.openSync;
  const readFileSync = ((path: realFs.PathOrFileDescriptor, ...rest: unknown[]) => {
    const result = (fs.readFileSync as (...a: unknown[]) => unknown)(path, ...rest);
    const name = typeof path === 'number' ? fdPaths.get(path) : String(path);
    if (after.path !== undefined && name === after.path) {
      const then = after.then!;
      delete after.path;
      delete after.then;
      then();
    }
    return result;
  }) as typeof fs.readFileSync;
  const mocked = { ...fs, openSync, readFileSync };
  return { ...mocked, default: mocked };
});

afterEach(() => {
  delete after.path;
  delete after.then;
});

/** A store at some generation, and the store and mark files of its next generation (made in a copy, same id and root key). */
async function storeAndItsNextGeneration() {
  const store = newStore();
  const kms = new Kms({ provider: store.open() });
  await kms.createKey({ Description: 'first' });
  await kms.createKey({ Description: 'second' }); // the store now records that its mark exists
  const copyDir = tempDir();
  cpSync(join(store.dir, 'store'), copyDir, { recursive: true });
  const copyPath = join(copyDir, 'keys.kmsbox');
  await new Kms({ provider: new FileProvider({ path: copyPath, rootKeyFile: store.rootKeyFile }) }).createKey({ Description: 'third' });
  const next = { store: readFileSync(copyPath), hwm: readFileSync(`${copyPath}.hwm`) };
  /** What the other process does: the store first, then its mark, each replaced atomically. */
  const write = (what: 'store' | 'hwm') => () => {
    const target = what === 'store' ? store.path : `${store.path}.hwm`;
    realFs.writeFileSync(`${target}.new`, next[what]);
    realFs.renameSync(`${target}.new`, target);
  };
  return { store, write };
}

describe('FileProvider: a read that meets a write half-way', () => {
  it('the store read before the write, the mark after it: read again, no refusal, the newer generation is seen', async () => {
    const { store, write } = await storeAndItsNextGeneration();
    const reader = new Kms({ provider: store.open() });
    after.path = store.path;
    after.then = () => {
      write('store')();
      write('hwm')();
    };
    const keys = (await reader.listKeys()).Keys!;
    expect(after.path).toBeUndefined(); // the write really landed between the two reads
    expect(keys.length).toBe(3);
  });

  it('a process that has seen a generation reads again just the same', async () => {
    const { store, write } = await storeAndItsNextGeneration();
    const reader = new Kms({ provider: store.open() });
    expect((await reader.listKeys()).Keys!.length).toBe(2);
    // The same bytes in a new file (a new inode): the reader must load it whole again, store and mark.
    realFs.copyFileSync(store.path, `${store.path}.same`);
    realFs.renameSync(`${store.path}.same`, store.path);
    after.path = store.path;
    after.then = () => {
      write('store')();
      write('hwm')();
    };
    expect((await reader.listKeys()).Keys!.length).toBe(3);
  });

  it('but an older store that stays in place while the mark is read is refused', async () => {
    const { store, write } = await storeAndItsNextGeneration();
    write('hwm')(); // the mark of the next generation, the store not: as if the store had been rolled back
    after.path = store.path;
    after.then = () => undefined;
    await rejects(
      () => new Kms({ provider: store.open() }).listKeys(),
      'KMSInternalException',
      /rolled back: generation (\d+) with \d+ journal entries, but its high-water mark .* records generation \1 with \d+/,
    );
  });
});
