/// <reference types="node" />
/**
 * The `aws kms` verbs: `kmsbox create-key`, `kmsbox encrypt --key-id K --plaintext fileb://F`, …
 * with the AWS CLI's flag names (kebab-case members), blob arguments as base64 or `fileb://`,
 * its shorthand for maps and structure lists, `--output json|text` and `--query A.B`. Requests
 * go to a key-store file (`--store`) or to a server (`--endpoint-url`).
 */
import { readFileSync } from 'node:fs';
import { fromBase64, toBase64 } from '../protocol/base64.js';
import { setOwn } from '../api/set-own.js';
import { decodeInput, encodeOutput } from '../protocol/codec.js';
import { REGION_NAME } from '../keys/arn.js';

type Kind = 'string' | 'integer' | 'boolean' | 'blob' | 'map' | 'strings' | 'tags' | 'constraints' | 'timestamp';

/** What each request member is on the command line (one table; names are shared across operations). */
const MEMBER_KINDS: Record<string, Kind> = {
  KeyId: 'string',
  AliasName: 'string',
  TargetKeyId: 'string',
  Description: 'string',
  Policy: 'string',
  KeyUsage: 'string',
  KeySpec: 'string',
  CustomerMasterKeySpec: 'string',
  Origin: 'string',
  CustomKeyStoreId: 'string',
  XksKeyId: 'string',
  Marker: 'string',
  EncryptionAlgorithm: 'string',
  SourceKeyId: 'string',
  DestinationKeyId: 'string',
  SourceEncryptionAlgorithm: 'string',
  DestinationEncryptionAlgorithm: 'string',
  IncludeKeyMaterial: 'string',
  Limit: 'integer',
  NumberOfBytes: 'integer',
  PendingWindowInDays: 'integer',
  RotationPeriodInDays: 'integer',
  DryRun: 'boolean',
  MultiRegion: 'boolean',
  BypassPolicyLockoutSafetyCheck: 'boolean',
  Plaintext: 'blob',
  CiphertextBlob: 'blob',
  Message: 'blob',
  Mac: 'blob',
  MacAlgorithm: 'string',
  Signature: 'blob',
  SigningAlgorithm: 'string',
  MessageType: 'string',
  KeyPairSpec: 'string',
  KeyAgreementAlgorithm: 'string',
  PublicKey: 'blob',
  EncryptionContext: 'map',
  SourceEncryptionContext: 'map',
  DestinationEncryptionContext: 'map',
  GrantTokens: 'strings',
  TagKeys: 'strings',
  DryRunModifiers: 'strings',
  Tags: 'tags',
  PolicyName: 'string',
  GranteePrincipal: 'string',
  RetiringPrincipal: 'string',
  Name: 'string',
  GrantId: 'string',
  GrantToken: 'string',
  Operations: 'strings',
  Constraints: 'constraints',
  ReplicaRegion: 'string',
  PrimaryRegion: 'string',
  WrappingAlgorithm: 'string',
  WrappingKeySpec: 'string',
  ImportToken: 'blob',
  EncryptedKeyMaterial: 'blob',
  ValidTo: 'timestamp',
  ExpirationModel: 'string',
  ImportType: 'string',
  KeyMaterialDescription: 'string',
  KeyMaterialId: 'string',
};

