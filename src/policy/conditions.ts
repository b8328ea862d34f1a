/**
 * IAM condition operators: one table. Each compares one request value with one policy value;
 * `…IfExists`, `ForAnyValue:` and `ForAllValues:` are applied around it, with AWS's rules for
 * absent keys (a negated operator is true when the key is absent; `…IfExists` and `ForAllValues`
 * are true; everything else is false).
 */
import { MalformedPolicyDocumentException } from '../errors.js';

const globCache = { s: new Map<string, RegExp>(), i: new Map<string, RegExp>() };

/** IAM wildcards: `*` any run of characters, `?` one character. */
export function glob(pattern: string, value: string, ignoreCase = false): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  if (pattern === '*') return true;
  // "kms:*", "arn:aws:kms:*": a prefix, the common shape in key policies, without a RegExp.
  const star = pattern.indexOf('*');
  if (star === pattern.length - 1 && !pattern.includes('?')) {
    const prefix = pattern.slice(0, -1);
    if (!ignoreCase) return value.startsWith(prefix);
    // Lower-casing is exact only for ASCII; anything else takes the RegExp below.
    if (isAscii(prefix) && isAscii(value)) return value.slice(0, prefix.length).toLowerCase() === prefix.toLowerCase();
  }
  const cache = ignoreCase ? globCache.i : globCache.s;
  let re = cache.get(pattern);
  if (re === undefined) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
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

function ipv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}
function inCidr(ip: string, cidr: string): boolean {
  const [base, bits = '32'] = cidr.split('/');
  const a = ipv4(ip);
  const b = ipv4(base!);
  const n = Number(bits);
  if (a === undefined || b === undefined || !(n >= 0 && n <= 32)) return false;
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}

export interface OperatorDef {
  /** Whether the request value satisfies this policy value. */
  readonly test: (request: string, policy: string) => boolean;
  /** Not-operators: true when no policy value matches (and when the key is absent). */
  readonly negated?: boolean;
  /** Validates the policy's values (MalformedPolicyDocumentException). */
  readonly check?: (values: readonly string[], name: string) => void;
}

const numbers = (values: readonly string[], name: string) => {
  if (values.some((v) => Number.isNaN(num(v)))) throw new MalformedPolicyDocumentException({ message: `The ${name} condition needs numeric values.` });
};
const dates = (values: readonly string[], name: string) => {
  if (values.some((v) => Number.isNaN(date(v)))) throw new MalformedPolicyDocumentException({ message: `The ${name} condition needs date values.` });
};
const bools = (values: readonly string[], name: string) => {
  if (values.some((v) => v !== 'true' && v !== 'false')) throw new MalformedPolicyDocumentException({ message: `The ${name} condition needs true or false.` });
};
const cmpNum = (f: (a: number, b: number) => boolean) => (r: string, p: string) => f(num(r), num(p));
const cmpDate = (f: (a: number, b: number) => boolean) => (r: string, p: string) => f(date(r), date(p));

export const OPERATORS = {
  StringEquals: { test: (r, p) => r === p },
  StringNotEquals: { test: (r, p) => r === p, negated: true },
  StringEqualsIgnoreCase: { test: (r, p) => r.toLowerCase() === p.toLowerCase() },
  StringNotEqualsIgnoreCase: { test: (r, p) => r.toLowerCase() === p.toLowerCase(), negated: true },
  StringLike: { test: (r, p) => glob(p, r) },
  StringNotLike: { test: (r, p) => glob(p, r), negated: true },
  ArnEquals: { test: (r, p) => glob(p, r) },
  ArnNotEquals: { test: (r, p) => glob(p, r), negated: true },
  ArnLike: { test: (r, p) => glob(p, r) },
  ArnNotLike: { test: (r, p) => glob(p, r), negated: true },
  Bool: { test: (r, p) => r.toLowerCase() === p, check: bools },
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
  IpAddress: { test: (r, p) => inCidr(r, p) },
  NotIpAddress: { test: (r, p) => inCidr(r, p), negated: true },
} as const satisfies Record<string, OperatorDef>;

export type Operator = keyof typeof OPERATORS;

/** The operator's definition, as the common shape. */
export const operatorDef = (op: Operator): OperatorDef => OPERATORS[op];

/** `ForAnyValue:StringLikeIfExists` → its parts; undefined for an unknown operator. */
export function parseOperator(name: string): { operator: Operator; ifExists: boolean; set?: 'ForAnyValue' | 'ForAllValues' } | undefined {
  let rest = name;
  let set: 'ForAnyValue' | 'ForAllValues' | undefined;
  for (const prefix of ['ForAnyValue', 'ForAllValues'] as const) {
    if (rest.startsWith(prefix + ':')) {
      set = prefix;
      rest = rest.slice(prefix.length + 1);
    }
  }
  let ifExists = false;
  if (rest.endsWith('IfExists') && rest !== 'IfExists') {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  if (!Object.hasOwn(OPERATORS, rest) || (ifExists && rest === 'Null')) return undefined;
  return { operator: rest as Operator, ifExists, ...(set ? { set } : {}) };
}

/** Evaluates one condition against the request's values for its key (undefined: the key is absent). */
export function conditionHolds(
  c: { operator: Operator; ifExists: boolean; set?: 'ForAnyValue' | 'ForAllValues'; values: readonly string[] },
  requestValues: readonly string[] | undefined,
): boolean {
  const absent = requestValues === undefined || requestValues.length === 0;
  if (c.operator === 'Null') return c.values.some((v) => (v === 'true') === absent);
  const def: OperatorDef = OPERATORS[c.operator];
  // An absent key: ForAllValues holds (vacuously) and ForAnyValue does not (IAM: "for no matching
  // context key or a null dataset, the condition returns false"); otherwise only IfExists and the
  // negated operators hold.
  if (absent) return c.set === 'ForAllValues' || (c.set !== 'ForAnyValue' && (c.ifExists || def.negated === true));
  const matchesOne = (r: string) => {
    const any = c.values.some((p) => def.test(r, p));
    return def.negated ? !any : any;
  };
  return c.set === 'ForAllValues' ? requestValues.every(matchesOne) : requestValues.some(matchesOne);
}
