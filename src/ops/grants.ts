/**
 * Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant ("Grants in AWS KMS",
 * https://docs.aws.amazon.com/kms/latest/developerguide/grants.html; kmsbox's choices: docs/aws-behaviour.md#grants).
 */
import { GrantOperation } from '../api/enums.js';
import { byString, paginate } from '../api/pagination.js';
import type { CreateGrantResponse, EmptyResponse, GrantListEntry, ListGrantsResponse } from '../api/shapes.js';
import { Checks, plainValidation, type Input } from '../api/validate.js';
import { toHex } from '../crypto/bytes.js';
import { publicRandomBytes } from '../crypto/random.js';
import {
  AccessDeniedException,
  DryRunOperationException,
  InvalidGrantIdException,
  LimitExceededException,
  NotFoundException,
} from '../errors.js';
import type { GrantConstraintsRecord, GrantRecord, KeyRecord } from '../keys/record.js';
import { accountOf, isRoot, samePrincipal } from '../policy/evaluate.js';
import type { Env } from './env.js';
import { GRANT_ID, grantIdOfToken, newToken } from './grant-tokens.js';
import { grantTokens, keyIdMember, LIST_LIMITS, paging } from './fields.js';
import { findKeyFor, sweepDeletions } from './lookup.js';
import { partitionOf } from '../keys/arn.js';

export const MAX_GRANTS_PER_KEY = 50_000;
const PRINCIPAL = /^[\w+=,.@:/-]+$/;

/** Grant operations each kind of key supports. */
function supportedOperations(key: KeyRecord): Set<string> {
  const always = ['DescribeKey', 'CreateGrant', 'RetireGrant'];
  const symmetric = key.keySpec === 'SYMMETRIC_DEFAULT';
  switch (key.keyUsage) {
    case 'ENCRYPT_DECRYPT':
      return new Set([
        ...always,
        'Encrypt',
        'Decrypt',
        'ReEncryptFrom',
        'ReEncryptTo',
        ...(symmetric
          ? ['GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext']
          : ['GetPublicKey']),
      ]);
    case 'SIGN_VERIFY':
      return new Set([...always, 'Sign', 'Verify', 'GetPublicKey']);
    case 'GENERATE_VERIFY_MAC':
      return new Set([...always, 'GenerateMac', 'VerifyMac']);
    case 'KEY_AGREEMENT':
      return new Set([...always, 'DeriveSharedSecret', 'GetPublicKey']);
    default:
      return new Set(always);
  }
}

function constraints(c: Checks): GrantConstraintsRecord | undefined {
  const s = c.structure('Constraints');
  if (s === undefined) return undefined;
  const out: GrantConstraintsRecord = {};
  for (const kind of ['EncryptionContextSubset', 'EncryptionContextEquals'] as const) {
    const map = s.stringMap(kind);
    if (map === undefined) continue;
    const entries = Object.entries(map);
    if (entries.length > 8)
      s.add(
        `Value at 'constraints.${kind.charAt(0).toLowerCase()}${kind.slice(1)}' failed to satisfy constraint: Member must have at most 8 entries`,
      );
    if (entries.some(([, v]) => v.length > 384))
      s.add(
        `Value at 'constraints.${kind.charAt(0).toLowerCase()}${kind.slice(1)}' failed to satisfy constraint: Member values must have length less than or equal to 384`,
      );
    out[kind] = map;
  }
  s.string('SourceArn', { min: 20, max: 512 });
  return Object.keys(out).length ? out : undefined;
}

function sameGrant(g: GrantRecord, want: Omit<GrantRecord, 'grantId' | 'createdAt'>): boolean {
  const norm = (o: unknown) => JSON.stringify(o ?? null);
  return (
    g.granteePrincipal === want.granteePrincipal &&
    g.retiringPrincipal === want.retiringPrincipal &&
    norm([...g.operations].sort()) === norm([...want.operations].sort()) &&
    norm(g.constraints) === norm(want.constraints)
  );
}

function dryRun(flag: boolean | undefined): void {
  if (flag) throw new DryRunOperationException({ message: 'The request would have succeeded, but the DryRun option is set.' });
}