const OPERATION_MEMBERS: Record<string, string[]> = {
  CancelKeyDeletion: ['KeyId'],
  CreateAlias: ['AliasName', 'TargetKeyId'],
  CreateKey: [
    'Policy',
    'Description',
    'KeyUsage',
    'CustomerMasterKeySpec',
    'KeySpec',
    'Origin',
    'CustomKeyStoreId',
    'BypassPolicyLockoutSafetyCheck',
    'Tags',
    'MultiRegion',
    'XksKeyId',
  ],
  Decrypt: ['CiphertextBlob', 'EncryptionContext', 'GrantTokens', 'KeyId', 'EncryptionAlgorithm', 'DryRun', 'DryRunModifiers'],
  DeleteAlias: ['AliasName'],
  DeleteImportedKeyMaterial: ['KeyId', 'KeyMaterialId'],
  DeriveSharedSecret: ['KeyId', 'KeyAgreementAlgorithm', 'PublicKey', 'GrantTokens', 'DryRun'],
  DescribeKey: ['KeyId', 'GrantTokens'],
  DisableKey: ['KeyId'],
  DisableKeyRotation: ['KeyId'],
  EnableKey: ['KeyId'],
  EnableKeyRotation: ['KeyId', 'RotationPeriodInDays'],
  Encrypt: ['KeyId', 'Plaintext', 'EncryptionContext', 'GrantTokens', 'EncryptionAlgorithm', 'DryRun'],
  GenerateDataKey: ['KeyId', 'EncryptionContext', 'NumberOfBytes', 'KeySpec', 'GrantTokens', 'DryRun'],
  GenerateDataKeyWithoutPlaintext: ['KeyId', 'EncryptionContext', 'KeySpec', 'NumberOfBytes', 'GrantTokens', 'DryRun'],
  GenerateDataKeyPair: ['EncryptionContext', 'KeyId', 'KeyPairSpec', 'GrantTokens', 'DryRun'],
  GenerateDataKeyPairWithoutPlaintext: ['EncryptionContext', 'KeyId', 'KeyPairSpec', 'GrantTokens', 'DryRun'],
  GenerateMac: ['Message', 'KeyId', 'MacAlgorithm', 'GrantTokens', 'DryRun'],
  GenerateRandom: ['NumberOfBytes', 'CustomKeyStoreId'],
  GetKeyRotationStatus: ['KeyId'],
  GetParametersForImport: ['KeyId', 'WrappingAlgorithm', 'WrappingKeySpec'],
  GetPublicKey: ['KeyId', 'GrantTokens'],
  ImportKeyMaterial: [
    'KeyId',
    'ImportToken',
    'EncryptedKeyMaterial',
    'ValidTo',
    'ExpirationModel',
    'ImportType',
    'KeyMaterialDescription',
    'KeyMaterialId',
  ],
  ListAliases: ['KeyId', 'Limit', 'Marker'],
  ListKeyRotations: ['KeyId', 'IncludeKeyMaterial', 'Limit', 'Marker'],
  ListKeys: ['Limit', 'Marker'],
  ListResourceTags: ['KeyId', 'Limit', 'Marker'],
  ReEncrypt: [
    'CiphertextBlob',
    'SourceEncryptionContext',
    'SourceKeyId',
    'DestinationKeyId',
    'DestinationEncryptionContext',
    'SourceEncryptionAlgorithm',
    'DestinationEncryptionAlgorithm',
    'GrantTokens',
    'DryRun',
    'DryRunModifiers',
  ],
  ReplicateKey: ['KeyId', 'ReplicaRegion', 'Policy', 'BypassPolicyLockoutSafetyCheck', 'Description', 'Tags'],
  RotateKeyOnDemand: ['KeyId'],
  ScheduleKeyDeletion: ['KeyId', 'PendingWindowInDays'],
  Sign: ['KeyId', 'Message', 'MessageType', 'SigningAlgorithm', 'GrantTokens', 'DryRun'],
  TagResource: ['KeyId', 'Tags'],
  UntagResource: ['KeyId', 'TagKeys'],
  UpdateAlias: ['AliasName', 'TargetKeyId'],
  UpdateKeyDescription: ['KeyId', 'Description'],
  UpdatePrimaryRegion: ['KeyId', 'PrimaryRegion'],
  Verify: ['KeyId', 'Message', 'MessageType', 'Signature', 'SigningAlgorithm', 'GrantTokens', 'DryRun'],
  VerifyMac: ['Message', 'KeyId', 'MacAlgorithm', 'Mac', 'GrantTokens', 'DryRun'],
  GetKeyPolicy: ['KeyId', 'PolicyName'],
  PutKeyPolicy: ['KeyId', 'PolicyName', 'Policy', 'BypassPolicyLockoutSafetyCheck'],
  ListKeyPolicies: ['KeyId', 'Limit', 'Marker'],
  CreateGrant: ['KeyId', 'GranteePrincipal', 'RetiringPrincipal', 'Operations', 'Constraints', 'GrantTokens', 'Name', 'DryRun'],
  ListGrants: ['KeyId', 'Limit', 'Marker', 'GrantId', 'GranteePrincipal'],
  ListRetirableGrants: ['RetiringPrincipal', 'Limit', 'Marker'],
  RetireGrant: ['GrantToken', 'KeyId', 'GrantId', 'DryRun'],
  RevokeGrant: ['KeyId', 'GrantId', 'DryRun'],
};

