/**
 * Policy documents (key policies and IAM identity policies): parsed once into a normal form, with
 * AWS's MalformedPolicyDocumentException for anything the evaluator could not read the same way
 * AWS does. Parsed documents are cached by their text (policies are immutable strings).
 */
import { LimitExceededException, MalformedPolicyDocumentException } from '../errors.js';
import { utf8Encode } from '../crypto/bytes.js';
import { operatorDef, parseOperator, type Operator } from './conditions.js';
import { hasVariables, MULTI_VALUED_KEYS } from './variables.js';

export const MAX_KEY_POLICY_BYTES = 32_768;

export interface PrincipalSpec {
  /** `"Principal": "*"` or `{"AWS": "*"}`. */
  readonly any: boolean;
  /** AWS principals: account ids, account root ARNs, user/role/assumed-role ARNs. */
  readonly aws: readonly string[];
  /** Service principals (`s3.amazonaws.com`): never a kmsbox caller, kept for completeness. */
  readonly service: readonly string[];
}

export interface Condition {
  readonly operator: Operator;
  readonly ifExists: boolean;
  readonly set?: 'ForAnyValue' | 'ForAllValues';
  /** Lower-cased condition key (keys are case-insensitive). */
  readonly key: string;
  readonly values: readonly string[];
  /** Whether a value holds policy variables (Version 2012-10-17, String and Arn operators only). */
  readonly variables?: boolean;
  /** Whether the key is multivalued (it then needs ForAnyValue/ForAllValues). */
  readonly multiValued?: boolean;
}

export interface Statement {
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  readonly principal?: PrincipalSpec;
  readonly notPrincipal?: PrincipalSpec;
  readonly action?: readonly string[];
  readonly notAction?: readonly string[];
  readonly resource?: readonly string[];
  readonly notResource?: readonly string[];
  readonly conditions: readonly Condition[];
  /** Whether a Resource/NotResource entry holds policy variables (Version 2012-10-17 only). */
  readonly resourceVariables?: boolean;
}

export interface PolicyDocument {
  readonly statements: readonly Statement[];
  /** Whether a condition reads kms:ResourceAliases (the only key whose value needs a store read). */
  readonly usesResourceAliases: boolean;
}

export type PolicyKind = 'key' | 'identity';

const malformed = (message: string) => new MalformedPolicyDocumentException({ message });
const STATEMENT_MEMBERS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);
const ACCOUNT = /^\d{12}$/;
const AWS_PRINCIPAL =
  /^arn:aws[\w-]*:(iam::\d{12}:(root|user\/[\w+=,.@/-]+|role\/[\w+=,.@/-]+|federated-user\/[\w+=,.@-]+)|sts::\d{12}:(assumed-role\/[\w+=,.@/-]+|federated-user\/[\w+=,.@-]+))$/;

/** Parsed documents by kind and text (the record's own string: its hash is computed once). */
const cache = { key: new Map<string, PolicyDocument>(), identity: new Map<string, PolicyDocument>() };
const CACHE_SIZE = 512;

/** Parses and validates a policy document (cached: the same text is parsed once). */
export function parsePolicy(text: string, kind: PolicyKind): PolicyDocument {
  const byText = cache[kind];
  const hit = byText.get(text);
  if (hit) return hit;
  if (kind === 'key' && utf8Encode(text).length > MAX_KEY_POLICY_BYTES) {
    throw new LimitExceededException({ message: `The key policy exceeds the ${MAX_KEY_POLICY_BYTES} byte size quota.` });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw malformed('The policy is not a valid JSON document.');
  }
  const doc = normalize(json, kind);
  if (byText.size >= CACHE_SIZE) byText.delete(byText.keys().next().value!);
  byText.set(text, doc);
  return doc;
}

function normalize(json: unknown, kind: PolicyKind): PolicyDocument {
  if (!isObject(json)) throw malformed('The policy must be a JSON object.');
  for (const k of Object.keys(json))
    if (!['Version', 'Id', 'Statement'].includes(k)) throw malformed(`The policy has an unknown element: ${k}.`);
  if (json.Version !== undefined && json.Version !== '2012-10-17' && json.Version !== '2008-10-17') {
    throw malformed('The policy Version must be 2012-10-17 or 2008-10-17.');
  }
  if (json.Id !== undefined && typeof json.Id !== 'string') throw malformed('The policy Id must be a string.');
  const raw = json.Statement;
  if (raw === undefined) throw malformed('The policy must contain a Statement.');
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) throw malformed('The policy must contain at least one statement.');
  // "Variables were introduced in version 2012-10-17 … variables like ${aws:username} are treated
  // as literal strings" in 2008-10-17 documents and in those without a Version (which is 2008-10-17).
  const variables = json.Version === '2012-10-17';
  const statements = list.map((s) => statement(s, kind, variables));
  return { statements, usesResourceAliases: statements.some((s) => s.conditions.some((c) => c.key === 'kms:resourcealiases')) };
}

