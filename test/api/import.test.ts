// Imported key material (BYOK): CreateKey Origin EXTERNAL, GetParametersForImport,
// ImportKeyMaterial, DeleteImportedKeyMaterial — material wrapped as a user wraps it, with
// node:crypto (RSA-OAEP, and RSA-OAEP of an AES key + AES key wrap with padding, RFC 5649).
import { constants, createCipheriv, createDecipheriv, createHmac, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import {
  CreateKeyCommand,
  DecryptCommand,
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  KMSClient,
  KMSInvalidStateException,
  IncorrectKeyMaterialException,
} from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { createRequestHandler, Kms, ManualClock, MemoryAuditSink, WebCryptoProvider, type KeyMaterialProvider } from 'kmsbox';
import { newStore } from '../providers/file-fixtures.js';
import { rejects, utf8 } from './helpers.js';

type Wrapping = 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256' | 'RSA_AES_KEY_WRAP_SHA_1' | 'RSA_AES_KEY_WRAP_SHA_256';
type WrappingSpec = 'RSA_2048' | 'RSA_3072' | 'RSA_4096';

const START = new Date('2026-03-01T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function setup(provider?: KeyMaterialProvider) {
  const clock = new ManualClock(START);
  const audit = new MemoryAuditSink();
  return { kms: new Kms({ clock, audit, ...(provider ? { provider } : {}) }), clock, audit };
}

/** What a user does with the PublicKey: RSA-OAEP of the material, or of an AES key that AES-KWP-wraps it. */
function wrap(publicKey: Uint8Array, algorithm: Wrapping, material: Uint8Array): Uint8Array {
  const key = createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' });
  const oaepHash = algorithm.endsWith('SHA_256') ? 'sha256' : 'sha1';
  const rsa = (data: Uint8Array) => new Uint8Array(publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, data));
  if (algorithm.startsWith('RSAES_OAEP')) return rsa(material);
  const aesKey = randomBytes(32);
  const kwp = createCipheriv('id-aes256-wrap-pad', aesKey, Buffer.from('A65959A6', 'hex'));
  const wrapped = Buffer.concat([kwp.update(material), kwp.final()]);
  return new Uint8Array(Buffer.concat([rsa(aesKey), wrapped]));
}

async function externalKey(kms: Kms, input: Parameters<Kms['createKey']>[0] = {}) {
  const { KeyMetadata } = await kms.createKey({ Origin: 'EXTERNAL', ...input });
  return { keyId: KeyMetadata!.KeyId!, arn: KeyMetadata!.Arn!, metadata: KeyMetadata! };
}

async function importMaterial(
  kms: Kms,
  keyId: string,
  material: Uint8Array,
  opts: {
    algorithm?: Wrapping;
    spec?: WrappingSpec;
    ValidTo?: Date;
    ExpirationModel?: 'KEY_MATERIAL_EXPIRES' | 'KEY_MATERIAL_DOES_NOT_EXPIRE';
  } = {},
) {
  const algorithm = opts.algorithm ?? 'RSAES_OAEP_SHA_256';
  const params = await kms.getParametersForImport({ KeyId: keyId, WrappingAlgorithm: algorithm, WrappingKeySpec: opts.spec ?? 'RSA_2048' });
  return kms.importKeyMaterial({
    KeyId: keyId,
    ImportToken: params.ImportToken,
    EncryptedKeyMaterial: wrap(params.PublicKey!, algorithm, material),
    ...(opts.ValidTo ? { ValidTo: opts.ValidTo } : {}),
    // AWS's default model is KEY_MATERIAL_EXPIRES: without ValidTo, say it does not expire.
    ExpirationModel: opts.ExpirationModel ?? (opts.ValidTo ? 'KEY_MATERIAL_EXPIRES' : 'KEY_MATERIAL_DOES_NOT_EXPIRE'),
  });
}

