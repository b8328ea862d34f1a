/**
 * The page's script: the chosen file is streamed through kmsbox's envelope encryption before it
 * leaves the browser. A data key from kmsbox (WebCryptoProvider: the KMS key is a non-extractable
 * CryptoKey kept in IndexedDB) encrypts the file in 256 KiB authenticated segments; what is
 * uploaded is one self-describing envelope: the wrapped data key, the encryption context, the
 * segments. Nothing but that envelope reaches the server.
 */
import { Kms, WebCryptoProvider, createEncryptStream, decryptEnvelope } from 'kmsbox';

const ALIAS = 'alias/uploads';
const kms = new Kms({ provider: new WebCryptoProvider({ indexedDbName: 'kmsbox-example' }) });
const status = (text: string): void => {
  document.querySelector('#status')!.textContent = text;
};

async function uploadKey(): Promise<void> {
  try {
    await kms.describeKey({ KeyId: ALIAS });
  } catch {
    const { KeyMetadata } = await kms.createKey({ Description: 'browser uploads' });
    await kms.createAlias({ AliasName: ALIAS, TargetKeyId: KeyMetadata!.KeyId });
  }
}

/** The file as an envelope, encrypted as it is read (memory: about two segments, whatever the size). */
export async function encryptFile(file: File): Promise<Blob> {
  await uploadKey();
  const encrypted = file.stream().pipeThrough(createEncryptStream({ kms, keyId: ALIAS, encryptionContext: { file: file.name } }));
  return new Response(encrypted).blob();
}

/** Reverses encryptFile with the key in this browser (used by the end-to-end test). */
export async function decryptUpload(envelope: Uint8Array, name: string): Promise<Uint8Array> {
  // Trust exactly the upload key: the alias is resolved to its key ARN here, not taken from the envelope.
  const { KeyMetadata } = await kms.describeKey({ KeyId: ALIAS });
  return (await decryptEnvelope(envelope, { kms, keyIds: [KeyMetadata!.Arn!], encryptionContext: { file: name } })).plaintext;
}

document.querySelector('#upload')!.addEventListener('click', () => {
  void (async () => {
    const file = (document.querySelector('#file') as HTMLInputElement).files?.[0];
    if (!file) return status('choose a file first');
    status(`encrypting ${file.name} (${file.size} bytes)…`);
    const envelope = await encryptFile(file);
    const res = await fetch('/upload', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'x-file-name': encodeURIComponent(file.name) },
      body: envelope,
    });
    status(res.ok ? `uploaded ${file.name}: a ${envelope.size}-byte envelope` : `upload failed: ${res.status}`);
  })().catch((e: unknown) => status(`error: ${(e as Error).name}: ${(e as Error).message}`));
});

(globalThis as { kmsboxExample?: unknown }).kmsboxExample = { encryptFile, decryptUpload };
