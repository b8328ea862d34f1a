// FileProvider writes cost what they change (issue #17 §2): on a store of 1,000 keys, a CreateKey
// appends its two entries (material, then key record) to the file, in place: the same inode,
// every byte that was there unchanged, no .bak written, and the appended bytes hold exactly the
// new key. A write that rewrote the store fails every one of these.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Kms } from 'kmsbox';
import { readEntries } from '../../src/providers/journal.js';
import { decryptStore, headerOf, journalLines, newStore } from './file-fixtures.js';
import { buildStore } from './store-builder.js';

describe('FileProvider: a write costs what it changes', () => {
  it('CreateKey on a 1,000-key store appends about one key, in place; a reader sees it', async () => {
    const store = newStore();
    await buildStore(store.path, store.rootKeyFile, store.rootKey, 1000);
    const kms = new Kms({ provider: store.open() });
    const reader = new Kms({ provider: store.open() });
    expect((await kms.listKeys({ Limit: 1000 })).Keys!.length).toBe(1000);
    expect((await reader.listKeys({ Limit: 1000 })).Keys!.length).toBe(1000);
    await kms.createKey({ Description: 'warm-up' }); // the first write compacts the built store to one with its mark
    const before = readFileSync(store.path);
    const st = statSync(store.path);
    const bak = existsSync(`${store.path}.bak`) ? readFileSync(`${store.path}.bak`) : undefined;
    const entries = journalLines(store.path).length;

    const KeyId = (await kms.createKey({ Description: 'the change' })).KeyMetadata!.KeyId!;

    const after = readFileSync(store.path);
    expect(statSync(store.path).ino).toBe(st.ino); // appended, not replaced
    expect(after.subarray(0, before.length).equals(before)).toBe(true); // nothing that was there rewritten
    const appended = after.length - before.length;
    expect(journalLines(store.path).length).toBe(entries + 2);
    expect(appended).toBeLessThan(4096); // one key record and 32 bytes of material, sealed; the store is ~ 1 MB
    expect(appended * 100).toBeLessThan(before.length);
    if (bak !== undefined) expect(readFileSync(`${store.path}.bak`).equals(bak)).toBe(true);

    // The appended entries hold the new key's record and material, and nothing else.
    const header = headerOf(store.path);
    const { state } = decryptStore(store.path, store.rootKey);
    const lines = journalLines(store.path);
    const all = readEntries(
      store.rootKey,
      { storeId: header.storeId!, generation: header.generation },
      { seq: 0, tag: Buffer.from(readFileSync(store.path, 'utf8').split('\n')[1]!, 'base64').subarray(-16) },
      Buffer.from(`${lines.join('\n')}\n`),
    ).entries;
    const last = all.slice(-2).map((e) => JSON.parse(e.plaintext.toString()) as { records: Array<{ id: string }>; materials: unknown[] });
    expect(last.map((e) => [e.records.length, e.materials.length])).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(last[1]!.records[0]!.id).toBe(state.keys[last[1]!.records[0]!.id]!.arn);
    expect(state.keys[last[1]!.records[0]!.id]!.keyId).toBe(KeyId);

    // Another process that had read the store sees the new key.
    expect((await reader.describeKey({ KeyId })).KeyMetadata!.Description).toBe('the change');
  });
});