describe('CreateKey with Origin EXTERNAL', () => {
  it('makes a key in PendingImport, without material, that refuses every cryptographic use', async () => {
    const { kms } = setup();
    const { keyId, arn, metadata } = await externalKey(kms, { Description: 'byok' });
    expect(metadata).toMatchObject({ Origin: 'EXTERNAL', KeyState: 'PendingImport', Enabled: false, KeySpec: 'SYMMETRIC_DEFAULT' });
    expect(metadata.CurrentKeyMaterialId).toBeUndefined();
    expect(metadata.ExpirationModel).toBeUndefined();
    const pending = `${arn} is pending import.`;
    await rejects(() => kms.encrypt({ KeyId: keyId, Plaintext: utf8('x') }), 'KMSInvalidStateException', pending);
    await rejects(() => kms.generateDataKey({ KeyId: keyId, KeySpec: 'AES_256' }), 'KMSInvalidStateException', pending);
    await rejects(() => kms.generateDataKeyWithoutPlaintext({ KeyId: keyId, NumberOfBytes: 32 }), 'KMSInvalidStateException', pending);
    await rejects(() => kms.enableKey({ KeyId: keyId }), 'KMSInvalidStateException', pending);
    await rejects(() => kms.disableKey({ KeyId: keyId }), 'KMSInvalidStateException', pending);
    await rejects(
      () => kms.createGrant({ KeyId: keyId, GranteePrincipal: 'arn:aws:iam::111122223333:role/app', Operations: ['Encrypt'] }),
      'KMSInvalidStateException',
      pending,
    );
    // Rotation checks the key state first (AWS-recorded for RotateKeyOnDemand on a key pending import).
    await rejects(() => kms.rotateKeyOnDemand({ KeyId: keyId }), 'KMSInvalidStateException', pending);
    await rejects(() => kms.enableKeyRotation({ KeyId: keyId }), 'KMSInvalidStateException', pending);
    // Management works: tags, description, deletion (and cancelling it leaves it PendingImport: it has no material).
    await kms.tagResource({ KeyId: keyId, Tags: [{ TagKey: 'k', TagValue: 'v' }] });
    await kms.scheduleKeyDeletion({ KeyId: keyId, PendingWindowInDays: 7 });
    await kms.cancelKeyDeletion({ KeyId: keyId });
    expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata!.KeyState).toBe('PendingImport');
  });

  it('HMAC and RSA keys can be EXTERNAL (test/api/import-asymmetric.test.ts); Ed25519 and multi-Region EXTERNAL keys are refused as unsupported', async () => {
    const { kms } = setup();
    expect((await externalKey(kms, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' })).metadata.KeyState).toBe('PendingImport');
    expect((await externalKey(kms, { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' })).metadata.KeyState).toBe('PendingImport');
    await rejects(
      () => kms.createKey({ Origin: 'EXTERNAL', KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }),
      'UnsupportedOperationException',
      /KeySpec ECC_NIST_EDWARDS25519/,
    );
    await rejects(() => kms.createKey({ Origin: 'EXTERNAL', MultiRegion: true }), 'UnsupportedOperationException', /Multi-Region/);
    await rejects(() => kms.createKey({ Origin: 'AWS_CLOUDHSM' }), 'UnsupportedOperationException', /custom key store/);
  });
});

describe('GetParametersForImport', () => {
  it.each([
    ['RSA_2048', 2048],
    ['RSA_3072', 3072],
    ['RSA_4096', 4096],
  ] as const)('%s: a fresh RSA public key (SPKI DER), an opaque token, valid for 24 hours', async (spec, bits) => {
    const { kms } = setup();
    const { keyId, arn } = await externalKey(kms);
    const a = await kms.getParametersForImport({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: spec });
    const b = await kms.getParametersForImport({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: spec });
    expect(a.KeyId).toBe(arn);
    expect(a.ParametersValidTo).toEqual(new Date(START.getTime() + DAY));
    const pub = createPublicKey({ key: Buffer.from(a.PublicKey!), format: 'der', type: 'spki' });
    expect(pub.asymmetricKeyType).toBe('rsa');
    expect(pub.asymmetricKeyDetails?.modulusLength).toBe(bits);
    expect(Buffer.from(a.PublicKey!).equals(Buffer.from(b.PublicKey!))).toBe(false);
    expect(Buffer.from(a.ImportToken!).equals(Buffer.from(b.ImportToken!))).toBe(false);
  });

  it("refuses keys that are not EXTERNAL (AWS's message), RSAES_PKCS1_V1_5, SM2 and bad input", async () => {
    const { kms } = setup();
    const { KeyMetadata } = await kms.createKey();
    const notExternal = `${KeyMetadata!.Arn} origin is AWS_KMS which is not valid for this operation.`;
    await rejects(
      () => kms.getParametersForImport({ KeyId: KeyMetadata!.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }),
      'UnsupportedOperationException',
      notExternal,
    );
    await rejects(() => kms.deleteImportedKeyMaterial({ KeyId: KeyMetadata!.KeyId }), 'UnsupportedOperationException', notExternal);
    const { keyId } = await externalKey(kms);
    const params = await kms.getParametersForImport({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
    await rejects(
      () =>
        kms.importKeyMaterial({
          KeyId: KeyMetadata!.KeyId,
          ImportToken: params.ImportToken,
          EncryptedKeyMaterial: wrap(params.PublicKey!, 'RSAES_OAEP_SHA_256', randomBytes(32)),
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      'UnsupportedOperationException',
      notExternal,
    );
    await rejects(
      () => kms.getParametersForImport({ KeyId: keyId, WrappingAlgorithm: 'RSAES_PKCS1_V1_5', WrappingKeySpec: 'RSA_2048' }),
      'ValidationException',
      /RSAES_PKCS1_V1_5/,
    );
    await rejects(
      () => kms.getParametersForImport({ KeyId: keyId, WrappingAlgorithm: 'SM2PKE', WrappingKeySpec: 'SM2' }),
      'UnsupportedOperationException',
      /China/,
    );
    await rejects(
      () =>
        kms.getParametersForImport({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_1024' as 'RSA_2048' }),
      'ValidationException',
      /wrappingKeySpec/,
    );
    await rejects(
      () => kms.getParametersForImport({ KeyId: keyId, WrappingAlgorithm: undefined, WrappingKeySpec: 'RSA_2048' }),
      'ValidationException',
      /wrappingAlgorithm/,
    );
  });

  it('a key pending deletion is refused (KMSInvalidStateException)', async () => {
    const { kms } = setup();
    const { keyId, arn } = await externalKey(kms);
    await kms.scheduleKeyDeletion({ KeyId: keyId });
    await rejects(
      () => kms.getParametersForImport({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }),
      'KMSInvalidStateException',
      `${arn} is pending deletion.`,
    );
  });
});

describe('ImportKeyMaterial', () => {
  it.each([
    ['RSAES_OAEP_SHA_256', 'RSA_2048'],
    ['RSAES_OAEP_SHA_1', 'RSA_3072'],
    ['RSA_AES_KEY_WRAP_SHA_256', 'RSA_4096'],
    ['RSA_AES_KEY_WRAP_SHA_1', 'RSA_2048'],
  ] as const)('%s with %s: the key becomes Enabled and encrypts and decrypts', async (algorithm, spec) => {
    const { kms } = setup();
    const { keyId, arn } = await externalKey(kms);
    const imported = await importMaterial(kms, keyId, randomBytes(32), { algorithm, spec });
    expect(imported.KeyId).toBe(arn);
    expect(imported.KeyMaterialId).toMatch(/^[0-9a-f]{64}$/);
    const md = (await kms.describeKey({ KeyId: keyId })).KeyMetadata!;
    expect(md).toMatchObject({
      KeyState: 'Enabled',
      Enabled: true,
      Origin: 'EXTERNAL',
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      CurrentKeyMaterialId: imported.KeyMaterialId,
    });
    expect(md.ValidTo).toBeUndefined();
    const { CiphertextBlob } = await kms.encrypt({ KeyId: keyId, Plaintext: utf8('bring your own key'), EncryptionContext: { a: 'b' } });
    const dec = await kms.decrypt({ CiphertextBlob, EncryptionContext: { a: 'b' } });
    expect(new TextDecoder().decode(dec.Plaintext)).toBe('bring your own key');
    expect(dec.KeyMaterialId).toBe(imported.KeyMaterialId);
    await rejects(() => kms.decrypt({ CiphertextBlob, EncryptionContext: { a: 'c' } }), 'InvalidCiphertextException');
  });

  it('the same material in two keys encrypts alike but is a different KeyMaterialId; material wrapped for another algorithm is InvalidCiphertextException', async () => {
    const { kms } = setup();
    const material = randomBytes(32);
    const a = await externalKey(kms);
    const b = await externalKey(kms);
    const ia = await importMaterial(kms, a.keyId, material);
    const ib = await importMaterial(kms, b.keyId, material);
    expect(ia.KeyMaterialId).not.toBe(ib.KeyMaterialId);
    // Wrapped with SHA-1 OAEP under a token asking for SHA-256: the unwrap fails.
    const c = await externalKey(kms);
    const params = await kms.getParametersForImport({
      KeyId: c.keyId,
      WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
      WrappingKeySpec: 'RSA_2048',
    });
    await rejects(
      () =>
        kms.importKeyMaterial({
          KeyId: c.keyId,
          ImportToken: params.ImportToken,
          EncryptedKeyMaterial: wrap(params.PublicKey!, 'RSAES_OAEP_SHA_1', material),
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      'InvalidCiphertextException',
    );
    const kw = await kms.getParametersForImport({
      KeyId: c.keyId,
      WrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256',
      WrappingKeySpec: 'RSA_2048',
    });
    const tampered = wrap(kw.PublicKey!, 'RSA_AES_KEY_WRAP_SHA_256', material);
    tampered[tampered.length - 1]! ^= 1;
    await rejects(
      () =>
        kms.importKeyMaterial({
          KeyId: c.keyId,
          ImportToken: kw.ImportToken,
          EncryptedKeyMaterial: tampered,
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      'InvalidCiphertextException',
    );
    expect((await kms.describeKey({ KeyId: c.keyId })).KeyMetadata!.KeyState).toBe('PendingImport');
  });

  it('material of the wrong size is IncorrectKeyMaterialException and leaves the key PendingImport', async () => {
    const { kms } = setup();
    const { keyId } = await externalKey(kms);
    await rejects(() => importMaterial(kms, keyId, randomBytes(16)), 'IncorrectKeyMaterialException', /32 bytes/);
    await rejects(
      () => importMaterial(kms, keyId, randomBytes(33), { algorithm: 'RSA_AES_KEY_WRAP_SHA_256' }),
      'IncorrectKeyMaterialException',
    );
    expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata!.KeyState).toBe('PendingImport');
  });

  it('a ciphertext survives DeleteImportedKeyMaterial and a re-import of the same material; other material is IncorrectKeyMaterialException', async () => {
    const { kms } = setup();
    const { keyId, arn } = await externalKey(kms);
    const material = randomBytes(32);
    const first = await importMaterial(kms, keyId, material);
    const { CiphertextBlob } = await kms.encrypt({ KeyId: keyId, Plaintext: utf8('before') });
    const deleted = await kms.deleteImportedKeyMaterial({ KeyId: keyId });
    expect(deleted).toMatchObject({ KeyId: arn, KeyMaterialId: first.KeyMaterialId });
    const md = (await kms.describeKey({ KeyId: keyId })).KeyMetadata!;
    expect(md).toMatchObject({ KeyState: 'PendingImport', Enabled: false });
    // AWS-recorded: the material stays associated, so DescribeKey still names it.
    expect(md.CurrentKeyMaterialId).toBe(first.KeyMaterialId);
    await rejects(() => kms.decrypt({ CiphertextBlob }), 'KMSInvalidStateException', `${arn} is pending import.`);
    // Deleting again has no effect.
    await kms.deleteImportedKeyMaterial({ KeyId: keyId });
    await rejects(() => importMaterial(kms, keyId, randomBytes(32)), 'IncorrectKeyMaterialException');
    expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata!.KeyState).toBe('PendingImport');
    const again = await importMaterial(kms, keyId, material, { algorithm: 'RSA_AES_KEY_WRAP_SHA_1' });
    expect(again.KeyMaterialId).toBe(first.KeyMaterialId);
    expect(new TextDecoder().decode((await kms.decrypt({ CiphertextBlob })).Plaintext)).toBe('before');
    // Re-importing into a key that has its material: the same is accepted, other material is not.
    await importMaterial(kms, keyId, material);
    await rejects(() => importMaterial(kms, keyId, randomBytes(32)), 'IncorrectKeyMaterialException');
    expect(new TextDecoder().decode((await kms.decrypt({ CiphertextBlob })).Plaintext)).toBe('before');
  });

  it('a disabled key whose material is deleted goes to PendingImport, and to Enabled on re-import', async () => {
    const { kms } = setup();
    const { keyId } = await externalKey(kms);
    const material = randomBytes(32);
    await importMaterial(kms, keyId, material);
    await kms.disableKey({ KeyId: keyId });
    await kms.deleteImportedKeyMaterial({ KeyId: keyId });
    expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata!.KeyState).toBe('PendingImport');
    await importMaterial(kms, keyId, material);
    expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata!.KeyState).toBe('Enabled');
  });

  it('a token for another key is InvalidImportTokenException, an expired one ExpiredImportTokenException, garbage InvalidImportTokenException', async () => {
    const { kms, clock } = setup();
    const a = await externalKey(kms);
    const b = await externalKey(kms);
    const material = randomBytes(32);
    const forA = await kms.getParametersForImport({ KeyId: a.keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
    const wrapped = wrap(forA.PublicKey!, 'RSAES_OAEP_SHA_256', material);
    await rejects(
      () =>
        kms.importKeyMaterial({
          KeyId: b.keyId,
          ImportToken: forA.ImportToken,
          EncryptedKeyMaterial: wrapped,
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      'InvalidImportTokenException',
    );
    const garbage = Uint8Array.from(forA.ImportToken!);
    garbage[5]! ^= 1;
    await rejects(
      () =>
        kms.importKeyMaterial({
          KeyId: a.keyId,
          ImportToken: garbage,
          EncryptedKeyMaterial: wrapped,
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      'InvalidImportTokenException',
    );
    await rejects(
      () =>
        kms.importKeyMaterial({
          KeyId: a.keyId,
          ImportToken: utf8('x'),
          EncryptedKeyMaterial: wrapped,
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      'InvalidImportTokenException',
    );
    clock.advance(DAY);
    await rejects(
      () =>
        kms.importKeyMaterial({
          KeyId: a.keyId,
          ImportToken: forA.ImportToken,
          EncryptedKeyMaterial: wrapped,
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      'ExpiredImportTokenException',
    );
    expect((await kms.describeKey({ KeyId: a.keyId })).KeyMetadata!.KeyState).toBe('PendingImport');
    // One millisecond before expiry, the same token works.
    const fresh = await kms.getParametersForImport({
      KeyId: a.keyId,
      WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
      WrappingKeySpec: 'RSA_2048',
    });
    clock.advance(DAY - 1);
    await kms.importKeyMaterial({
      KeyId: a.keyId,
      ImportToken: fresh.ImportToken,
      EncryptedKeyMaterial: wrap(fresh.PublicKey!, 'RSAES_OAEP_SHA_256', material),
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    });
    expect((await kms.describeKey({ KeyId: a.keyId })).KeyMetadata!.KeyState).toBe('Enabled');
  });

  it('KEY_MATERIAL_EXPIRES with ValidTo: when the clock passes it the material is deleted and the key is PendingImport', async () => {
    const { kms, clock } = setup();
    const { keyId, arn } = await externalKey(kms);
    const material = randomBytes(32);
    const validTo = new Date(START.getTime() + 2 * DAY);
    await importMaterial(kms, keyId, material, { ValidTo: validTo, ExpirationModel: 'KEY_MATERIAL_EXPIRES' });
    const md = (await kms.describeKey({ KeyId: keyId })).KeyMetadata!;
    expect(md).toMatchObject({ KeyState: 'Enabled', ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: validTo });
    const { CiphertextBlob } = await kms.encrypt({ KeyId: keyId, Plaintext: utf8('expiring') });
    clock.advance(2 * DAY - 1);
    await kms.decrypt({ CiphertextBlob });
    clock.advance(1);
    await rejects(() => kms.decrypt({ CiphertextBlob }), 'KMSInvalidStateException', `${arn} is pending import.`);
    const after = (await kms.describeKey({ KeyId: keyId })).KeyMetadata!;
    expect(after).toMatchObject({ KeyState: 'PendingImport', Enabled: false });
    expect(after.ValidTo).toBeUndefined();
    // Re-import (now without expiry) brings every old ciphertext back.
    await importMaterial(kms, keyId, material);
    expect(new TextDecoder().decode((await kms.decrypt({ CiphertextBlob })).Plaintext)).toBe('expiring');
    expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata!.ExpirationModel).toBe('KEY_MATERIAL_DOES_NOT_EXPIRE');
  });

  it('checks ExpirationModel and ValidTo as AWS documents them', async () => {
    const { kms } = setup();
    const { keyId } = await externalKey(kms);
    const m = randomBytes(32);
    await rejects(
      () => importMaterial(kms, keyId, m, { ExpirationModel: 'KEY_MATERIAL_EXPIRES' }),
      'ValidationException',
      'A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES',
    );
    await rejects(
      () => importMaterial(kms, keyId, m, { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ValidTo: new Date(START.getTime() + DAY) }),
      'ValidationException',
      /must not be set/,
    );
    await rejects(() => importMaterial(kms, keyId, m, { ValidTo: START }), 'ValidationException', /future/);
    await rejects(
      () => importMaterial(kms, keyId, m, { ValidTo: new Date(START.getTime() + 366 * DAY) }),
      'ValidationException',
      /365 days/,
    );
    expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata!.KeyState).toBe('PendingImport');
    // ValidTo without ExpirationModel: the material expires.
    await importMaterial(kms, keyId, m, { ValidTo: new Date(START.getTime() + 365 * DAY) });
    expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata!.ExpirationModel).toBe('KEY_MATERIAL_EXPIRES');
  });

  it("HMAC keys: imported material is the HMAC key (node:crypto computes the same MAC); sizes outside AWS's range are refused", async () => {
    const { kms } = setup();
    const { keyId } = await externalKey(kms, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    await rejects(() => importMaterial(kms, keyId, randomBytes(31)), 'IncorrectKeyMaterialException', /32 to 64 bytes/);
    await rejects(
      () => importMaterial(kms, keyId, randomBytes(65), { algorithm: 'RSA_AES_KEY_WRAP_SHA_256' }),
      'IncorrectKeyMaterialException',
    );
    const material = randomBytes(48);
    await importMaterial(kms, keyId, material);
    const message = utf8('mac me');
    const { Mac } = await kms.generateMac({ KeyId: keyId, Message: message, MacAlgorithm: 'HMAC_SHA_256' });
    expect(Buffer.from(Mac!).equals(createHmac('sha256', material).update(message).digest())).toBe(true);
  });

  it('the audit trail records the calls without the import token or the wrapped material', async () => {
    const { kms, audit } = setup();
    const { keyId } = await externalKey(kms);
    const params = await kms.getParametersForImport({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
    const wrapped = wrap(params.PublicKey!, 'RSAES_OAEP_SHA_256', randomBytes(32));
    await kms.importKeyMaterial({
      KeyId: keyId,
      ImportToken: params.ImportToken,
      EncryptedKeyMaterial: wrapped,
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    });
    await kms.deleteImportedKeyMaterial({ KeyId: keyId });
    const names = audit.events.map((e) => e.eventName);
    expect(names).toEqual(['CreateKey', 'GetParametersForImport', 'ImportKeyMaterial', 'DeleteImportedKeyMaterial']);
    const trail = JSON.stringify(audit.events);
    expect(trail).not.toContain(Buffer.from(params.ImportToken!).toString('base64'));
    expect(trail).not.toContain(Buffer.from(wrapped).toString('base64').slice(0, 40));
    const imported = audit.events[2]!;
    expect(imported.readOnly).toBe(false);
    expect(audit.events[1]!.readOnly).toBe(true);
  });

  it('a key policy can limit imports by kms:WrappingAlgorithm', async () => {
    const { kms } = setup();
    const root = 'arn:aws:iam::111122223333:root';
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: root }, Action: 'kms:*', Resource: '*' },
        {
          Effect: 'Deny',
          Principal: { AWS: root },
          Action: 'kms:GetParametersForImport',
          Resource: '*',
          Condition: { StringNotEquals: { 'kms:WrappingAlgorithm': 'RSA_AES_KEY_WRAP_SHA_256' } },
        },
      ],
    });
    const { keyId } = await externalKey(kms, { Policy: policy });
    await rejects(
      () => kms.getParametersForImport({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }),
      'AccessDeniedException',
    );
    await importMaterial(kms, keyId, randomBytes(32), { algorithm: 'RSA_AES_KEY_WRAP_SHA_256' });
  });

  it('deleting the key forgets its import tokens and wrapping keys', async () => {
    const { kms, clock } = setup();
    const { keyId } = await externalKey(kms);
    await kms.getParametersForImport({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
    expect(await kms.provider.read((s) => Object.keys(s.importTokens ?? {}).length)).toBe(1);
    await kms.scheduleKeyDeletion({ KeyId: keyId, PendingWindowInDays: 7 });
    clock.advance({ days: 7 });
    await kms.listKeys();
    expect(await kms.provider.read((s) => Object.keys(s.importTokens ?? {}).length)).toBe(0);
  });
});

describe('imported material in the file and WebCrypto providers', () => {
  it('a FileProvider store keeps imported material across reopen; a token from one process works in another', async () => {
    const store = newStore();
    const one = setup(store.open());
    const { keyId } = await externalKey(one.kms);
    const material = randomBytes(32);
    const params = await one.kms.getParametersForImport({
      KeyId: keyId,
      WrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256',
      WrappingKeySpec: 'RSA_3072',
    });
    // Another FileProvider on the same file (as a second `kmsbox` command would be) imports with that token.
    const two = setup(store.open());
    await two.kms.importKeyMaterial({
      KeyId: keyId,
      ImportToken: params.ImportToken,
      EncryptedKeyMaterial: wrap(params.PublicKey!, 'RSA_AES_KEY_WRAP_SHA_256', material),
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    });
    const { CiphertextBlob } = await two.kms.encrypt({ KeyId: keyId, Plaintext: utf8('on disk') });
    const three = setup(store.open());
    expect(new TextDecoder().decode((await three.kms.decrypt({ CiphertextBlob })).Plaintext)).toBe('on disk');
    await three.kms.deleteImportedKeyMaterial({ KeyId: keyId });
    const four = setup(store.open());
    await rejects(() => four.kms.decrypt({ CiphertextBlob }), 'KMSInvalidStateException');
    await importMaterial(four.kms, keyId, material);
    expect(new TextDecoder().decode((await setup(store.open()).kms.decrypt({ CiphertextBlob })).Plaintext)).toBe('on disk');
  });

  it('WebCryptoProvider imports material as a non-extractable key that encrypts and decrypts', async () => {
    const { kms } = setup(new WebCryptoProvider());
    const { keyId } = await externalKey(kms);
    const material = randomBytes(32);
    await importMaterial(kms, keyId, material, { algorithm: 'RSA_AES_KEY_WRAP_SHA_256' });
    const { CiphertextBlob } = await kms.encrypt({ KeyId: keyId, Plaintext: utf8('webcrypto') });
    await kms.deleteImportedKeyMaterial({ KeyId: keyId });
    await rejects(() => importMaterial(kms, keyId, randomBytes(32)), 'IncorrectKeyMaterialException');
    await importMaterial(kms, keyId, material, { algorithm: 'RSAES_OAEP_SHA_1' });
    expect(new TextDecoder().decode((await kms.decrypt({ CiphertextBlob })).Plaintext)).toBe('webcrypto');
  });
});

describe('BYOK through the real @aws-sdk/client-kms', () => {
  it('CreateKey EXTERNAL, GetParametersForImport, ImportKeyMaterial with ValidTo, Encrypt/Decrypt, DeleteImportedKeyMaterial', async () => {
    const clock = new ManualClock(START);
    const kms = new Kms({ clock });
    const client = new KMSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 's' },
      requestHandler: createRequestHandler(kms),
      maxAttempts: 1,
    });
    const { KeyMetadata } = await client.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }));
    expect(KeyMetadata!.KeyState).toBe('PendingImport');
    const params = await client.send(
      new GetParametersForImportCommand({
        KeyId: KeyMetadata!.KeyId,
        WrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256',
        WrappingKeySpec: 'RSA_2048',
      }),
    );
    expect(params.ParametersValidTo).toEqual(new Date(START.getTime() + DAY));
    const material = randomBytes(32);
    const validTo = new Date(START.getTime() + 30 * DAY);
    const imported = await client.send(
      new ImportKeyMaterialCommand({
        KeyId: KeyMetadata!.KeyId,
        ImportToken: params.ImportToken,
        EncryptedKeyMaterial: wrap(params.PublicKey!, 'RSA_AES_KEY_WRAP_SHA_256', material),
        ExpirationModel: 'KEY_MATERIAL_EXPIRES',
        ValidTo: validTo,
      }),
    );
    expect(imported.KeyMaterialId).toMatch(/^[0-9a-f]{64}$/);
    const md = (await client.send(new DescribeKeyCommand({ KeyId: KeyMetadata!.KeyId }))).KeyMetadata!;
    expect(md).toMatchObject({
      KeyState: 'Enabled',
      Origin: 'EXTERNAL',
      ExpirationModel: 'KEY_MATERIAL_EXPIRES',
      CurrentKeyMaterialId: imported.KeyMaterialId,
    });
    expect(md.ValidTo).toEqual(validTo);
    const enc = await client.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: utf8('sdk') }));
    expect(new TextDecoder().decode((await client.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).Plaintext)).toBe('sdk');
    const deleted = await client.send(new DeleteImportedKeyMaterialCommand({ KeyId: KeyMetadata!.KeyId }));
    expect(deleted.KeyMaterialId).toBe(imported.KeyMaterialId);
    const pending = await client.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: utf8('x') })).catch((e: unknown) => e);
    expect(pending).toBeInstanceOf(KMSInvalidStateException);
    expect((pending as Error).message).toBe(`${KeyMetadata!.Arn} is pending import.`);
    const other = await client.send(
      new GetParametersForImportCommand({ KeyId: KeyMetadata!.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_1', WrappingKeySpec: 'RSA_2048' }),
    );
    const wrong = await client
      .send(
        new ImportKeyMaterialCommand({
          KeyId: KeyMetadata!.KeyId,
          ImportToken: other.ImportToken,
          EncryptedKeyMaterial: wrap(other.PublicKey!, 'RSAES_OAEP_SHA_1', randomBytes(32)),
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      )
      .catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(IncorrectKeyMaterialException);
  });
});

describe('KeyMaterialId and ImportType', () => {
  it('the KeyMaterialId of an imported HMAC_256 key is not a MAC of anything under that key', async () => {
    const { kms } = setup();
    const { keyId, arn } = await externalKey(kms, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const { KeyMaterialId } = await importMaterial(kms, keyId, randomBytes(32));
    // Were the id HMAC(material, label ‖ arn), it would verify as a MAC of label ‖ arn.
    const label = utf8(`kmsbox imported key material id\0${arn}`);
    await rejects(
      () =>
        kms.verifyMac({
          KeyId: keyId,
          Message: label,
          MacAlgorithm: 'HMAC_SHA_256',
          Mac: new Uint8Array(Buffer.from(KeyMaterialId!, 'hex')),
        }),
      'KMSInvalidMacException',
    );
  });

  it('ImportType and KeyMaterialId: symmetric keys only; a KeyMaterialId names material already on the key, never with NEW_KEY_MATERIAL', async () => {
    const { kms } = setup();
    const material = randomBytes(32);
    const call = async (keyId: string, extra: object) => {
      const params = await kms.getParametersForImport({
        KeyId: keyId,
        WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
        WrappingKeySpec: 'RSA_2048',
      });
      return kms.importKeyMaterial({
        KeyId: keyId,
        ImportToken: params.ImportToken,
        EncryptedKeyMaterial: wrap(params.PublicKey!, 'RSAES_OAEP_SHA_256', material),
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        ...extra,
      });
    };
    const someId = 'a'.repeat(64);
    const symmetric = await externalKey(kms);
    await rejects(() => call(symmetric.keyId, { KeyMaterialId: someId }), 'ValidationException'); // nothing imported yet
    const { KeyMaterialId } = await call(symmetric.keyId, {});
    await rejects(() => call(symmetric.keyId, { KeyMaterialId, ImportType: 'NEW_KEY_MATERIAL' }), 'ValidationException');
    expect((await call(symmetric.keyId, { KeyMaterialId, ImportType: 'EXISTING_KEY_MATERIAL' })).KeyMaterialId).toBe(KeyMaterialId);
    const hmacKey = await externalKey(kms, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    await rejects(() => call(hmacKey.keyId, { ImportType: 'EXISTING_KEY_MATERIAL' }), 'ValidationException');
    await rejects(() => call(hmacKey.keyId, { KeyMaterialId: someId }), 'ValidationException');
  });
});

/**
 * Issue 18 §3, "the same bytes in two key types": a blob's per-call AES key was
 * HMAC-SHA256(material, label ‖ salt ‖ 0x01), exactly GenerateMac's answer for that message under an
 * HMAC_256 key holding the same material. These tests run that attack end to end.
 */
describe('the same material in a SYMMETRIC_DEFAULT key and an HMAC key', () => {
  const V1_LABEL = utf8('kmsbox/v1 ciphertext blob key');
  const plaintext = utf8('only for holders of kms:Decrypt');
  const context = { purpose: 'payroll' };

  /** The attack: GenerateMac on the HMAC key with the message a derivation feeds to HMAC(material, ·), then AES-GCM offline. */
  async function offlineDecrypt(kms: Kms, hmacKeyId: string, blob: Uint8Array): Promise<Array<string | undefined>> {
    const header = blob.subarray(0, 48);
    const salt = blob.subarray(20, 36);
    const aad = Buffer.concat([
      header,
      Buffer.from([0, 0, 0, 1, 0, 0, 0, 7]),
      Buffer.from('purpose'),
      Buffer.from([0, 0, 0, 7]),
      Buffer.from('payroll'),
    ]);
    // v1's message (label ‖ salt ‖ 1), and what a derivation keyed by the material without the label would use.
    const messages = [Buffer.concat([V1_LABEL, salt, Buffer.from([1])]), Buffer.concat([salt, Buffer.from([1])])];
    const out: Array<string | undefined> = [];
    for (const message of messages) {
      const { Mac } = await kms.generateMac({ KeyId: hmacKeyId, Message: message, MacAlgorithm: 'HMAC_SHA_256' });
      const d = createDecipheriv('aes-256-gcm', Mac!, blob.subarray(36, 48));
      d.setAAD(aad);
      d.setAuthTag(blob.subarray(blob.length - 16));
      try {
        out.push(Buffer.concat([d.update(blob.subarray(48, blob.length - 16)), d.final()]).toString());
      } catch {
        out.push(undefined);
      }
    }
    return out;
  }

  it.each([
    ['SYMMETRIC_DEFAULT first', false],
    ['HMAC_256 first', true],
  ])('%s: the second import is IncorrectKeyMaterialException, in another account and region too', async (_, hmacFirst) => {
    const { kms } = setup();
    const material = randomBytes(32);
    const other = kms.withAccount('444455556666').withRegion('eu-west-1');
    const symmetric = { kms, ...(await externalKey(kms)) };
    const mac = { kms: other, ...(await externalKey(other, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' })) };
    const [first, second] = hmacFirst ? [mac, symmetric] : [symmetric, mac];
    await importMaterial(first.kms, first.keyId, material);
    await rejects(
      () => importMaterial(second.kms, second.keyId, material),
      'IncorrectKeyMaterialException',
      'This key material is already imported into a KMS key of another key spec; kmsbox does not let the same key material serve two kinds of key.',
    );
    expect((await second.kms.describeKey({ KeyId: second.keyId })).KeyMetadata!.KeyState).toBe('PendingImport');
    // Other material is accepted, and the same material in a second key of the same spec still is.
    await importMaterial(second.kms, second.keyId, randomBytes(32));
    const third = await externalKey(first.kms, hmacFirst ? { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' } : {});
    await importMaterial(first.kms, third.keyId, material);
  });

  it('material that differs only by trailing zero bytes is the same HMAC key (RFC 2104 pads with zeros): refused too', async () => {
    const { kms } = setup();
    const material = randomBytes(32);
    material[31] = 0x5a; // non-zero last byte: all 32 bytes count
    const symmetric = await externalKey(kms);
    await importMaterial(kms, symmetric.keyId, material);
    const refusal = /already imported into a KMS key of another key spec/;
    for (const [spec, padded] of [
      ['HMAC_256', Buffer.concat([material, Buffer.alloc(1)])],
      ['HMAC_256', Buffer.concat([material, Buffer.alloc(32)])],
      ['HMAC_224', Buffer.concat([material, Buffer.alloc(20)])],
      ['HMAC_384', Buffer.concat([material, Buffer.alloc(16)])],
      ['HMAC_512', Buffer.concat([material, Buffer.alloc(96)])],
    ] as const) {
      const k = await externalKey(kms, { KeySpec: spec, KeyUsage: 'GENERATE_VERIFY_MAC' });
      await rejects(
        () => importMaterial(kms, k.keyId, padded, { algorithm: 'RSA_AES_KEY_WRAP_SHA_256' }),
        'IncorrectKeyMaterialException',
        refusal,
      );
    }
    // A non-zero byte after it, or a byte less, is other material.
    const ok = await externalKey(kms, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    await importMaterial(kms, ok.keyId, Buffer.concat([material, Buffer.from([1])]));
    const shorter = await externalKey(kms, { KeySpec: 'HMAC_224', KeyUsage: 'GENERATE_VERIFY_MAC' });
    await importMaterial(kms, shorter.keyId, material.subarray(0, 31));
  });

  it('a SYMMETRIC_DEFAULT import is refused when an HMAC key holds the material with zero bytes added, and when its own material ends in zeros', async () => {
    const { kms } = setup();
    const material = Buffer.concat([randomBytes(28), Buffer.from([7, 0, 0, 0])]);
    const mac = await externalKey(kms, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    await importMaterial(kms, mac.keyId, Buffer.concat([material, Buffer.alloc(9)]));
    const symmetric = await externalKey(kms);
    await rejects(() => importMaterial(kms, symmetric.keyId, material), 'IncorrectKeyMaterialException', /another key spec/);
    // An HMAC_224 key holding the 29-byte core (zeros dropped) is the same key too, for another key spec.
    const kms2 = setup().kms;
    const m224 = await externalKey(kms2, { KeySpec: 'HMAC_224', KeyUsage: 'GENERATE_VERIFY_MAC' });
    await importMaterial(kms2, m224.keyId, material.subarray(0, 29));
    const s2 = await externalKey(kms2);
    await rejects(() => importMaterial(kms2, s2.keyId, material), 'IncorrectKeyMaterialException', /another key spec/);
  });

  it('two imports of the same material into keys of two specs at once: exactly one succeeds', async () => {
    const { kms } = setup();
    const material = randomBytes(32);
    const symmetric = await externalKey(kms);
    const mac = await externalKey(kms, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const wrapped = await Promise.all(
      [symmetric, mac].map(async (k) => {
        const p = await kms.getParametersForImport({
          KeyId: k.keyId,
          WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
          WrappingKeySpec: 'RSA_2048',
        });
        return {
          KeyId: k.keyId,
          ImportToken: p.ImportToken,
          EncryptedKeyMaterial: wrap(p.PublicKey!, 'RSAES_OAEP_SHA_256', material),
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' as const,
        };
      }),
    );
    const results = await Promise.allSettled(wrapped.map((w) => kms.importKeyMaterial(w)));
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((failed.reason as Error).name).toBe('IncorrectKeyMaterialException');
    const states = await Promise.all([symmetric, mac].map(async (k) => (await kms.describeKey({ KeyId: k.keyId })).KeyMetadata!.KeyState));
    expect(states.sort()).toEqual(['Enabled', 'PendingImport']);
  });

  it('GenerateMac on the HMAC key does not give the per-call key of a blob (forced pairing, as a store from before the check holds)', async () => {
    const { kms } = setup();
    const material = randomBytes(32);
    const symmetric = await externalKey(kms);
    await importMaterial(kms, symmetric.keyId, material);
    const mac = await externalKey(kms, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    // The check refuses this pairing; a store written before it existed may hold one anyway.
    const id = 'f'.repeat(64);
    await kms.provider.importMaterial('HMAC_256', material, id);
    await kms.provider.update((s) => {
      const k = s.keys[mac.arn]!;
      k.materials.push({ id, createdAt: START.getTime() });
      k.imported = { expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' };
      k.state = 'Enabled';
    });
    const { CiphertextBlob } = await kms.encrypt({ KeyId: symmetric.keyId, Plaintext: plaintext, EncryptionContext: context });
    expect(await offlineDecrypt(kms, mac.keyId, CiphertextBlob!)).toEqual([undefined, undefined]);
    expect(new TextDecoder().decode((await kms.decrypt({ CiphertextBlob, EncryptionContext: context })).Plaintext)).toBe(
      'only for holders of kms:Decrypt',
    );
  });
});
