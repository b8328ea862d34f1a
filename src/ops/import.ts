/**
 * Imported key material (BYOK): GetParametersForImport, ImportKeyMaterial,
 * DeleteImportedKeyMaterial, for keys created with Origin EXTERNAL (SYMMETRIC_DEFAULT, HMAC, and RSA and
 * ECC key pairs, whose PKCS#8 private key is checked and re-encoded by ops/imported-key-pair.ts).
 *
 * GetParametersForImport makes a fresh RSA wrapping key pair as provider material (its private
 * half never leaves the provider) and an import token: random bytes naming a record in the store
 * (key ARN, wrapping key, algorithm, expiry), so a token works across processes sharing a store.
 * ImportKeyMaterial unwraps with the provider's RSA-OAEP (and, for RSA_AES_KEY_WRAP_*, AES key
 * wrap with padding, RFC 5649) and hands the material to the provider under a KeyMaterialId
 * derived from the material and the key: the same material always gets the same id, which is how
 * a re-import is recognised as the same material (different material is
 * IncorrectKeyMaterialException), and why ciphertexts made before a delete + re-import decrypt.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { AlgorithmSpec, ExpirationModelType, ImportType, WrappingKeySpec, type KeySpec } from '../api/enums.js';
import { HMAC_SPECS, isHmacSpec, isImportedKeyPairSpec } from '../api/key-specs.js';
import type { DeleteImportedKeyMaterialResponse, GetParametersForImportResponse, ImportKeyMaterialResponse } from '../api/shapes.js';
import { Checks, type Input, plainValidation } from '../api/validate.js';
import { concatBytes, toHex, utf8Encode } from '../crypto/bytes.js';
import { randomBytes } from '../crypto/random.js';
import {
  ExpiredImportTokenException,
  IncorrectKeyMaterialException,
  InvalidCiphertextException,
  InvalidImportTokenException,
  KMSInvalidStateException,
  NotFoundException,
  UnsupportedOperationException,
} from '../errors.js';
import type { ImportedMaterial, ImportTokenRecord, KeyRecord, StoreState } from '../keys/record.js';
import { checkState, type KeyOperation } from '../keys/states.js';
import { DAY_MS, type Env } from './env.js';
import { keyIdMember } from './fields.js';
import { checkImportedKeyPair } from './imported-key-pair.js';
import { findKey, keyNotFound, removeImportedMaterial, removePendingMaterial } from './lookup.js';

/** Import tokens and wrapping keys are valid for 24 hours (API reference). */
const TOKEN_LIFETIME_MS = DAY_MS;
/** Expired tokens are still recognised (ExpiredImportTokenException) for this long, then forgotten. */
const EXPIRED_TOKEN_RETENTION_MS = 7 * DAY_MS;
/** ValidTo may be at most 365 days after the request (API reference). */
const MAX_VALID_TO_MS = 365 * DAY_MS;
const TOKEN_VERSION = 1;
const TOKEN_BYTES = 1 + 32;
const MODULUS_BYTES = { RSA_2048: 256, RSA_3072: 384, RSA_4096: 512 } as const;
type RsaWrappingKeySpec = keyof typeof MODULUS_BYTES;
const MATERIAL_ID_LABEL = utf8Encode('kmsbox imported key material id\0');
const KEY_PAIR_ID_LABEL = utf8Encode('kmsbox imported key pair id\0');
const KEY_MATERIAL_ID = /^[a-f0-9]{64}$/;
const KEY_MATERIAL_DESCRIPTION = /^[a-zA-Z0-9:/_\s.-]+$/;

/** The material sizes AWS accepts per key spec, in bytes (developer guide, "importing key material"). */
const HMAC_IMPORT_BYTES = { HMAC_224: [28, 64], HMAC_256: [32, 64], HMAC_384: [48, 128], HMAC_512: [64, 128] } as const;

/** AWS-recorded: the import operations on a key whose origin is not EXTERNAL. */
function checkExternal(key: KeyRecord): void {
  if (key.origin !== 'EXTERNAL') {
    throw new UnsupportedOperationException({ message: `${key.arn} origin is ${key.origin} which is not valid for this operation.` });
  }
}

async function importableKey(env: Env, keyId: string, operation: KeyOperation): Promise<KeyRecord> {
  const key = await findKey(env, keyId);
  checkExternal(key);
  checkState(operation, key);
  return key;
}