/** Members AWS requires (the CLI checks them before sending, as botocore does). */
const REQUIRED: Record<string, string[]> = {
  CancelKeyDeletion: ['KeyId'],
  CreateAlias: ['AliasName', 'TargetKeyId'],
  Decrypt: ['CiphertextBlob'],
  DeleteAlias: ['AliasName'],
  DescribeKey: ['KeyId'],
  DisableKey: ['KeyId'],
  DisableKeyRotation: ['KeyId'],
  EnableKey: ['KeyId'],
  EnableKeyRotation: ['KeyId'],
  Encrypt: ['KeyId', 'Plaintext'],
  GenerateDataKey: ['KeyId'],
  GenerateDataKeyWithoutPlaintext: ['KeyId'],
  GetKeyRotationStatus: ['KeyId'],
  ListKeyRotations: ['KeyId'],
  ListResourceTags: ['KeyId'],
  ReEncrypt: ['CiphertextBlob', 'DestinationKeyId'],
  RotateKeyOnDemand: ['KeyId'],
  ScheduleKeyDeletion: ['KeyId'],
  TagResource: ['KeyId', 'Tags'],
  UntagResource: ['KeyId', 'TagKeys'],
  UpdateAlias: ['AliasName', 'TargetKeyId'],
  UpdateKeyDescription: ['KeyId', 'Description'],
  GenerateMac: ['Message', 'KeyId', 'MacAlgorithm'],
  VerifyMac: ['Message', 'KeyId', 'MacAlgorithm', 'Mac'],
  GenerateDataKeyPair: ['KeyId', 'KeyPairSpec'],
  GenerateDataKeyPairWithoutPlaintext: ['KeyId', 'KeyPairSpec'],
  DeriveSharedSecret: ['KeyId', 'KeyAgreementAlgorithm', 'PublicKey'],
  GetPublicKey: ['KeyId'],
  Sign: ['KeyId', 'Message', 'SigningAlgorithm'],
  Verify: ['KeyId', 'Message', 'Signature', 'SigningAlgorithm'],
  GetKeyPolicy: ['KeyId'],
  PutKeyPolicy: ['KeyId', 'Policy'],
  ListKeyPolicies: ['KeyId'],
  CreateGrant: ['KeyId', 'GranteePrincipal', 'Operations'],
  ListGrants: ['KeyId'],
  ListRetirableGrants: ['RetiringPrincipal'],
  RevokeGrant: ['KeyId', 'GrantId'],
  ReplicateKey: ['KeyId', 'ReplicaRegion'],
  UpdatePrimaryRegion: ['KeyId', 'PrimaryRegion'],
  GetParametersForImport: ['KeyId', 'WrappingAlgorithm', 'WrappingKeySpec'],
  ImportKeyMaterial: ['KeyId', 'ImportToken', 'EncryptedKeyMaterial'],
  DeleteImportedKeyMaterial: ['KeyId'],
};

export const kebab = (pascal: string): string => pascal.replace(/(?<!^)([A-Z])/g, '-$1').toLowerCase();
export const VERBS: ReadonlyMap<string, string> = new Map(Object.keys(OPERATION_MEMBERS).map((op) => [kebab(op), op]));

