/**
 * The page's script: a data key from kmsbox (WebCryptoProvider, keys in IndexedDB) encrypts the
 * chosen file with AES-256-GCM; only the wrapped data key, the IV and the ciphertext are uploaded.
 * (Once the envelope format lands, this becomes one call to encryptEnvelope.)
 */
import { Kms, WebCryptoProvider } from 'kmsbox';

const ALIAS = 'alias/uploads';
const kms = new Kms({ provider: new WebCryptoProvider({ indexedDbName: 'kmsbox-example' }) });
const b64 = (b: Uint8Array): string => {
  let binary = '';
  for (let i = 0; i < b.length; i += 0x8000) binary += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(binary);
};
const unb64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const status = (text: string): void => {
  document.querySelector('#status')!.textContent = text;
};

export interface Upload {
  name: string;
  wrappedKey: string;
  iv: string;
  ciphertext: string;
}

async function uploadKey(): Promise<void> {
  try {
    await kms.describeKey({ KeyId: ALIAS });
  } catch {
    const { KeyMetadata } = await kms.createKey({ Description: 'browser uploads' });
    await kms.createAlias({ AliasName: ALIAS, TargetKeyId: KeyMetadata!.KeyId });
  }
}

async function aesKey(raw: Uint8Array, usage: KeyUsage): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw as BufferSource, 'AES-GCM', false, [usage]);
}

export async function encryptFile(file: File): Promise<Upload> {
  await uploadKey();
  const context = { file: file.name };
  const { Plaintext: dataKey, CiphertextBlob } = await kms.generateDataKey({ KeyId: ALIAS, KeySpec: 'AES_256', EncryptionContext: context });
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await aesKey(dataKey!, 'encrypt');
  dataKey!.fill(0);
  const aad = new TextEncoder().encode(file.name);
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, await file.arrayBuffer()));
  return { name: file.name, wrappedKey: b64(CiphertextBlob!), iv: b64(iv), ciphertext: b64(ciphertext) };
}

/** Reverses encryptFile with the key in this browser (used by the end-to-end test). */
export async function decryptUpload(u: Upload): Promise<Uint8Array> {
  const { Plaintext } = await kms.decrypt({ CiphertextBlob: unb64(u.wrappedKey), EncryptionContext: { file: u.name } });
  const key = await aesKey(Plaintext!, 'decrypt');
  Plaintext!.fill(0);
  const aad = new TextEncoder().encode(u.name);
  return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: unb64(u.iv) as BufferSource, additionalData: aad }, key, unb64(u.ciphertext) as BufferSource));
}

document.querySelector('#upload')!.addEventListener('click', () => {
  void (async () => {
    const file = (document.querySelector('#file') as HTMLInputElement).files?.[0];
    if (!file) return status('choose a file first');
    status(`encrypting ${file.name} (${file.size} bytes)…`);
    const upload = await encryptFile(file);
    const res = await fetch('/upload', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(upload) });
    status(res.ok ? `uploaded ${file.name}: ${upload.ciphertext.length} base64 characters of ciphertext` : `upload failed: ${res.status}`);
  })().catch((e: unknown) => status(`error: ${(e as Error).name}: ${(e as Error).message}`));
});

(globalThis as { kmsboxExample?: unknown }).kmsboxExample = { encryptFile, decryptUpload };