export async function getParametersForImport(env: Env, input: Input): Promise<GetParametersForImportResponse> {
  const c = new Checks(input);
  const { keyId, algorithm, wrappingKeySpec } = c.done({
    keyId: c.required(keyIdMember(c)),
    algorithm: c.required(c.oneOf('WrappingAlgorithm', AlgorithmSpec, true)),
    wrappingKeySpec: c.required(c.oneOf('WrappingKeySpec', WrappingKeySpec, true)),
  });
  if (algorithm === 'RSAES_PKCS1_V1_5') {
    // AWS stopped supporting it on 2023-10-10 (API reference); its exact answer is not recorded.
    throw plainValidation(
      'The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported. Use RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1, RSA_AES_KEY_WRAP_SHA_256 or RSA_AES_KEY_WRAP_SHA_1.',
    );
  }
  if (algorithm === 'SM2PKE' || wrappingKeySpec === 'SM2') {
    if (algorithm === 'SM2PKE' && wrappingKeySpec === 'SM2') {
      throw new UnsupportedOperationException({
        message: 'The SM2PKE wrapping algorithm and SM2 wrapping keys are supported in China Regions only.',
      });
    }
    throw plainValidation(`WrappingAlgorithm ${algorithm} is not compatible with WrappingKeySpec ${wrappingKeySpec}.`);
  }
  const spec = wrappingKeySpec as RsaWrappingKeySpec;
  const key = await importableKey(env, keyId, 'GetParametersForImport');
  checkWrappingFor(key, algorithm, spec);
  await sweepTokens(env);

  const now = env.now();
  const wrappingMaterialId = await env.provider.createMaterial(spec, 'ENCRYPT_DECRYPT');
  const token = concatBytes(new Uint8Array([TOKEN_VERSION]), randomBytes(TOKEN_BYTES - 1));
  const record: ImportTokenRecord = {
    keyArn: key.arn,
    wrappingMaterialId,
    wrappingAlgorithm: algorithm,
    wrappingKeySpec: spec,
    validTo: now + TOKEN_LIFETIME_MS,
  };
  let publicKey: Uint8Array;
  try {
    publicKey = await env.provider.publicKey(wrappingMaterialId);
    await env.provider.update((s) => {
      const current = s.keys[key.arn];
      if (current === undefined) throw keyNotFound(key.arn);
      checkState('GetParametersForImport', current);
      (s.importTokens ??= {})[toHex(token)] = record;
    });
  } catch (error) {
    await env.provider.destroyMaterial([wrappingMaterialId]).catch(() => undefined);
    throw error;
  }
  return { KeyId: key.arn, ImportToken: token, PublicKey: publicKey, ParametersValidTo: new Date(record.validTo) };
}

