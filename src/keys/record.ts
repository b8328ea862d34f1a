/**
 * What the store keeps per key and per alias: plain JSON-safe data (times are epoch
 * milliseconds), so any provider can persist it as it is. Secrets are not here: a record names
 * its material versions by KeyMaterialId and the provider holds the material.
 */
import type {
  AlgorithmSpec,
  ExpirationModelType,
  KeySpec,
  KeyState,
  KeyUsageType,
  OriginType,
  RotationType,
  WrappingKeySpec,
} from '../api/enums.js';
import { KMSInternalException } from '../errors.js';

export interface MaterialVersion {
  /** KeyMaterialId: 64 lowercase hex characters. */
  readonly id: string;
  readonly createdAt: number;
  /** How this version came to be; absent for the key's first material. */
  readonly rotationType?: RotationType;
  /** Imported material: the KeyMaterialDescription of its last import that gave one. */
  readonly description?: string;
}

export interface RotationSettings {
  enabled: boolean;
  periodInDays?: number;
  nextRotationDate?: number;
  onDemandCount: number;
}

export interface TagRecord {
  readonly TagKey: string;
  readonly TagValue: string;
}

export interface KeyRecord {
  readonly keyId: string;
  readonly arn: string;
  readonly accountId: string;
  readonly region: string;
  readonly createdAt: number;
  readonly keySpec: KeySpec;
  readonly keyUsage: KeyUsageType;
  readonly origin: OriginType;
  readonly multiRegion: boolean;
  /**
   * A multi-Region key's role in its set of related keys (same key id and account, one per
   * region): absent means PRIMARY (keys stored before replication existed). Key material and
   * rotation settings are shared: every change to them is made to all related records in one
   * update.
   */
  multiRegionKeyType?: 'PRIMARY' | 'REPLICA';
  description: string;
  state: KeyState;
  deletionDate?: number;
  pendingWindowInDays?: number;
  policy: string;
  tags: TagRecord[];
  /** Every material version; a blob names its version by index here. The last one is current. */
  materials: MaterialVersion[];
  rotation: RotationSettings;
  /**
   * Origin EXTERNAL: present while imported material is in the provider (the key is usable);
   * absent before the first import and after the material was deleted or expired. The material
   * version(s) stay listed in `materials` meanwhile, so the same material imported again makes
   * every old ciphertext decrypt.
   */
  imported?: ImportedMaterial;
  /**
   * Origin EXTERNAL, after DeleteImportedKeyMaterial or expiry: the ids in `materials` not imported
   * again yet. The key is usable again (`imported` set) once every one of them is back. Absent
   * with `imported` absent and `materials` non-empty (stores written before it existed): all of them.
   */
  missingMaterials?: string[];
  /**
   * Origin EXTERNAL, SYMMETRIC_DEFAULT: new key material imported with ImportType NEW_KEY_MATERIAL,
   * pending rotation (KeyMaterialState PENDING_ROTATION): RotateKeyOnDemand makes it current. Not
   * in `materials` until then (never used to encrypt or decrypt). At most one at a time (AWS).
   */
  pendingMaterial?: PendingMaterial;
}

export interface PendingMaterial extends ImportedMaterial {
  readonly id: string;
  readonly importedAt: number;
  readonly description?: string;
}

export interface ImportedMaterial {
  readonly expirationModel: ExpirationModelType;
  /** Epoch ms; only with KEY_MATERIAL_EXPIRES. */
  readonly validTo?: number;
}

/**
 * What an import token stands for (GetParametersForImport): the token itself is random bytes
 * naming this record; the RSA wrapping key's private half is provider material.
 */
export interface ImportTokenRecord {
  readonly keyArn: string;
  readonly wrappingMaterialId: string;
  readonly wrappingAlgorithm: AlgorithmSpec;
  readonly wrappingKeySpec: WrappingKeySpec;
  /** Epoch ms: ParametersValidTo. */
  readonly validTo: number;
}

export interface AliasRecord {
  readonly aliasName: string;
  readonly arn: string;
  targetKeyId: string;
  readonly createdAt: number;
  updatedAt: number;
}

export interface GrantConstraintsRecord {
  EncryptionContextSubset?: Record<string, string>;
  EncryptionContextEquals?: Record<string, string>;
}

export interface GrantRecord {
  /** 64 lowercase hex characters. */
  readonly grantId: string;
  readonly keyArn: string;
  readonly name?: string;
  readonly granteePrincipal: string;
  readonly retiringPrincipal?: string;
  /** The account root ARN of the account that created the grant. */
  readonly issuingAccount: string;
  readonly operations: string[];
  readonly constraints?: GrantConstraintsRecord;
  readonly createdAt: number;
}

/** Everything a provider persists for the Kms: keys by key ARN, aliases by alias ARN, grants by grant id. */
export interface StoreState {
  keys: Record<string, KeyRecord>;
  aliases: Record<string, AliasRecord>;
  /** Absent in stores written before grants existed. */
  grants?: Record<string, GrantRecord>;
  /** Import tokens by their hex form; absent in stores written before imports existed. */
  importTokens?: Record<string, ImportTokenRecord>;
}

export function emptyState(): StoreState {
  return { keys: {}, aliases: {}, grants: {} };
}

/**
 * The version a key encrypts, signs or MACs with now: the last of `materials`. Operations call it
 * once the key's state allows use, which implies material; an empty list is a broken store.
 */
export function currentMaterial(key: KeyRecord): MaterialVersion {
  const current = key.materials.at(-1);
  if (current === undefined) throw new KMSInternalException({ message: `Key ${key.arn} has no key material.` });
  return current;
}
