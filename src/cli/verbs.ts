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
import { type Kind as TableKind, OPERATION_NAMES, operationSpec } from '../api/operations.js';

type Kind = 'string' | 'integer' | 'boolean' | 'blob' | 'map' | 'strings' | 'tags' | 'constraints' | 'timestamp';

/**
 * How a member of the operation table (api/operations.ts) is given on the command line; undefined
 * for what the CLI does not take (Recipient: a Nitro Enclaves attestation document, which kmsbox
 * refuses anyway).
 */
function cliKind(kind: TableKind): Kind | undefined {
  if (typeof kind === 'string') return kind;
  if ('list' in kind) {
    if (kind.list === 'string') return 'strings';
    return typeof kind.list === 'object' && 'structure' in kind.list && kind.list.structure === 'Tag' ? 'tags' : undefined;
  }
  return kind.structure === 'GrantConstraints' ? 'constraints' : undefined;
}

interface Option {
  readonly member: string;
  readonly kind: Kind;
  /** AWS requires it: the CLI checks it before sending, as botocore does. */
  readonly required: boolean;
}

/** Each verb's options, in the order of the operation's request members. */
const OPTIONS: ReadonlyMap<string, readonly Option[]> = new Map(
  OPERATION_NAMES.map((op) => [
    op,
    Object.entries(operationSpec(op).request).flatMap(([member, m]) => {
      const kind = cliKind(m.kind);
      return kind === undefined ? [] : [{ member, kind, required: m.required }];
    }),
  ]),
);

function optionsOf(op: string): readonly Option[] {
  const options = OPTIONS.get(op);
  if (options === undefined) throw new UsageError(`unknown verb for operation ${op}`);
  return options;
}

export const kebab = (pascal: string): string => pascal.replace(/(?<!^)([A-Z])/g, '-$1').toLowerCase();
export const VERBS: ReadonlyMap<string, string> = new Map(OPERATION_NAMES.map((op) => [kebab(op), op]));

/** A command-line mistake: printed with the verb's usage, exit code 252 as the AWS CLI does. */
export class UsageError extends Error {}

export function verbHelp(op: string): string {
  const lines = optionsOf(op).map(({ member: m, kind, required }) => {
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
    return `  ${required ? flag : `[${flag}]`}`;
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
const CONSTRAINT_MEMBERS: readonly string[] = (() => {
  const kind = operationSpec('CreateGrant').request.Constraints?.kind;
  return typeof kind === 'object' && 'members' in kind ? Object.keys(kind.members) : [];
})();

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
  const options = optionsOf(op);
  const members = new Map(options.map((o) => [kebab(o.member), o]));
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
    const negated = name.startsWith('no-') && members.get(name.slice(3))?.kind === 'boolean';
    const option = members.get(negated ? name.slice(3) : name);
    if (option === undefined) throw new UsageError(`unknown option ${arg} for ${kebab(op)}`);
    const { member, kind } = option;
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
  const missing = options.filter((o) => o.required && request[o.member] === undefined).map((o) => o.member);
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