export async function importKeyMaterial(env: Env, input: Input): Promise<ImportKeyMaterialResponse> {
  const c = new Checks(input);
  const keyId = c.required(keyIdMember(c));
  const token = c.required(c.bytes('ImportToken', { required: true, min: 1, max: 6144 }));
  const encrypted = c.required(c.bytes('EncryptedKeyMaterial', { required: true, min: 1, max: 6144 }));
  const validToValue = c.present('ValidTo');
  if (validToValue !== undefined && !(validToValue instanceof Date && Number.isFinite(validToValue.getTime()))) {
    c.add(`Value at 'validTo' failed to satisfy constraint: Member must be of type timestamp`);
  }
  const model = c.oneOf('ExpirationModel', ExpirationModelType);
  const importType = c.oneOf('ImportType', ImportType);
  const description = c.string('KeyMaterialDescription', { min: 0, max: 256, pattern: KEY_MATERIAL_DESCRIPTION });
  const materialIdInput = c.string('KeyMaterialId', { min: 64, max: 64, pattern: KEY_MATERIAL_ID });
  const checked = c.done({ keyId, token, encrypted });
  const validTo = validToValue instanceof Date ? validToValue.getTime() : undefined;
  // Without ExpirationModel: KEY_MATERIAL_EXPIRES, the documented default, so ValidTo is then
  // required (AWS-recorded: the same ValidationException as with the model given).
  const expirationModel = model ?? 'KEY_MATERIAL_EXPIRES';
  if (expirationModel === 'KEY_MATERIAL_EXPIRES' && validTo === undefined) {
    throw plainValidation('A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES'); // AWS-recorded
  }
  if (expirationModel === 'KEY_MATERIAL_DOES_NOT_EXPIRE' && validTo !== undefined) {
    throw plainValidation('A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE');
  }
  const now = env.now();
  if (validTo !== undefined && validTo <= now) throw plainValidation('The validTo date must be in the future.');
  if (validTo !== undefined && validTo > now + MAX_VALID_TO_MS)
    throw plainValidation('The validTo date must be no more than 365 days in the future.');

  const key = await importableKey(env, checked.keyId, 'ImportKeyMaterial');
  const previous = key.materials[key.materials.length - 1];
  // AWS: ImportType and KeyMaterialId are for symmetric encryption keys only; a KeyMaterialId names
  // material already associated with the key, so never with NEW_KEY_MATERIAL.
  if ((importType !== undefined || materialIdInput !== undefined) && key.keySpec !== 'SYMMETRIC_DEFAULT') {
    throw plainValidation('ImportType and KeyMaterialId are only valid for symmetric encryption keys.');
  }
  if (materialIdInput !== undefined && (importType === 'NEW_KEY_MATERIAL' || previous === undefined)) {
    throw plainValidation(
      'KeyMaterialId must name key material already associated with the key, and cannot be used with ImportType NEW_KEY_MATERIAL.',
    );
  }
  // New material for a key that has some: staged for RotateKeyOnDemand (developer guide, "Import
  // new key material"). The first material of a key is associated whatever the ImportType.
  const stage = importType === 'NEW_KEY_MATERIAL' && previous !== undefined;

  const tokenBytes = checked.token;
  const tokenRecord = await env.provider.read((s) =>
    tokenBytes.length === TOKEN_BYTES && tokenBytes[0] === TOKEN_VERSION ? s.importTokens?.[toHex(tokenBytes)] : undefined,
  );
  if (tokenRecord === undefined || tokenRecord.keyArn !== key.arn) {
    throw new InvalidImportTokenException({ message: 'The import token is invalid or is associated with a different KMS key.' });
  }
  if (tokenRecord.validTo <= now) {
    throw new ExpiredImportTokenException({
      message: 'The import token has expired. Use GetParametersForImport to get a new import token and public key.',
    });
  }

  const unwrapped = await unwrap(env, tokenRecord, checked.encrypted);
  let material = unwrapped;
  try {
    let materialId: string;
    if (isImportedKeyPairSpec(key.keySpec)) {
      // Checked against the spec and re-encoded; identified by its public key, so the same key
      // pair is the same material whichever encoding of it the importer sent.
      const pair = await checkImportedKeyPair(key.keySpec, unwrapped);
      material = pair.pkcs8;
      materialId = materialIdFor(key.arn, pair.spki, KEY_PAIR_ID_LABEL);
    } else {
      checkMaterialSize(key, material);
      // A fingerprint, not a MAC under the material: an HMAC keyed with it would be a valid
      // GenerateMac tag of an imported HMAC_256 key, handed out in every response.
      materialId = materialIdFor(key.arn, material);
    }
    const imported: ImportedMaterial = { expirationModel, ...(validTo !== undefined ? { validTo } : {}) };
    const place = stage
      ? stageNew(key.arn, materialId, imported, now, description)
      : associate(key.arn, materialId, imported, now, description);
    place(key); // before the material reaches the provider: a refusal leaves nothing behind
    if (materialIdInput !== undefined && materialIdInput !== materialId) {
      throw new IncorrectKeyMaterialException({ message: `The key material does not have KeyMaterialId ${materialIdInput}.` });
    }
    const otherKind = heldByAnotherKind(key, material);
    await env.provider.read(otherKind);
    // In the provider already (a re-import): a failed update must not destroy it.
    const missing = key.imported !== undefined ? [] : (key.missingMaterials ?? key.materials.map((m) => m.id));
    const wasHeld =
      (key.materials.some((m) => m.id === materialId) && !missing.includes(materialId)) || key.pendingMaterial?.id === materialId;
    await env.provider.importMaterial(key.keySpec, material, materialId);
    try {
      await env.provider.update((s) => {
        const k = s.keys[key.arn];
        if (k === undefined) throw keyNotFound(key.arn);
        checkState('ImportKeyMaterial', k);
        otherKind(s); // again inside the update: two imports racing into two keys
        place(k, true);
      });
    } catch (error) {
      // The material was not in use before this call: it must not stay behind.
      if (!wasHeld) await env.provider.destroyMaterial([materialId]).catch(() => undefined);
      throw error;
    }
    return { KeyId: key.arn, KeyMaterialId: materialId };
  } finally {
    unwrapped.fill(0);
    material.fill(0);
  }
}