export async function createGrant(env: Env, input: Input): Promise<CreateGrantResponse> {
  const c = new Checks(input);
  const keyId = c.required(keyIdMember(c));
  const grantee = c.string('GranteePrincipal', { min: 1, max: 256, pattern: PRINCIPAL });
  const retiring = c.string('RetiringPrincipal', { min: 1, max: 256, pattern: PRINCIPAL });
  const operations = c.required(
    c.list('Operations', { required: true }, (item, i) => {
      const s = c.stringItem('Operations', i, item, {});
      if (s !== undefined && !Object.hasOwn(GrantOperation, s)) {
        c.add(
          `Value '${s}' at 'operations.${i + 1}.member' failed to satisfy constraint: Member must satisfy enum value set: [${Object.keys(GrantOperation).join(', ')}]`,
        );
      }
      return s;
    }),
  );
  const constraint = constraints(c);
  grantTokens(c);
  const name = c.string('Name', { min: 1, max: 256, pattern: /^[a-zA-Z0-9:/_-]+$/ });
  const isDryRun = c.bool('DryRun');
  if (input.GranteeServicePrincipal !== undefined || input.RetiringServicePrincipal !== undefined) {
    c.add('Service principals are not supported by kmsbox: use GranteePrincipal and RetiringPrincipal.');
  }
  const checked = c.done({ keyId, operations });
  if (grantee === undefined) throw plainValidation('GranteePrincipal is required.');
  if (checked.operations.length === 0) throw plainValidation('Operations must name at least one grant operation.');
  const key = await findKeyFor(env, checked.keyId, 'CreateGrant', { aliases: false });
  const supported = supportedOperations(key);
  const unsupported = checked.operations.filter((o) => !supported.has(o));
  if (unsupported.length > 0) {
    throw plainValidation(
      `Grant operations ${unsupported.join(', ')} are not valid for a key with KeySpec ${key.keySpec} and KeyUsage ${key.keyUsage}.`,
    );
  }
  if (constraint !== undefined && !(key.keySpec === 'SYMMETRIC_DEFAULT' && key.keyUsage === 'ENCRYPT_DECRYPT')) {
    throw plainValidation('Grant constraints are valid only for symmetric encryption keys.');
  }
  dryRun(isDryRun);
  const want: Omit<GrantRecord, 'grantId' | 'createdAt'> = {
    keyArn: key.arn,
    granteePrincipal: grantee,
    ...(retiring !== undefined ? { retiringPrincipal: retiring } : {}),
    ...(name !== undefined ? { name } : {}),
    issuingAccount: `arn:aws:iam::${env.accountId}:root`,
    operations: [...new Set(checked.operations)],
    ...(constraint !== undefined ? { constraints: constraint } : {}),
  };
  const now = env.now();
  const grantId = await env.provider.update((s) => {
    const grants = (s.grants ??= {});
    const onKey = Object.values(grants).filter((g) => g.keyArn === key.arn);
    // Name makes CreateGrant idempotent per key: the same parameters give the same grant.
    const existing = name !== undefined ? onKey.find((g) => g.name === name && sameGrant(g, want)) : undefined;
    if (existing) return existing.grantId;
    if (onKey.length >= MAX_GRANTS_PER_KEY)
      throw new LimitExceededException({ message: `The key ${key.arn} has the maximum number of grants (${MAX_GRANTS_PER_KEY}).` });
    const id = toHex(publicRandomBytes(32));
    grants[id] = { ...want, grantId: id, createdAt: now };
    return id;
  });
  return { GrantId: grantId, GrantToken: newToken(grantId) };
}

function entry(g: GrantRecord): GrantListEntry {
  return {
    KeyId: g.keyArn,
    GrantId: g.grantId,
    ...(g.name !== undefined ? { Name: g.name } : {}),
    CreationDate: new Date(g.createdAt),
    GranteePrincipal: g.granteePrincipal,
    ...(g.retiringPrincipal !== undefined ? { RetiringPrincipal: g.retiringPrincipal } : {}),
    IssuingAccount: g.issuingAccount,
    Operations: [...g.operations] as GrantOperation[],
    ...(g.constraints ? { Constraints: structuredClone(g.constraints) } : {}),
  };
}

function page(sorted: GrantRecord[], limit: number, marker: string | undefined): ListGrantsResponse {
  const p = paginate('grants', sorted, (g) => g.grantId, limit, marker);
  return { Grants: p.items.map(entry), Truncated: p.Truncated, ...(p.NextMarker ? { NextMarker: p.NextMarker } : {}) };
}

export async function listGrants(env: Env, input: Input): Promise<ListGrantsResponse> {
  const c = new Checks(input);
  const { keyId, limit, marker, grantId, grantee, serviceGrantee } = c.done({
    keyId: c.required(keyIdMember(c)),
    ...paging(c, LIST_LIMITS.grants),
    grantId: c.string('GrantId', { min: 1, max: 128 }),
    grantee: c.string('GranteePrincipal', { min: 1, max: 256, pattern: PRINCIPAL }),
    // No grant of kmsbox has a service principal grantee (CreateGrant refuses them): that filter matches none.
    serviceGrantee: c.string('GranteeServicePrincipal', { min: 1, max: 256 }),
  });
  const key = await findKeyFor(env, keyId, 'ListGrants', { aliases: false });
  if (grantId !== undefined && !GRANT_ID.test(grantId)) throw new InvalidGrantIdException({ message: 'Invalid grant ID' });
  const grants = await env.provider.read((s) =>
    Object.values(s.grants ?? {})
      .filter(
        (g) =>
          g.keyArn === key.arn &&
          serviceGrantee === undefined &&
          (grantId === undefined || g.grantId === grantId) &&
          (grantee === undefined || g.granteePrincipal === grantee),
      )
      .sort((a, b) => byString(a.grantId, b.grantId)),
  );
  return page(grants, limit, marker);
}

