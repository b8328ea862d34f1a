/**
 * IAM condition operators: one table. Each compares one request value with one policy value;
 * `…IfExists`, `ForAnyValue:` and `ForAllValues:` are applied around it, with AWS's rules for
 * absent keys (a negated operator is true when the key is absent; `…IfExists` and `ForAllValues`
 * are true; everything else is false).
 */
import ipaddr from 'ipaddr.js';
import { MalformedPolicyDocumentException } from '../errors.js';
import { textOf, type Resolved } from './variables.js';

const globCache = { s: new Map<string, RegExp>(), i: new Map<string, RegExp>() };

/** IAM wildcards: `*` any run of characters, `?` one character. */
export function glob(pattern: string, value: string, ignoreCase = false): boolean {
  if (!pattern.includes('*') && !pattern.includes('?'))
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  // Stryker disable next-line ConditionalExpression,StringLiteral: a fast path: the RegExp below gives the same answer
  if (pattern === '*') return true;
  // "kms:*", "arn:aws:kms:*": a prefix, the common shape in key policies, without a RegExp.
  // Stryker disable next-line StringLiteral: a fast path: the RegExp below gives the same answer
  const star = pattern.indexOf('*');
  // Stryker disable next-line ConditionalExpression,ArithmeticOperator,BooleanLiteral,StringLiteral,BlockStatement: a fast path: the RegExp below gives the same answer
  if (star === pattern.length - 1 && !pattern.includes('?')) {
    const prefix = pattern.slice(0, -1);
    if (!ignoreCase) return value.startsWith(prefix);
    // Lower-casing is exact only for ASCII; anything else takes the RegExp below.
    // Stryker disable next-line ConditionalExpression,LogicalOperator: a fast path: the RegExp below gives the same answer
    if (isAscii(prefix) && isAscii(value)) return value.slice(0, prefix.length).toLowerCase() === prefix.toLowerCase();
  }
  const cache = ignoreCase ? globCache.i : globCache.s;
  let re = cache.get(pattern);
  // Stryker disable next-line ConditionalExpression: a memo of a pure function: hit, miss or clear, the answer is the same
  if (re === undefined) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a memo of a pure function: hit, miss or clear, the answer is the same
    if (cache.size > 2048) cache.clear();
    cache.set(pattern, re);
  }
  return re.test(value);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

const num = (s: string) => (s.trim() === '' ? Number.NaN : Number(s));
const date = (s: string) => (/^\d+(\.\d+)?$/.test(s) ? Number(s) * 1000 : Date.parse(s));

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];
const ranges = new Map<string, Range | null>();
/**
 * A policy's IpAddress value: an IPv4 or IPv6 address or CIDR (an address alone is /32 or /128).
 * IPv4 only in four-part decimal (ipaddr.js would also take `127.1`); no IPv6 zone ids. An
 * IPv4-mapped IPv6 range (`::ffff:10.0.0.0/104`) is the IPv4 range it maps.
 */
function cidr(value: string): Range | null {
  // Stryker disable next-line ConditionalExpression: a memo of a pure function: hit, miss or clear, the answer is the same
  if (ranges.has(value)) return ranges.get(value)!;
  let range: Range | null = null;
  const [address, bits, extra] = value.split('/');
  if (extra === undefined && !value.includes('%') && (bits === undefined || /^\d{1,3}$/.test(bits))) {
    const v4 = ipaddr.IPv4.isValidFourPartDecimal(address!);
    const v6 = !v4 && ipaddr.IPv6.isValid(address!);
    if (v4 || v6) {
      const ip = ipaddr.parse(address!);
      const max = ip.kind() === 'ipv4' ? 32 : 128;
      const n = bits === undefined ? max : Number(bits);
      if (n <= max)
        range =
          ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress() && n >= 96
            ? [(ip as ipaddr.IPv6).toIPv4Address(), n - 96]
            : [ip, n];
    }
  }
  // Stryker disable next-line ConditionalExpression,EqualityOperator: a memo of a pure function: hit, miss or clear, the answer is the same
  if (ranges.size > 2048) ranges.clear();
  ranges.set(value, range);
  return range;
}

/** Whether the request's address (`::ffff:a.b.c.d` as IPv4, as a dual-stack listener reports it) is in the range. */
function inCidr(ip: string, policy: string): boolean {
  const range = cidr(policy);
  if (range === null || !ipaddr.isValid(ip)) return false;
  const address = ipaddr.process(ip);
  return address.kind() === range[0].kind() && address.match(range);
}

/**
 * ArnEquals/ArnLike: "each of the six colon-delimited components of the ARN is checked
 * separately" (IAM JSON policy elements: Condition operators), so a wildcard never spans a `:` in
 * the first five; the sixth (the resource) may hold colons. A value with fewer than five colons
 * is no ARN and matches nothing.
 */
