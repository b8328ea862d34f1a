/**
 * IAM policy variables ("IAM policy elements: Variables and tags",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html):
 * `${aws:username}`, `${kms:EncryptionContext:owner}`, `${key, 'default'}` and the escapes
 * `${*}`, `${?}`, `${$}`. Only Version 2012-10-17 documents have them (document.ts decides), only in
 * Resource and in the values of String and Arn conditions.
 *
 * What a variable (or an escape, or a default) produces is literal text: a `*` in a user's
 * encryption context or tag is a character, never a wildcard. Only the policy author's own
 * `*` and `?` are wildcards. (AWS does not say; @cloud-copilot/iam-simulate reads it the same way.)
 */

/** Policy text (its `*` and `?` are wildcards where the operator has them) or literal text. */
export type Piece = { readonly glob: string } | { readonly literal: string };
/** A policy value after substitution. */
export type Resolved = readonly Piece[];
type TemplatePiece = Piece | { readonly key: string; readonly fallback?: string };
export type Template = readonly TemplatePiece[];

/** Context keys with several values: never a variable ("Single-valued vs. multivalued context keys"). */
export const MULTI_VALUED_KEYS: ReadonlySet<string> = new Set([
  'aws:tagkeys',
  'kms:encryptioncontextkeys',
  'kms:grantoperations',
  'kms:resourcealiases',
]);

/**
 * At a `${`: an escape, or a condition key (`service:name…`, no wildcards) with an optional
 * quoted default (`''` in it is one quote); spaces around either part are ignored.
 */
const TOKEN = /\$\{(?:([*?$])|\s*([A-Za-z0-9.-]+:[^\s,'{}*?$]+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?)\}/y;

/** Whether a policy string contains anything `parseTemplate` would substitute. */
export const hasVariables = (text: string): boolean => text.includes('${');

const templates = new Map<string, Template>();

/** Splits a policy value into text, escapes and variables (cached: policies repeat). */
export function parseTemplate(text: string): Template {
  const hit = templates.get(text);
  if (hit) return hit;
  const out: TemplatePiece[] = [];
  let glob = '';
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('${', i);
    if (start < 0) {
      glob += text.slice(i);
      break;
    }
    glob += text.slice(i, start);
    TOKEN.lastIndex = start;
    const m = TOKEN.exec(text);
    if (m === null) {
      // Not a variable (`${}`, `${**}`, never closed): the text stays as written.
      glob += '${';
      i = start + 2;
      continue;
    }
    if (glob) out.push({ glob });
    glob = '';
    if (m[1] !== undefined) out.push({ literal: m[1] });
    else out.push(m[3] === undefined ? { key: m[2]!.toLowerCase() } : { key: m[2]!.toLowerCase(), fallback: m[3].replaceAll("''", "'") });
    i = TOKEN.lastIndex;
  }
  if (glob) out.push({ glob });
  if (templates.size > 2048) templates.clear();
  templates.set(text, out);
  return out;
}

/**
 * Substitutes the request's values; undefined when a variable has no single value and no
 * default (the condition or resource it is in then matches nothing).
 */
export function resolveTemplate(template: Template, lookup: (key: string) => readonly string[] | undefined): Resolved | undefined {
  const out: Piece[] = [];
  for (const piece of template) {
    if (!('key' in piece)) {
      out.push(piece);
      continue;
    }
    const values = MULTI_VALUED_KEYS.has(piece.key) ? undefined : lookup(piece.key);
    if (values !== undefined && values.length === 1) out.push({ literal: values[0]! });
    else if (piece.fallback !== undefined) out.push({ literal: piece.fallback });
    else return undefined;
  }
  return out;
}

/** The text of a resolved value (for the operators without wildcards). */
export const textOf = (resolved: Resolved): string => resolved.map((p) => ('glob' in p ? p.glob : p.literal)).join('');