export async function listRetirableGrants(env: Env, input: Input): Promise<ListGrantsResponse> {
  const c = new Checks(input);
  const { limit, marker } = paging(c, LIST_LIMITS.grants);
  const retiring = c.string('RetiringPrincipal', { min: 1, max: 256, pattern: PRINCIPAL });
  const service = c.string('RetiringServicePrincipal', { min: 1, max: 256 });
  c.done();
  // "You must specify either RetiringPrincipal or RetiringServicePrincipal, but not both", and the
  // service filter is for callers in a service principal, which kmsbox never has
  // (https://docs.aws.amazon.com/kms/latest/APIReference/API_ListRetirableGrants.html).
  if ((retiring === undefined) === (service === undefined)) {
    throw plainValidation('Specify either RetiringPrincipal or RetiringServicePrincipal, but not both.');
  }
  if (retiring === undefined) throw plainValidation('Service principals are not supported by kmsbox: use RetiringPrincipal.');
  await sweepDeletions(env); // a deleted key's grants are gone
  const prefix = `arn:${partitionOf(env.region)}:kms:${env.region}:`;
  const grants = await env.provider.read((s) =>
    Object.values(s.grants ?? {})
      .filter((g) => g.retiringPrincipal === retiring && g.keyArn.startsWith(prefix))
      .sort((a, b) => byString(a.grantId, b.grantId)),
  );
  return page(grants, limit, marker);
}

/** Who may retire a grant: its retiring principal, its grantee when it allows RetireGrant, or the issuing account. */
function mayRetire(g: GrantRecord, principal: string): boolean {
  if (g.retiringPrincipal !== undefined && samePrincipal(g.retiringPrincipal, principal)) return true;
  if (samePrincipal(g.granteePrincipal, principal) && g.operations.includes('RetireGrant')) return true;
  return isRoot(principal) && accountOf(principal) === accountOf(g.issuingAccount);
}

export async function retireGrant(env: Env, input: Input): Promise<EmptyResponse> {
  const c = new Checks(input);
  const token = c.string('GrantToken', { min: 1, max: 8192 });
  const keyId = keyIdMember(c, 'KeyId', false);
  const grantIdInput = c.string('GrantId', { min: 1, max: 128 });
  const isDryRun = c.bool('DryRun');
  c.done();
  let grantId: string;
  let keyArn: string | undefined;
  await sweepDeletions(env); // a deleted key's grants are gone
  if (token !== undefined) {
    grantId = grantIdOfToken(token);
  } else {
    if (keyId === undefined || grantIdInput === undefined) throw plainValidation('Either GrantToken, or KeyId and GrantId, are required.');
    if (!GRANT_ID.test(grantIdInput)) throw new InvalidGrantIdException({ message: 'Invalid grant ID' });
    keyArn = (await findKeyFor(env, keyId, 'RetireGrant', { aliases: false, action: null })).arn;
    grantId = grantIdInput;
  }
  const grant = await env.provider.read((s) => s.grants?.[grantId]);
  if (grant === undefined || (keyArn !== undefined && grant.keyArn !== keyArn))
    throw new NotFoundException({ message: `Grant ${grantId} does not exist` });
  env.caller?.resources.set(grant.keyArn, 'AWS::KMS::Key');
  const principal = env.caller?.principal;
  if (principal !== undefined && !mayRetire(grant, principal)) {
    throw new AccessDeniedException({
      message: `User: ${principal} is not authorized to perform: kms:RetireGrant on resource: ${grant.keyArn} because it is neither the grant's retiring principal, nor its grantee with RetireGrant, nor the issuing account`,
    });
  }
  dryRun(isDryRun);
  await env.provider.update((s) => {
    if (s.grants) delete s.grants[grantId];
  });
  return {};
}

export async function revokeGrant(env: Env, input: Input): Promise<EmptyResponse> {
  const c = new Checks(input);
  const { keyId, grantId, isDryRun } = c.done({
    keyId: c.required(keyIdMember(c)),
    grantId: c.required(c.string('GrantId', { required: true, min: 1, max: 128 })),
    isDryRun: c.bool('DryRun'),
  });
  const key = await findKeyFor(env, keyId, 'RevokeGrant', { aliases: false });
  if (!GRANT_ID.test(grantId)) throw new InvalidGrantIdException({ message: 'Invalid grant ID' });
  const grant = await env.provider.read((s) => s.grants?.[grantId]);
  if (grant === undefined || grant.keyArn !== key.arn) throw new NotFoundException({ message: `Grant ${grantId} does not exist` });
  dryRun(isDryRun);
  await env.provider.update((s) => {
    if (s.grants) delete s.grants[grantId];
  });
  return {};
}