type Placement = (key: KeyRecord, apply?: boolean) => void;

/**
 * EXISTING_KEY_MATERIAL (the default): the key's first material, or material already associated
 * with it (a re-import: after a delete or expiry, or to change the expiration), or the material
 * pending rotation imported again. Checks `key`; with `apply`, also records the import in it.
 */
function associate(arn: string, materialId: string, imported: ImportedMaterial, now: number, description: string | undefined): Placement {
  return (k, apply = false) => {
    const pending = k.pendingMaterial;
    if (pending?.id === materialId) {
      const kept = description ?? pending.description;
      if (apply)
        k.pendingMaterial = {
          id: materialId,
          importedAt: pending.importedAt,
          ...imported,
          ...(kept !== undefined ? { description: kept } : {}),
        };
      return;
    }
    if (k.materials.length > 0 && !k.materials.some((m) => m.id === materialId)) {
      throw new IncorrectKeyMaterialException({
        message: `The key material is not the key material that was previously imported into ${arn}.`,
      });
    }
    if (!apply) return;
    if (k.materials.length === 0) k.materials.push({ id: materialId, createdAt: now });
    // Without a KeyMaterialDescription, the one given before stays (API reference).
    if (description !== undefined) k.materials = k.materials.map((m) => (m.id === materialId ? { ...m, description } : m));
    const missing = k.imported !== undefined ? [] : (k.missingMaterials ?? k.materials.map((m) => m.id)).filter((id) => id !== materialId);
    if (missing.length > 0) {
      k.missingMaterials = missing; // still PendingImport: other associated material is missing
      return;
    }
    delete k.missingMaterials;
    k.imported = imported;
    if (k.state === 'PendingImport') k.state = 'Enabled';
  };
}

/** NEW_KEY_MATERIAL: staged, pending rotation; one at a time (AWS-recorded message). */
function stageNew(arn: string, materialId: string, imported: ImportedMaterial, now: number, description: string | undefined): Placement {
  return (k, apply = false) => {
    if (k.materials.some((m) => m.id === materialId)) {
      throw new IncorrectKeyMaterialException({
        message: `The key material is already associated with ${arn}; import it again with ImportType EXISTING_KEY_MATERIAL.`,
      });
    }
    const pending = k.pendingMaterial;
    if (pending !== undefined && pending.id !== materialId) {
      throw new KMSInvalidStateException({
        message: `New key material (id: ${materialId}) cannot be imported into KMS key ${arn}, because another key material (id: ${pending.id}) is pending rotation.`,
      });
    }
    if (apply) {
      const kept = description ?? (pending?.id === materialId ? pending.description : undefined);
      k.pendingMaterial = { id: materialId, importedAt: now, ...imported, ...(kept !== undefined ? { description: kept } : {}) };
    }
  };
}

export async function deleteImportedKeyMaterial(env: Env, input: Input): Promise<DeleteImportedKeyMaterialResponse> {
  const c = new Checks(input);
  const { keyId, materialIdInput } = c.done({
    keyId: c.required(keyIdMember(c)),
    materialIdInput: c.string('KeyMaterialId', { min: 64, max: 64, pattern: KEY_MATERIAL_ID }),
  });
  const key = await importableKey(env, keyId, 'DeleteImportedKeyMaterial');
  const current = key.materials[key.materials.length - 1];
  // Material pending rotation is deleted alone: the key's state does not change (API reference:
  // PENDING_ROTATION material is not yet permanently associated with the key).
  if (materialIdInput !== undefined && materialIdInput === key.pendingMaterial?.id) {
    await removePendingMaterial(env, key.arn, undefined, 'DeleteImportedKeyMaterial');
    return { KeyId: key.arn, KeyMaterialId: materialIdInput };
  }
  if (materialIdInput !== undefined && !key.materials.some((m) => m.id === materialIdInput)) {
    throw new NotFoundException({ message: `Key material ${materialIdInput} is not associated with ${key.arn}.` });
  }
  // Any associated material deleted makes the key PendingImport (developer guide); kmsbox deletes
  // all of it (one expiration per key), and each must be imported again.
  // A key without material (PendingImport): no effect, as the key-state table says.
  await removeImportedMaterial(env, key.arn, 'DeleteImportedKeyMaterial');
  return {
    KeyId: key.arn,
    ...(materialIdInput !== undefined ? { KeyMaterialId: materialIdInput } : current !== undefined ? { KeyMaterialId: current.id } : {}),
  };
}

