/// <reference types="node" />
/**
 * The PostgreSQL store's root key, which never reaches the database: derived from a passphrase
 * with scrypt (the parameters and salt are stored in the database, their cost bounded before it
 * is paid, as for the key-store file: ../store-file.ts), or read from a root key file. The
 * database keeps a check value (HMAC under the root key) that tells a wrong passphrase before
 * anything is read or written, and key material sealed with AES-256-GCM under a key derived from
 * the root key, the AAD binding the store id, the material id and its spec: a sealed row copied
 * to another id, another spec or another store does not open. Every record row and change-log row
 * carries a MAC under another key derived from the root key, over the store id, the collection,
 * the id and the value: a row edited, forged, or moved to another id or store is refused.
 * The root key can be changed (rotate-root-key.ts): a process still holding the old one finds
 * another check value in `meta` and stops (rootKeyChanged) rather than reading rows as forged.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AccessDeniedException, KMSInternalException } from '../../errors.js';
import { checkValue, type KdfParams, newScryptParams, scryptMaxmem, scryptParamsProblem } from '../store-file.js';

export { checkValue };

/** What a process that opened the store with a root key since changed gets from then on. */
export function rootKeyChanged(schema: string): AccessDeniedException {
  return new AccessDeniedException({
    message: `The PostgreSQL key store (schema "${schema}"): its root key was changed since this process opened it; nothing was read or written with the old one. Restart with the new root key.`,
  });
}

/** The `kdf` a database holds, checked (cost bounded) before anything is derived from it. */
export function parseKdf(text: string): KdfParams {
  let kdf: unknown;
  try {
    kdf = JSON.parse(text);
  } catch {
    throw new KMSInternalException({ message: 'The PostgreSQL store cannot be used: its key-derivation parameters are not JSON.' });
  }
  const o = kdf as Record<string, unknown>;
  if (o !== null && typeof o === 'object' && o.name === 'root-key-file' && Object.keys(o).length === 1) return { name: 'root-key-file' };
  if (
    o === null ||
    typeof o !== 'object' ||
    o.name !== 'scrypt' ||
    typeof o.salt !== 'string' ||
    Buffer.from(o.salt, 'base64').length !== 16
  ) {
    throw new KMSInternalException({
      message: 'The PostgreSQL store cannot be used: its key-derivation parameters are not ones kmsbox writes.',
    });
  }
  const problem = scryptParamsProblem(o.N, o.r, o.p);
  if (problem !== undefined) {
    throw new KMSInternalException({ message: `The PostgreSQL store cannot be used: its key-derivation cost is refused (${problem}).` });
  }
  return { name: 'scrypt', N: o.N as number, r: o.r as number, p: o.p as number, salt: o.salt };
}

export interface RootKeySource {
  readonly passphrase?: string | undefined;
  readonly rootKeyFile?: string | undefined;
}

/** The derivation a new store records: scrypt at the given cost, or a root key file. */
export function newKdf(source: RootKeySource, N: number | undefined): KdfParams {
  return source.rootKeyFile !== undefined ? { name: 'root-key-file' } : newScryptParams(N);
}

/** The root key, from the passphrase under the store's parameters or from the root key file. */
export function deriveRootKey(source: RootKeySource, kdf: KdfParams): Uint8Array {
  if (source.rootKeyFile !== undefined) {
    if (kdf.name !== 'root-key-file')
      throw new AccessDeniedException({ message: 'This PostgreSQL store is protected by a passphrase, not a root key file.' });
    return readRootKeyFile(source.rootKeyFile);
  }
  if (kdf.name !== 'scrypt')
    throw new AccessDeniedException({ message: 'This PostgreSQL store is protected by a root key file, not a passphrase.' });
  const salt = Buffer.from(kdf.salt, 'base64');
  return new Uint8Array(scryptSync(source.passphrase as string, salt, 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: scryptMaxmem(kdf) }));
}

function readRootKeyFile(path: string): Uint8Array {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (error) {
    throw new AccessDeniedException({
      message: `Cannot read root key file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
    });
  }
  if (raw.length === 32) return new Uint8Array(raw);
  const text = raw.toString('utf8').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return new Uint8Array(Buffer.from(text, 'hex'));
  throw new AccessDeniedException({ message: `Root key file ${path} must hold 32 bytes, raw or as 64 hex characters.` });
}

/** The key material is sealed under: derived from the root key for this one use. */
export function materialKey(rootKey: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', rootKey).update('kmsbox-postgres material key').digest());
}

const aad = (storeId: string, id: string, spec: string): Buffer =>
  Buffer.from(JSON.stringify(['kmsbox-postgres material', storeId, id, spec]), 'utf8');

export interface SealedMaterial {
  readonly nonce: Uint8Array;
  readonly sealed: Uint8Array;
}

export function sealMaterial(key: Uint8Array, storeId: string, id: string, spec: string, bytes: Uint8Array): SealedMaterial {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad(storeId, id, spec));
  const sealed = Buffer.concat([cipher.update(bytes), cipher.final(), cipher.getAuthTag()]);
  return { nonce: new Uint8Array(nonce), sealed: new Uint8Array(sealed) };
}

/** The material's bytes, or undefined when the row is not authentic (tampered, another id's, another store's). */
export function openMaterial(key: Uint8Array, storeId: string, id: string, spec: string, m: SealedMaterial): Uint8Array | undefined {
  if (m.nonce.length !== 12 || m.sealed.length < 16) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, m.nonce);
    decipher.setAAD(aad(storeId, id, spec));
    decipher.setAuthTag(m.sealed.subarray(m.sealed.length - 16));
    const body = decipher.update(m.sealed.subarray(0, m.sealed.length - 16));
    decipher.final();
    return new Uint8Array(body);
  } catch {
    return undefined;
  }
}

/** Authenticates record and change-log rows (root-key.ts header): one per store and root key. */
export class RowAuthenticator {
  readonly #key: Uint8Array;
  readonly #storeId: string;

  constructor(rootKey: Uint8Array, storeId: string) {
    this.#key = new Uint8Array(createHmac('sha256', rootKey).update('kmsbox-postgres record key').digest());
    this.#storeId = storeId;
  }

  mac(collection: string, id: string, value: string | null): string {
    return createHmac('sha256', this.#key)
      .update(JSON.stringify(['kmsbox-postgres record', this.#storeId, collection, id, value]))
      .digest('base64');
  }

  verify(collection: string, id: string, value: string | null, mac: unknown): boolean {
    if (typeof mac !== 'string') return false;
    const expected = Buffer.from(this.mac(collection, id, value), 'base64');
    const given = Buffer.from(mac, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
