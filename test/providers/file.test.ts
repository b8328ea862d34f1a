// FileProvider: the conformance suite, plus what only a file store has to show.
import { readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Kms } from 'kmsbox';
import { FileProvider } from 'kmsbox/node';
import { describeProviderConformance } from '../conformance/suite.js';
import { decryptStore, generationOf, headerOf, journalLines, newStore, tempDir } from './file-fixtures.js';
import { rejects } from '../api/helpers.js';

describeProviderConformance('FileProvider', () => newStore().open());

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('FileProvider', () => {
  it('persists: a new provider on the same file decrypts old ciphertexts, sees aliases, rotations and state', async () => {
    const store = newStore();
    const kms = new Kms({ provider: store.open() });
    const { KeyMetadata } = await kms.createKey({ Description: 'lasting', Tags: [{ TagKey: 'k', TagValue: 'v' }] });
    await kms.createAlias({ AliasName: 'alias/lasting', TargetKeyId: KeyMetadata!.KeyId });
    const before = await kms.encrypt({ KeyId: 'alias/lasting', Plaintext: utf8('v1'), EncryptionContext: { a: 'b' } });
    await kms.rotateKeyOnDemand({ KeyId: KeyMetadata!.KeyId });
    const after = await kms.encrypt({ KeyId: 'alias/lasting', Plaintext: utf8('v2') });
    await kms.disableKey({ KeyId: KeyMetadata!.KeyId });

    const reopened = new Kms({ provider: store.open() });
    const md = (await reopened.describeKey({ KeyId: 'alias/lasting' })).KeyMetadata!;
    expect([md.Description, md.KeyState]).toEqual(['lasting', 'Disabled']);
    await reopened.enableKey({ KeyId: md.KeyId });
    expect(
      new TextDecoder().decode(
        (await reopened.decrypt({ CiphertextBlob: before.CiphertextBlob, EncryptionContext: { a: 'b' } })).Plaintext,
      ),
    ).toBe('v1');
    expect(new TextDecoder().decode((await reopened.decrypt({ CiphertextBlob: after.CiphertextBlob })).Plaintext)).toBe('v2');
    expect((await reopened.listResourceTags({ KeyId: md.KeyId })).Tags).toEqual([{ TagKey: 'k', TagValue: 'v' }]);
    // and the first provider sees the second one's change without reopening
    expect((await kms.describeKey({ KeyId: md.KeyId })).KeyMetadata!.KeyState).toBe('Enabled');
  });

  it('creates the file 0600 in a 0700 directory; writes append to the journal; a compaction keeps the previous file as .bak', async () => {
    const store = newStore();
    let kms = new Kms({ provider: store.open() }); // the default threshold: a journal this small is not compacted
    await kms.createKey();
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(store.dir, 'store')).mode & 0o777).toBe(0o700);
    const generation = generationOf(store.path);
    const entries = journalLines(store.path).length;
    expect(entries).toBeGreaterThan(0);
    await kms.tagResource({ KeyId: (await kms.listKeys()).Keys![0]!.KeyId!, Tags: [{ TagKey: 'a', TagValue: 'b' }] });
    expect(generationOf(store.path)).toBe(generation); // one more entry, the same snapshot
    expect(journalLines(store.path).length).toBe(entries + 1);
    // Creating keys until the journal outgrows the snapshot: the next generation, with an empty journal.
    kms = new Kms({ provider: new FileProvider({ path: store.path, rootKeyFile: store.rootKeyFile, compactAfterBytes: 0 }) });
    let before = readFileSync(store.path);
    while (generationOf(store.path) === generation) {
      before = readFileSync(store.path);
      await kms.createKey();
    }
    expect(generationOf(store.path)).toBe(generation + 1);
    expect(journalLines(store.path).length).toBeLessThanOrEqual(1); // CreateKey writes twice: material, then the key
    expect(generationOf(`${store.path}.bak`)).toBe(generation);
    expect(readFileSync(`${store.path}.bak`).subarray(0, before.length).equals(before)).toBe(true); // the old file, with the entry that made it compact
    expect(existsSync(`${store.path}.lock`)).toBe(false);
    expect((await new Kms({ provider: store.open() }).listKeys()).Keys!.length).toBe((await kms.listKeys()).Keys!.length);
  });

  it('holds no key material, data key or plaintext in the clear', async () => {
    const store = newStore();
    const kms = new Kms({ provider: store.open() });
    const { KeyMetadata } = await kms.createKey();
    const dk = await kms.generateDataKey({ KeyId: KeyMetadata!.KeyId, KeySpec: 'AES_256' });
    const raw = readFileSync(store.path);
    const text = raw.toString('latin1');
    // The material is in the encrypted payload (the root key's holder can see it) ...
    const payload = decryptStore(store.path, store.rootKey);
    const materials = Object.values(payload.materials).map((m) => Buffer.from(m.key, 'base64'));
    expect(materials.length).toBe(1);
    expect(materials[0]!.length).toBe(32);
    // ... and in no form in the file itself; nor is the data key (never stored) or the key's record.
    for (const secret of [...materials, Buffer.from(dk.Plaintext!)]) {
      expect(raw.includes(secret)).toBe(false);
      for (const form of [secret.toString('hex'), secret.toString('base64'), secret.toString('base64url')])
        expect(text).not.toContain(form);
    }
    expect(text).not.toContain(KeyMetadata!.KeyId!);
  });

  it('a passphrase store: the right passphrase opens it; a wrong one is AccessDeniedException and changes nothing', async () => {
    const dir = tempDir();
    const path = join(dir, 'p.kmsbox');
    const kms = new Kms({ provider: new FileProvider({ path, passphrase: 'correct horse', scrypt: { N: 2 ** 12 } }) });
    const { KeyMetadata } = await kms.createKey();
    const kdf = headerOf(path).kdf;
    expect(kdf).toMatchObject({ name: 'scrypt', N: 4096, r: 8, p: 1 });
    const bytes = readFileSync(path);
    const wrong = new Kms({ provider: new FileProvider({ path, passphrase: 'wrong horse' }) });
    await rejects(
      () => wrong.describeKey({ KeyId: KeyMetadata!.KeyId }),
      'AccessDeniedException',
      `Cannot open key store ${path}: wrong passphrase or root key.`,
    );
    await rejects(() => wrong.createKey(), 'AccessDeniedException');
    expect(readFileSync(path).equals(bytes)).toBe(true);
    const right = new Kms({ provider: new FileProvider({ path, passphrase: 'correct horse' }) });
    expect((await right.describeKey({ KeyId: KeyMetadata!.KeyId })).KeyMetadata!.KeyState).toBe('Enabled');
    // The default cost is OWASP's minimum for scrypt.
    const fresh = join(dir, 'default.kmsbox');
    await new Kms({ provider: new FileProvider({ path: fresh, passphrase: 'x' }) }).listKeys();
    expect(existsSync(fresh)).toBe(false); // reads create nothing
    await new Kms({ provider: new FileProvider({ path: fresh, passphrase: 'x' }) }).createKey();
    expect(headerOf(fresh).kdf).toMatchObject({ N: 2 ** 17, r: 8, p: 1 });
  });

  it('a damaged, truncated or foreign file is a typed error naming the file, never an empty store', async () => {
    const store = newStore();
    await new Kms({ provider: store.open() }).createKey();
    const good = readFileSync(store.path);
    const [header, payload, ...journal] = good.toString().split('\n');
    expect(journal.length).toBeGreaterThan(1); // an entry, and the empty piece after its `\n`
    const damage: Record<string, Buffer> = {
      truncated: good.subarray(0, header!.length >> 1),
      'payload line cut off': good.subarray(0, header!.length + 1 + (payload!.length >> 1)),
      'journal entry cut off (its mark remains)': Buffer.from(`${header}\n${payload}\n${journal[0]!.slice(0, 10)}`),
      'journal entry dropped (its mark remains)': Buffer.from(`${header}\n${payload}\n`),
      empty: Buffer.alloc(0),
      'flipped payload byte': (() => {
        const p = Buffer.from(payload!, 'base64');
        p[10]! ^= 1;
        return Buffer.from([header, p.toString('base64'), ...journal].join('\n'));
      })(),
      'flipped journal byte': (() => {
        const e = Buffer.from(journal[0]!, 'base64');
        e[20]! ^= 1;
        return Buffer.from([header, payload, e.toString('base64'), ...journal.slice(1)].join('\n'));
      })(),
      'edited generation': Buffer.from(good.toString().replace(/"generation":(\d+)/, (_, n) => `"generation":${Number(n) + 5}`)),
      'payload in the header line': Buffer.from([JSON.stringify({ ...JSON.parse(header!), payload }), payload, ...journal].join('\n')),
      'version 3 in one line': Buffer.from(JSON.stringify({ ...JSON.parse(header!), payload })),
      foreign: Buffer.from('{"hello": "world"}'),
    };
    for (const [what, bytes] of Object.entries(damage)) {
      writeFileSync(store.path, bytes);
      const e = await rejects(() => new Kms({ provider: store.open() }).listKeys(), 'KMSInternalException');
      expect(e.message, what).toContain(store.path);
    }
    writeFileSync(store.path, good);
    expect((await new Kms({ provider: store.open() }).listKeys()).Keys!.length).toBe(1);
  });

  it('refuses bad options with ValidationException, and a bad root key file with AccessDeniedException', async () => {
    expect(() => new FileProvider({ path: '' } as never)).toThrow(/path/);
    expect(() => new FileProvider({ path: '/tmp/x' } as never)).toThrow(/exactly one of passphrase and rootKeyFile/);
    expect(() => new FileProvider({ path: '/tmp/x', passphrase: 'a', rootKeyFile: 'b' })).toThrow(/exactly one/);
    const dir = tempDir();
    writeFileSync(join(dir, 'short.key'), 'abc');
    const kms = new Kms({ provider: new FileProvider({ path: join(dir, 's'), rootKeyFile: join(dir, 'short.key') }) });
    await rejects(() => kms.createKey(), 'AccessDeniedException', /must hold 32 bytes/);
    const hexKey = join(dir, 'hex.key');
    writeFileSync(hexKey, `${'ab'.repeat(32)}\n`);
    await new Kms({ provider: new FileProvider({ path: join(dir, 'h'), rootKeyFile: hexKey }) }).createKey();
  });
});

describe('FileProvider root key derivation', () => {
  it('is standard scrypt: the store opens with a root key @noble/hashes derives from the same passphrase and parameters', async () => {
    const { scrypt } = await import('@noble/hashes/scrypt.js');
    const dir = tempDir();
    const path = join(dir, 's.kmsbox');
    await new Kms({ provider: new FileProvider({ path, passphrase: 'pass phrase', scrypt: { N: 2 ** 12 } }) }).createKey();
    const kdf = headerOf(path).kdf as { N: number; r: number; p: number; salt: string };
    const rootKey = Buffer.from(scrypt('pass phrase', Buffer.from(kdf.salt, 'base64'), { N: kdf.N, r: kdf.r, p: kdf.p, dkLen: 32 }));
    // Decrypting the store with noble's key proves node's scrypt derived the same one.
    expect(decryptStore(path, rootKey).state.keys).toBeDefined();
  });
});