/** A command-line mistake: printed with the verb's usage, exit code 252 as the AWS CLI does. */
export class UsageError extends Error {}

export function verbHelp(op: string): string {
  const lines = OPERATION_MEMBERS[op]!.map((m) => {
    const kind = MEMBER_KINDS[m]!;
    const value = {
      timestamp: '<timestamp: ISO 8601 or epoch seconds>',
      string: '<value>',
      integer: '<integer>',
      boolean: '',
      blob: '<base64 | fileb://FILE>',
      map: 'k1=v1,k2=v2 | <JSON object>',
      strings: '<value> [<value> ...]',
      tags: 'TagKey=k,TagValue=v [...] | <JSON list>',
      constraints: '<JSON: {"EncryptionContextSubset"|"EncryptionContextEquals": {...}}>',
    }[kind];
    const flag = kind === 'boolean' ? `[--${kebab(m)} | --no-${kebab(m)}]` : `--${kebab(m)} ${value}`;
    return `  ${REQUIRED[op]?.includes(m) ? flag : `[${flag}]`}`;
  });
  return [
    `usage: kmsbox ${kebab(op)}`,
    ...lines,
    '  (--store FILE [--root-key-file FILE] | --endpoint-url URL) [--region R] [--output json|text] [--query PATH]',
  ].join('\n');
}

/** `k1=v1,k2=v2` (AWS CLI shorthand) or a JSON object of strings. */
function parseMap(text: string, flag: string): Record<string, string> {
  if (text.trimStart().startsWith('{')) return stringMap(parseJson(text, flag), flag);
  const out: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`Error parsing parameter '${flag}': expected key=value in '${pair}'`);
    setOwn(out, pair.slice(0, eq), pair.slice(eq + 1));
  }
  return out;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A JSON value that must be a map of strings (an encryption context). Types are checked here, as
 * botocore checks them before sending: a wrong type is a usage mistake (252), not a service error.
 */
function stringMap(value: unknown, flag: string, where = ''): Record<string, string> {
  if (!isObject(value)) throw new UsageError(`Error parsing parameter '${flag}': ${where}expected a JSON object of strings or k1=v1,k2=v2`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new UsageError(`Error parsing parameter '${flag}': ${where}the value of '${k}' must be a string`);
  }
  return value as Record<string, string>;
}

/** A JSON list of strings (`["a","b"]`), as a `strings` member takes it. */
function stringList(value: unknown, flag: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new UsageError(`Error parsing parameter '${flag}': expected a JSON list of strings`);
  return value as string[];
}

/** Tags, from the shorthand or JSON: each exactly a string TagKey and a string TagValue. */
function tagList(entries: unknown[], flag: string): Array<{ TagKey: string; TagValue: string }> {
  return entries.map((entry, i) => {
    const where = `tag ${i + 1}: `;
    if (!isObject(entry))
      throw new UsageError(`Error parsing parameter '${flag}': ${where}expected TagKey=k,TagValue=v or {"TagKey":"k","TagValue":"v"}`);
    const unknown = Object.keys(entry).filter((k) => k !== 'TagKey' && k !== 'TagValue');
    if (unknown.length > 0)
      throw new UsageError(`Error parsing parameter '${flag}': ${where}unknown member '${unknown[0]!}', must be one of: TagKey, TagValue`);
    for (const k of ['TagKey', 'TagValue']) {
      if (typeof entry[k] !== 'string')
        throw new UsageError(`Error parsing parameter '${flag}': ${where}${k} is required and must be a string`);
    }
    return entry as { TagKey: string; TagValue: string };
  });
}

/** The members of a grant's Constraints, each an encryption context. */
const CONSTRAINT_MEMBERS = ['EncryptionContextSubset', 'EncryptionContextEquals'];