const arnCache = new Map<string, RegExp | null>();
export function arnRegExp(pattern: string | Resolved): RegExp | null {
  // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: a memo of a pure function: hit, miss or clear, the answer is the same
  const key = typeof pattern === 'string' ? pattern : undefined;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: a memo of a pure function: hit, miss or clear, the answer is the same
  if (key !== undefined && arnCache.has(key)) return arnCache.get(key)!;
  let colons = 0;
  let body = '';
  for (const piece of typeof pattern === 'string' ? [{ glob: pattern }] : pattern) {
    const wild = 'glob' in piece;
    for (const ch of wild ? piece.glob : piece.literal) {
      if (ch === ':') colons++;
      if (wild && ch === '*') body += colons < 5 ? '[^:]*' : '.*';
      else if (wild && ch === '?') body += colons < 5 ? '[^:]' : '.';
      else body += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  const re = colons < 5 ? null : new RegExp(`^${body}$`, 's');
  // Stryker disable next-line ConditionalExpression,EqualityOperator,BlockStatement: a memo of a pure function: hit, miss or clear, the answer is the same
  if (key !== undefined) {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a memo of a pure function: hit, miss or clear, the answer is the same
    if (arnCache.size > 2048) arnCache.clear();
    arnCache.set(key, re);
  }
  return re;
}
export const arnMatches = (pattern: string | Resolved, value: string): boolean => arnRegExp(pattern)?.test(value) === true;

/** StringLike with substituted values: the author's wildcards, everything substituted literal. */
export function likeMatches(pattern: string | Resolved, value: string): boolean {
  if (typeof pattern === 'string') return glob(pattern, value);
  // Stryker disable next-line ConditionalExpression,StringLiteral: a fast path: the RegExp below gives the same answer
  if (pattern.length === 1 && 'glob' in pattern[0]!) return glob(pattern[0].glob, value);
  const body = pattern
    .map((p) =>
      'glob' in p
        ? p.glob
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '.*')
            .replace(/\?/g, '.')
        : p.literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${body}$`, 's').test(value);
}

const text = (p: string | Resolved): string => (typeof p === 'string' ? p : textOf(p));

export interface OperatorDef {
  /** Whether the request value satisfies this policy value (a string, or one with variables substituted). */
  readonly test: (request: string, policy: string | Resolved) => boolean;
  /** Not-operators: true when no policy value matches (and when the key is absent). */
  readonly negated?: boolean;
  /** Validates the policy's values (MalformedPolicyDocumentException). */
  readonly check?: (values: readonly string[], name: string) => void;
  /** String and Arn operators: the ones whose values may hold policy variables. */
  readonly variables?: boolean;
}

const numbers = (values: readonly string[], name: string) => {
  if (values.some((v) => Number.isNaN(num(v))))
    throw new MalformedPolicyDocumentException({ message: `The ${name} condition needs numeric values.` });
};
const dates = (values: readonly string[], name: string) => {
  if (values.some((v) => Number.isNaN(date(v))))
    throw new MalformedPolicyDocumentException({ message: `The ${name} condition needs date values.` });
};
const bools = (values: readonly string[], name: string) => {
  if (values.some((v) => v !== 'true' && v !== 'false'))
    throw new MalformedPolicyDocumentException({ message: `The ${name} condition needs true or false.` });
};
const cidrs = (values: readonly string[], name: string) => {
  const bad = values.find((v) => cidr(v) === null);
  if (bad !== undefined)
    throw new MalformedPolicyDocumentException({
      message: `The ${name} condition needs IPv4 or IPv6 addresses or CIDR blocks: ${JSON.stringify(bad.slice(0, 64))} is neither.`,
    });
};
const cmpNum = (f: (a: number, b: number) => boolean) => (r: string, p: string | Resolved) => f(num(r), num(text(p)));
const cmpDate = (f: (a: number, b: number) => boolean) => (r: string, p: string | Resolved) => f(date(r), date(text(p)));
const equals = (r: string, p: string | Resolved) => r === text(p);
const equalsIgnoreCase = (r: string, p: string | Resolved) => r.toLowerCase() === text(p).toLowerCase();
const ip = (r: string, p: string | Resolved) => inCidr(r, text(p));

export const OPERATORS = {
  StringEquals: { test: equals, variables: true },
  StringNotEquals: { test: equals, negated: true, variables: true },
  StringEqualsIgnoreCase: { test: equalsIgnoreCase, variables: true },
  StringNotEqualsIgnoreCase: { test: equalsIgnoreCase, negated: true, variables: true },
  StringLike: { test: (r, p) => likeMatches(p, r), variables: true },
  StringNotLike: { test: (r, p) => likeMatches(p, r), negated: true, variables: true },
  ArnEquals: { test: (r, p) => arnMatches(p, r), variables: true },
  ArnNotEquals: { test: (r, p) => arnMatches(p, r), negated: true, variables: true },
  ArnLike: { test: (r, p) => arnMatches(p, r), variables: true },
  ArnNotLike: { test: (r, p) => arnMatches(p, r), negated: true, variables: true },
  Bool: { test: (r, p) => r.toLowerCase() === text(p), check: bools },
  Null: { test: () => false, check: bools },
  NumericEquals: { test: cmpNum((a, b) => a === b), check: numbers },
  NumericNotEquals: { test: cmpNum((a, b) => a === b), negated: true, check: numbers },
  NumericLessThan: { test: cmpNum((a, b) => a < b), check: numbers },
  NumericLessThanEquals: { test: cmpNum((a, b) => a <= b), check: numbers },
  NumericGreaterThan: { test: cmpNum((a, b) => a > b), check: numbers },
  NumericGreaterThanEquals: { test: cmpNum((a, b) => a >= b), check: numbers },
  DateEquals: { test: cmpDate((a, b) => a === b), check: dates },
  DateNotEquals: { test: cmpDate((a, b) => a === b), negated: true, check: dates },
  DateLessThan: { test: cmpDate((a, b) => a < b), check: dates },
  DateLessThanEquals: { test: cmpDate((a, b) => a <= b), check: dates },
  DateGreaterThan: { test: cmpDate((a, b) => a > b), check: dates },
  DateGreaterThanEquals: { test: cmpDate((a, b) => a >= b), check: dates },
  IpAddress: { test: ip, check: cidrs },
  NotIpAddress: { test: ip, negated: true, check: cidrs },
} as const satisfies Record<string, OperatorDef>;

export type Operator = keyof typeof OPERATORS;

/** The operator's definition, as the common shape. */
export const operatorDef = (op: Operator): OperatorDef => OPERATORS[op];

/** `ForAnyValue:StringLikeIfExists` → its parts; undefined for an unknown operator. */
export function parseOperator(name: string): { operator: Operator; ifExists: boolean; set?: 'ForAnyValue' | 'ForAllValues' } | undefined {
  let rest = name;
  let set: 'ForAnyValue' | 'ForAllValues' | undefined;
  for (const prefix of ['ForAnyValue', 'ForAllValues'] as const) {
    if (rest.startsWith(`${prefix}:`)) {
      set = prefix;
      rest = rest.slice(prefix.length + 1);
    }
  }
  let ifExists = false;
  // Stryker disable next-line ConditionalExpression,StringLiteral: 'IfExists' alone leaves '' as the operator, which parses to undefined either way
  if (rest.endsWith('IfExists') && rest !== 'IfExists') {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  if (!Object.hasOwn(OPERATORS, rest) || (ifExists && rest === 'Null')) return undefined;
  return { operator: rest as Operator, ifExists, ...(set ? { set } : {}) };
}

export interface ConditionShape {
  readonly operator: Operator;
  readonly ifExists: boolean;
  readonly set?: 'ForAnyValue' | 'ForAllValues';
  readonly values: readonly string[];
  /** Whether the key is multivalued (kms:EncryptionContextKeys, aws:TagKeys, …). */
  readonly multiValued?: boolean;
}

/**
 * Evaluates one condition against the request's values for its key (undefined: the key is
 * absent). `resolved`: the policy values after substituting variables, when they have any;
 * undefined in it is a value whose variable did not resolve, which makes the condition false
 * whenever values are compared (not for an absent key under IfExists or a negated operator).
 */
export function conditionHolds(
  c: ConditionShape,
  requestValues: readonly string[] | undefined,
  resolved?: readonly (Resolved | undefined)[],
): boolean {
  const absent = requestValues === undefined || requestValues.length === 0;
  if (c.operator === 'Null') return c.values.some((v) => (v === 'true') === absent);
  const def: OperatorDef = OPERATORS[c.operator];
  // An absent key: ForAllValues holds (vacuously) and ForAnyValue does not (IAM: "for no matching
  // context key or a null dataset, the condition returns false"); otherwise only IfExists and the
  // negated operators hold. No value is compared, so a variable in them is not resolved either.
  if (absent) return c.set === 'ForAllValues' || (c.set !== 'ForAnyValue' && (c.ifExists || def.negated === true));
  if (resolved?.includes(undefined)) return false;
  const policy: readonly (string | Resolved)[] = (resolved as readonly Resolved[] | undefined) ?? c.values;
  // A multivalued key needs ForAnyValue/ForAllValues ("Single-valued vs. multivalued context
  // keys"); without one the condition does not match, for any operator, as in AWS (README:
  // "Multivalued keys without a set operator").
  if (c.set === undefined && c.multiValued === true) return false;
  const matchesOne = (r: string) => {
    const any = policy.some((p) => def.test(r, p));
    return def.negated ? !any : any;
  };
  return c.set === 'ForAllValues' ? requestValues.every(matchesOne) : requestValues.some(matchesOne);
}
