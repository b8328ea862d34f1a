/** Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases (https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html). */
import { byString, paginate } from '../api/pagination.js';
import type { AliasListEntry, EmptyResponse, ListAliasesResponse } from '../api/shapes.js';
import { Checks, type Input, plainValidation } from '../api/validate.js';
import { AlreadyExistsException, InvalidAliasNameException, LimitExceededException } from '../errors.js';
import { aliasArn, keyArn } from '../keys/arn.js';
import type { AliasRecord } from '../keys/record.js';
import type { Env } from './env.js';
import { keyIdMember, LIST_LIMITS, paging } from './fields.js';
import { authorizeKey, authorizeWithoutKey } from './authorize.js';
import { aliasNotFound, findKey, findKeyFor, sweepDeletions } from './lookup.js';

const MAX_ALIASES_PER_KEY = 50;
const ALIAS_PATTERN = /^[a-zA-Z0-9:/_-]+$/;

function aliasName(c: Checks): string | undefined {
  return c.string('AliasName', { required: true, min: 1, max: 256, pattern: ALIAS_PATTERN });
}

/** AWS's own rules beyond the model pattern (AWS-recorded message for the prefix). */
function checkAliasName(name: string): void {
  if (!name.startsWith('alias/')) {
    throw plainValidation(
      'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html',
    );
  }
  if (name === 'alias/') throw plainValidation('Alias must have a name after the prefix "alias/", such as alias/ExampleAlias.');
  if (name.startsWith('alias/aws/')) {
    throw new InvalidAliasNameException({ message: 'Alias names that begin with alias/aws/ are reserved for AWS managed keys.' });
  }
}

export async function createAlias(env: Env, input: Input): Promise<EmptyResponse> {
  const c = new Checks(input);
  const { name, target } = c.done({ name: c.required(aliasName(c)), target: c.required(keyIdMember(c, 'TargetKeyId')) });
  checkAliasName(name);
  const arn = aliasArn(env.region, env.accountId, name);
  // Alias operations need the permission on the alias (IAM) and on the key (docs/aws-behaviour.md#key-identifiers-and-aliases).
  authorizeWithoutKey(env, arn, 'AWS::KMS::Alias');
  const key = await findKeyFor(env, target, 'CreateAlias', { aliases: false });
  const now = env.now();
  await env.provider.update((s) => {
    if (s.aliases[arn] !== undefined) throw new AlreadyExistsException({ message: `An alias with the name ${arn} already exists` });
    const count = Object.values(s.aliases).filter((a) => a.targetKeyId === key.keyId && a.arn.startsWith(arnPrefix(env))).length;
    if (count >= MAX_ALIASES_PER_KEY) {
      throw new LimitExceededException({ message: `The key ${key.arn} already has ${MAX_ALIASES_PER_KEY} aliases.` });
    }
    const record: AliasRecord = { aliasName: name, arn, targetKeyId: key.keyId, createdAt: now, updatedAt: now };
    s.aliases[arn] = record;
  });
  return {};
}

export async function updateAlias(env: Env, input: Input): Promise<EmptyResponse> {
  const c = new Checks(input);
  const { name, target } = c.done({ name: c.required(aliasName(c)), target: c.required(keyIdMember(c, 'TargetKeyId')) });
  checkAliasName(name);
  const arn = aliasArn(env.region, env.accountId, name);
  authorizeWithoutKey(env, arn, 'AWS::KMS::Alias');
  const alias = await env.provider.read((s) => s.aliases[arn]);
  if (alias === undefined) throw aliasNotFound(arn);
  // Only the new target's state matters (footnote 10 of the key-state table).
  const key = await findKeyFor(env, target, 'UpdateAlias', { aliases: false });
  const old = await env.provider.read((s) => s.keys[keyArn(env.region, env.accountId, alias.targetKeyId)]);
  if (old !== undefined) await authorizeKey(env, old);
  // AWS: the same type (symmetric, asymmetric or HMAC) and the same key usage; the spec may differ (RSA_2048 → ECC_NIST_P256).
  if (old !== undefined && (old.keyUsage !== key.keyUsage || keyType(old.keySpec) !== keyType(key.keySpec))) {
    throw plainValidation(
      `Alias ${arn} cannot be changed from a ${keyType(old.keySpec)} key with usage ${old.keyUsage} to a ${keyType(key.keySpec)} key with usage ${key.keyUsage}.`,
    );
  }
  const now = env.now();
  await env.provider.update((s) => {
    const a = s.aliases[arn];
    if (a === undefined) throw aliasNotFound(arn);
    a.targetKeyId = key.keyId;
    a.updatedAt = now;
  });
  return {};
}

export async function deleteAlias(env: Env, input: Input): Promise<EmptyResponse> {
  const c = new Checks(input);
  const { name } = c.done({ name: c.required(aliasName(c)) });
  checkAliasName(name);
  const arn = aliasArn(env.region, env.accountId, name);
  authorizeWithoutKey(env, arn, 'AWS::KMS::Alias');
  const alias = await env.provider.read((s) => s.aliases[arn]);
  const target = alias && (await env.provider.read((s) => s.keys[keyArn(env.region, env.accountId, alias.targetKeyId)]));
  if (target !== undefined) await authorizeKey(env, target);
  await env.provider.update((s) => {
    if (s.aliases[arn] === undefined) throw aliasNotFound(arn);
    delete s.aliases[arn];
  });
  return {};
}

export async function listAliases(env: Env, input: Input): Promise<ListAliasesResponse> {
  const c = new Checks(input);
  const keyId = keyIdMember(c, 'KeyId', false);
  const { limit, marker } = paging(c, LIST_LIMITS.aliases);
  c.done();
  await sweepDeletions(env);
  const only = keyId === undefined ? undefined : (await findKey(env, keyId, { aliases: false, action: null })).keyId;
  const prefix = arnPrefix(env);
  const entries = await env.provider.read((s) =>
    Object.values(s.aliases)
      .filter((a) => a.arn.startsWith(prefix) && (only === undefined || a.targetKeyId === only))
      .sort((a, b) => byString(a.aliasName, b.aliasName))
      .map((a): AliasListEntry & { AliasName: string } => ({
        AliasName: a.aliasName,
        AliasArn: a.arn,
        TargetKeyId: a.targetKeyId,
        CreationDate: new Date(a.createdAt),
        LastUpdatedDate: new Date(a.updatedAt),
      })),
  );
  const page = paginate('aliases', entries, (a) => a.AliasName, limit, marker);
  return { Aliases: page.items, Truncated: page.Truncated, ...(page.NextMarker ? { NextMarker: page.NextMarker } : {}) };
}

function keyType(spec: string): 'symmetric' | 'HMAC' | 'asymmetric' {
  return spec === 'SYMMETRIC_DEFAULT' ? 'symmetric' : spec.startsWith('HMAC_') ? 'HMAC' : 'asymmetric';
}

/** `arn:aws:kms:<region>:<account>:alias/`: the aliases of this region and account. */
function arnPrefix(env: Env): string {
  return aliasArn(env.region, env.accountId, 'alias/');
}