/** The key material from EncryptedKeyMaterial, or InvalidCiphertextException. */
async function unwrap(env: Env, token: ImportTokenRecord, encrypted: Uint8Array): Promise<Uint8Array> {
  const invalid = () =>
    new InvalidCiphertextException({
      message: `The EncryptedKeyMaterial cannot be decrypted with the wrapping key of this import token and ${token.wrappingAlgorithm}.`,
    });
  const oaep = token.wrappingAlgorithm.endsWith('SHA_256') ? 'RSAES_OAEP_SHA_256' : 'RSAES_OAEP_SHA_1';
  const modulus = MODULUS_BYTES[token.wrappingKeySpec as RsaWrappingKeySpec];
  if (token.wrappingAlgorithm === 'RSAES_OAEP_SHA_1' || token.wrappingAlgorithm === 'RSAES_OAEP_SHA_256') {
    if (encrypted.length !== modulus) throw invalid();
    const material = await env.provider.asymmetricDecrypt(token.wrappingMaterialId, oaep, encrypted);
    if (material === undefined) throw invalid();
    return material;
  }
  // RSA_AES_KEY_WRAP_SHA_*: RSA-OAEP of an ephemeral AES key, then that key's AES-KWP (RFC 5649) of the material.
  if (encrypted.length < modulus + 16) throw invalid();
  const aesKey = await env.provider.asymmetricDecrypt(token.wrappingMaterialId, oaep, encrypted.subarray(0, modulus));
  if (aesKey === undefined || ![16, 24, 32].includes(aesKey.length)) throw invalid();
  const { aeskwp } = await import('../crypto/noble-aes.js'); // loaded on first use: most pages import no key material
  try {
    return aeskwp(aesKey).decrypt(encrypted.subarray(modulus));
  } catch {
    throw invalid();
  } finally {
    aesKey.fill(0);
  }
}

/**
 * The KeyMaterialId of `material` imported into the key `arn`: a fingerprint bound to the key. For
 * a key pair, `material` is its public key (SPKI) and the label another: never equal to the id of
 * secret material with the same bytes.
 */
function materialIdFor(arn: string, material: Uint8Array, label = MATERIAL_ID_LABEL): string {
  return toHex(sha256(concatBytes(label, utf8Encode(arn), sha256(material))));
}

/**
 * The wrapping algorithms AWS offers per kind of material (API reference, GetParametersForImport,
 * WrappingAlgorithm): an RSA private key does not fit in one RSA-OAEP block, so only the
 * RSA_AES_KEY_WRAP_* algorithms wrap it; and ECC_NIST_P521 material does not fit RSAES_OAEP_* under
 * an RSA_2048 wrapping key. AWS's exact answer is not recorded: kmsbox refuses the pair here, at
 * GetParametersForImport, with a ValidationException, rather than fail the import later.
 */
function checkWrappingFor(key: KeyRecord, algorithm: string, wrappingKeySpec: RsaWrappingKeySpec): void {
  if (!algorithm.startsWith('RSAES_OAEP')) return;
  if (key.keySpec.startsWith('RSA_')) {
    throw plainValidation(
      `The ${algorithm} wrapping algorithm cannot wrap ${key.keySpec} key material: RSA private keys are wrapped with RSA_AES_KEY_WRAP_SHA_1 or RSA_AES_KEY_WRAP_SHA_256.`,
    );
  }
  if (key.keySpec === 'ECC_NIST_P521' && wrappingKeySpec === 'RSA_2048') {
    throw plainValidation(
      `The ${algorithm} wrapping algorithm with an RSA_2048 wrapping key cannot wrap ECC_NIST_P521 key material: use a larger wrapping key spec or an RSA_AES_KEY_WRAP wrapping algorithm.`,
    );
  }
}