function statement(s: unknown, kind: PolicyKind, variables: boolean): Statement {
  if (!isObject(s)) throw malformed('Each policy statement must be a JSON object.');
  for (const k of Object.keys(s)) if (!STATEMENT_MEMBERS.has(k)) throw malformed(`A policy statement has an unknown element: ${k}.`);
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw malformed('A policy statement Effect must be Allow or Deny.');
  if (s.Sid !== undefined && typeof s.Sid !== 'string') throw malformed('A policy statement Sid must be a string.');
  pair(s, 'Principal', 'NotPrincipal');
  pair(s, 'Action', 'NotAction');
  pair(s, 'Resource', 'NotResource');
  const hasPrincipal = s.Principal !== undefined || s.NotPrincipal !== undefined;
  if (kind === 'key' && !hasPrincipal) throw malformed('Policy contains a statement with no principal.');
  if (kind === 'identity' && hasPrincipal) throw malformed('An identity policy statement cannot have a Principal or NotPrincipal.');
  if (kind === 'identity' && s.Action === undefined && s.NotAction === undefined)
    throw malformed('An identity policy statement needs an Action or NotAction.');
  if (kind === 'identity' && s.Resource === undefined && s.NotResource === undefined)
    throw malformed('An identity policy statement needs a Resource or NotResource.');
  const out: {
    -readonly [K in keyof Statement]: Statement[K];
  } = { effect: s.Effect, conditions: conditions(s.Condition, variables) };
  if (typeof s.Sid === 'string') out.sid = s.Sid;
  if (s.Principal !== undefined) out.principal = principals(s.Principal);
  if (s.NotPrincipal !== undefined) out.notPrincipal = principals(s.NotPrincipal);
  if (s.Action !== undefined) out.action = strings(s.Action, 'Action');
  if (s.NotAction !== undefined) out.notAction = strings(s.NotAction, 'NotAction');
  if (s.Resource !== undefined) out.resource = strings(s.Resource, 'Resource');
  if (s.NotResource !== undefined) out.notResource = strings(s.NotResource, 'NotResource');
  if (variables && (out.resource ?? out.notResource ?? []).some(hasVariables)) out.resourceVariables = true;
  return out;
}

function pair(s: Record<string, unknown>, a: string, b: string): void {
  if (s[a] !== undefined && s[b] !== undefined) throw malformed(`A policy statement cannot have both ${a} and ${b}.`);
}

function strings(v: unknown, what: string): string[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0 || list.some((x) => typeof x !== 'string' || x.length === 0))
    throw malformed(`${what} must be a string or a list of strings.`);
  return list as string[];
}

function principals(v: unknown): PrincipalSpec {
  const invalid = () => malformed('Policy contains a statement with one or more invalid principals.');
  if (v === '*') return { any: true, aws: [], service: [] };
  if (!isObject(v)) throw invalid();
  const aws: string[] = [];
  const service: string[] = [];
  let any = false;
  for (const [type, value] of Object.entries(v)) {
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0 || list.some((x) => typeof x !== 'string')) throw invalid();
    if (type === 'AWS') {
      for (const p of list as string[]) {
        if (p === '*') any = true;
        else if (ACCOUNT.test(p) || AWS_PRINCIPAL.test(p)) aws.push(p);
        else throw invalid();
      }
    } else if (type === 'Service') {
      for (const p of list as string[]) if (!/^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/.test(p)) throw invalid();
      service.push(...(list as string[]));
    } else if (type === 'Federated' || type === 'CanonicalUser') {
      // Valid in AWS, never a kmsbox caller.
    } else {
      throw invalid();
    }
  }
  return { any, aws, service };
}

function conditions(v: unknown, variables: boolean): Condition[] {
  if (v === undefined) return [];
  if (!isObject(v)) throw malformed('A policy statement Condition must be a JSON object.');
  const out: Condition[] = [];
  for (const [name, block] of Object.entries(v)) {
    const op = parseOperator(name);
    if (op === undefined) throw malformed(`Policy contains a statement with an unknown condition operator: ${name}.`);
    if (!isObject(block)) throw malformed(`The ${name} condition must map condition keys to values.`);
    for (const [key, value] of Object.entries(block)) {
      const list = Array.isArray(value) ? value : [value];
      if (list.length === 0 || list.some((x) => typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean')) {
        throw malformed(`The ${name} condition on ${key} must have string, number or boolean values.`);
      }
      const values = list.map(String);
      operatorDef(op.operator).check?.(values, name);
      const lower = key.toLowerCase();
      const def = operatorDef(op.operator);
      out.push({
        ...op,
        key: lower,
        values,
        ...(variables && def.variables === true && values.some(hasVariables) ? { variables: true } : {}),
        ...(MULTI_VALUED_KEYS.has(lower) ? { multiValued: true } : {}),
      });
    }
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
