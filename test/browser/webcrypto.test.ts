// Runs in Chromium (vitest browser mode, Debian's /usr/bin/chromium through playwright):
// the provider conformance suite on WebCryptoProvider, and IndexedDB persistence.
import { describe, expect, it } from 'vitest';
import { Kms, WebCryptoProvider } from 'kmsbox';
import { describeProviderConformance } from '../conformance/suite.js';

describe('the runtime', () => {
  it('is a real browser, not Node', () => {
    expect(
      typeof (globalThis as { process?: unknown }).process === 'undefined' ||
        !(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node,
    ).toBe(true);
    expect(navigator.userAgent).toMatch(/Chrome\//);
    expect(typeof indexedDB).toBe('object');
  });
});

describeProviderConformance('WebCryptoProvider in Chromium', () => new WebCryptoProvider());

describe('WebCryptoProvider with IndexedDB', () => {
  it('keeps keys (as non-extractable CryptoKeys) and records across provider instances', async () => {
    const indexedDbName = `kmsbox-test-${crypto.randomUUID()}`;
    const first = new Kms({ provider: new WebCryptoProvider({ indexedDbName }) });
    const { KeyMetadata } = await first.createKey({ Description: 'in the browser' });
    await first.createAlias({ AliasName: 'alias/browser', TargetKeyId: KeyMetadata!.KeyId });
    const { CiphertextBlob } = await first.encrypt({
      KeyId: 'alias/browser',
      Plaintext: new TextEncoder().encode('kept'),
      EncryptionContext: { page: 'test' },
    });

    // As after a reload: a new provider reads the same database.
    const second = new Kms({ provider: new WebCryptoProvider({ indexedDbName }) });
    expect((await second.describeKey({ KeyId: 'alias/browser' })).KeyMetadata!.Description).toBe('in the browser');
    const { Plaintext } = await second.decrypt({ CiphertextBlob, EncryptionContext: { page: 'test' } });
    expect(new TextDecoder().decode(Plaintext)).toBe('kept');

    // What IndexedDB holds is CryptoKey objects that cannot be exported.
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open(indexedDbName);
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const stored = await new Promise<Array<{ key: CryptoKey }>>((resolve, reject) => {
      const r = db.transaction('keys').objectStore('keys').getAll();
      r.onsuccess = () => resolve(r.result as Array<{ key: CryptoKey }>);
      r.onerror = () => reject(r.error);
    });
    db.close();
    expect(stored.length).toBe(1);
    expect(stored[0]!.key).toBeInstanceOf(CryptoKey);
    expect(stored[0]!.key.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('raw', stored[0]!.key)).rejects.toThrow();
  });
});