/**
 * One key material, one kind of key (issue 18): a check that throws when a key of another key spec,
 * in any account or region of this provider, holds material equal to `material` as HMAC sees it.
 * Blobs of format v1 derive their AES key as HMAC-SHA256(material, label ‖ salt ‖ 1), so an HMAC_256
 * key with the same material would hand that key to anyone allowed GenerateMac (v2 blobs separate the
 * two, crypto/call-key.ts; this keeps v1 blobs and any other cross-use safe too).
 *
 * HMAC pads a key shorter than the hash block with zero bytes (RFC 2104 §2), so material with
 * trailing zero bytes added is the same HMAC key: every length the other key's spec accepts is
 * tried. Each other key's KeyMaterialId binds its ARN, so the ids are recomputed per key: a scan of
 * the records, which ImportKeyMaterial reads anyway; imports are rare and only Origin EXTERNAL keys
 * of another spec are hashed (a few dozen SHA-256 each). Related multi-Region keys share one spec, so
 * they never meet this check; nor does the same material in keys of the same spec, which AWS allows.
 */
function heldByAnotherKind(key: KeyRecord, material: Uint8Array): (s: Readonly<StoreState>) => void {
  let end = material.length;
  while (end > 0 && material[end - 1] === 0) end--;
  const core = material.subarray(0, end);
  const inner = new Map<number, Uint8Array>(); // sha256 of the core padded to each length
  const innerHash = (length: number): Uint8Array => {
    let h = inner.get(length);
    if (h === undefined) {
      const padded = new Uint8Array(length);
      padded.set(core);
      inner.set(length, (h = sha256(padded)));
      padded.fill(0);
    }
    return h;
  };
  return (s) => {
    for (const other of Object.values(s.keys)) {
      if (other.origin !== 'EXTERNAL' || other.keySpec === key.keySpec || other.materials.length === 0) continue;
      const ids = new Set([...other.materials.map((m) => m.id), ...(other.pendingMaterial ? [other.pendingMaterial.id] : [])]);
      const [min, max] = importBytes(other.keySpec);
      for (let length = Math.max(min, core.length); length <= max; length++) {
        if (ids.has(toHex(sha256(concatBytes(MATERIAL_ID_LABEL, utf8Encode(other.arn), innerHash(length)))))) {
          throw new IncorrectKeyMaterialException({
            message:
              'This key material is already imported into a KMS key of another key spec; kmsbox does not let the same key material serve two kinds of key.',
          });
        }
      }
    }
  };
}

/** The material lengths ImportKeyMaterial accepts for an importable key spec. */
function importBytes(spec: KeySpec): readonly [number, number] {
  return isHmacSpec(spec) ? HMAC_IMPORT_BYTES[spec] : spec === 'SYMMETRIC_DEFAULT' ? [32, 32] : [1, 0];
}

function checkMaterialSize(key: KeyRecord, material: Uint8Array): void {
  if (key.keySpec === 'SYMMETRIC_DEFAULT') {
    if (material.length !== 32) {
      throw new IncorrectKeyMaterialException({
        message: `Key material for a SYMMETRIC_DEFAULT key must be 256 bits (32 bytes); this is ${material.length} bytes.`,
      });
    }
    return;
  }
  if (isHmacSpec(key.keySpec)) {
    const [min, max] = HMAC_IMPORT_BYTES[key.keySpec];
    if (material.length < min || material.length > max) {
      throw new IncorrectKeyMaterialException({
        message: `Key material for a ${key.keySpec} key (${HMAC_SPECS[key.keySpec].algorithm}) must be ${min} to ${max} bytes; this is ${material.length} bytes.`,
      });
    }
    return;
  }
  throw new UnsupportedOperationException({ message: `Importing ${key.keySpec} key material is not supported by kmsbox yet.` });
}

/** Forgets import tokens that expired more than a week ago, with their wrapping keys. */
async function sweepTokens(env: Env): Promise<void> {
  const cutoff = env.now() - EXPIRED_TOKEN_RETENTION_MS;
  const stale = await env.provider.read((s) =>
    Object.entries(s.importTokens ?? {})
      .filter(([, t]) => t.validTo <= cutoff)
      .map(([id]) => id),
  );
  if (stale.length === 0) return;
  const ids = await env.provider.update((s) => {
    const tokens = s.importTokens ?? {};
    const out: string[] = [];
    for (const id of stale) {
      const t = tokens[id];
      if (t === undefined) continue;
      out.push(t.wrappingMaterialId);
      delete tokens[id];
    }
    return out;
  });
  await env.provider.destroyMaterial(ids);
}