function constraints(value: unknown, flag: string): Record<string, Record<string, string>> {
  if (!isObject(value))
    throw new UsageError(`Error parsing parameter '${flag}': expected a JSON object with ${CONSTRAINT_MEMBERS.join(' or ')}`);
  for (const [k, v] of Object.entries(value)) {
    if (!CONSTRAINT_MEMBERS.includes(k))
      throw new UsageError(`Error parsing parameter '${flag}': unknown member '${k}', must be one of: ${CONSTRAINT_MEMBERS.join(', ')}`);
    stringMap(v, flag, `${k}: `);
  }
  return value as Record<string, Record<string, string>>;
}

/** JSON from the command line; a syntax error is a usage mistake (exit 252), as in the AWS CLI. */
function parseJson(text: string, flag: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`Error parsing parameter '${flag}': Invalid JSON: ${(error as Error).message}`);
  }
}

/**
 * A blob: `fileb://FILE`, or base64 as the AWS CLI v2 takes blobs, checked here (strict, as the wire
 * protocol takes it: protocol/base64.ts) so a bad one is a usage mistake before anything is sent.
 * The value is not echoed: it may be a secret.
 */
function blob(text: string, flag: string): string {
  if (text.startsWith('fileb://')) {
    const path = text.slice('fileb://'.length);
    try {
      return toBase64(new Uint8Array(readFileSync(path)));
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      const reason =
        e.code === 'ENOENT'
          ? 'No such file or directory'
          : e.code === 'EACCES'
            ? 'Permission denied'
            : e.code === 'EISDIR'
              ? 'Is a directory'
              : e.message;
      throw new UsageError(`Error parsing parameter '${flag}': Unable to load paramfile ${text}: ${reason}: '${path}'`);
    }
  }
  if (fromBase64(text) === undefined) {
    throw new UsageError(
      `Error parsing parameter '${flag}': Invalid base64: expected standard padded base64 (RFC 4648 §4) or fileb://FILE`,
    );
  }
  return text;
}

const OUTPUTS = ['json', 'text'];
/** The `--query` this CLI evaluates: a JMESPath field path (`A.B`), no indexes, filters or projections. */
const QUERY = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** `--output`, `--query`, `--endpoint-url` and `--region` are checked before any request is sent. */
function checkGlobal(name: string, value: string): void {
  if (name === 'output' && !OUTPUTS.includes(value)) throw new UsageError(`--output must be json or text (got '${value}')`);
  if (name === 'query' && !QUERY.test(value))
    throw new UsageError(`Bad value for --query ${value}: kmsbox supports field paths such as KeyMetadata.KeyId`);
  if (name === 'region' && !REGION_NAME.test(value)) throw new UsageError(`--region '${value}' is not a region name such as us-east-1`);
  if (name === 'endpoint-url') {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      throw new UsageError(`Bad value for --endpoint-url ${value}: expected an http:// or https:// URL`);
  }
}

/**
 * The request, as its wire JSON (blobs base64), from the verb's arguments. Global options
 * (`--store`, `--endpoint-url`, `--output`, …) are returned separately.
 */
export function parseArguments(op: string, args: string[]): { request: Record<string, unknown>; globals: Map<string, string> } {
  const members = new Map(OPERATION_MEMBERS[op]!.map((m) => [kebab(m), m]));
  const globals = new Map<string, string>();
  const request: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}'`);
    const name = arg.slice(2);
    if (['store', 'root-key-file', 'endpoint-url', 'region', 'output', 'query'].includes(name)) {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      checkGlobal(name, v);
      globals.set(name, v);
      continue;
    }
    const negated = name.startsWith('no-') && MEMBER_KINDS[members.get(name.slice(3)) ?? ''] === 'boolean';
    const member = members.get(negated ? name.slice(3) : name);
    if (member === undefined) throw new UsageError(`unknown option ${arg} for ${kebab(op)}`);
    const kind = MEMBER_KINDS[member]!;
    if (kind === 'boolean') {
      request[member] = !negated;
      continue;
    }
    const values: string[] = [];
    while (i + 1 < args.length && !args[i + 1]!.startsWith('--')) values.push(args[++i]!);
    if (values.length === 0) throw new UsageError(`${arg} needs a value`);
    const one = values[0]!;
    if (kind !== 'strings' && kind !== 'tags' && values.length > 1) throw new UsageError(`${arg} takes one value`);
    switch (kind) {
      case 'string':
        request[member] = one;
        break;
      case 'integer':
        if (!/^-?\d+$/.test(one)) throw new UsageError(`${arg} must be an integer`);
        request[member] = Number(one);
        break;
      case 'blob':
        request[member] = blob(one, arg);
        break;
      case 'map':
        request[member] = parseMap(one, arg);
        break;
      case 'strings':
        request[member] = one.trimStart().startsWith('[') ? stringList(parseJson(one, arg), arg) : values;
        break;
      case 'tags': {
        const json = one.trimStart().startsWith('[') ? parseJson(one, arg) : undefined;
        if (json !== undefined && !Array.isArray(json))
          throw new UsageError(`Error parsing parameter '${arg}': expected a JSON list of tags`);
        request[member] = tagList(json ?? values.map((v) => parseMap(v, arg)), arg);
        break;
      }
      case 'timestamp': {
        // As the AWS CLI takes timestamps: epoch seconds or ISO 8601; on the wire, epoch seconds.
        const ms = /^\d+(\.\d+)?$/.test(one) ? Number(one) * 1000 : Date.parse(one);
        if (!Number.isFinite(ms)) throw new UsageError(`${arg} must be a timestamp (ISO 8601 or epoch seconds)`);
        request[member] = ms / 1000;
        break;
      }
      case 'constraints':
        request[member] = constraints(parseJson(one, arg), arg);
        break;
    }
  }
  const missing = (REQUIRED[op] ?? []).filter((m) => request[m] === undefined);
  if (missing.length > 0) throw new UsageError(`the following arguments are required: ${missing.map((m) => `--${kebab(m)}`).join(', ')}`);
  return { request, globals };
}

/** The request in the shape `Kms.invoke` takes (Uint8Array blobs), from its wire JSON. */
export function toInput(request: Record<string, unknown>): unknown {
  return decodeInput(request);
}

/** Output as the AWS CLI prints it: blobs base64, timestamps ISO 8601. */
function cliValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().replace('Z', '+00:00');
  if (value instanceof Uint8Array) return encodeOutput(value);
  if (Array.isArray(value)) return value.map(cliValue);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k, v]) => k !== '$metadata' && v !== undefined)
        .map(([k, v]) => [k, cliValue(v)]),
    );
  }
  return value;
}

/** `--query A.B` (the simple JMESPath field paths), then `--output json|text`. */
export function render(output: unknown, globals: Map<string, string>): string {
  let value = cliValue(output);
  const query = globals.get('query');
  if (query !== undefined) {
    for (const part of query.split('.')) {
      value = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[part] : undefined;
    }
  }
  const format = globals.get('output') ?? 'json';
  if (format === 'json') return JSON.stringify(value ?? null, null, 4);
  if (format !== 'text') throw new UsageError(`--output must be json or text`); // parseArguments already refused it
  return text(value);
}

/** The AWS CLI's text output: scalars tab-separated, nested structures on rows headed by their KEY. */
function text(value: unknown, key?: string): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v !== 'object' || v === null)) return [...(key ? [key] : []), ...value.map((v) => text(v))].join('\t');
    return value.map((v) => text(v, key)).join('\n');
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    const scalars = entries.filter(([, v]) => typeof v !== 'object' || v === null).map(([, v]) => text(v));
    const head = key ? [key, ...scalars] : scalars;
    const nested = entries.filter(([, v]) => typeof v === 'object' && v !== null).map(([k, v]) => text(v, k.toUpperCase()));
    return [head.join('\t'), ...nested].filter(Boolean).join('\n');
  }
  return String(value);
}
