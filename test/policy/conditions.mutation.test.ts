// The condition operators of src/policy/conditions.ts, asked directly at their edges: Null both
// ways, an empty list counted as absent, each comparison at equality, malformed Numeric/Date/Bool
// values refused, the set operators and IfExists on absent keys, and how operator names parse.
import { describe, expect, it } from 'vitest';
import { conditionHolds, glob, operatorDef, parseOperator, type ConditionShape, type Operator } from '../../src/policy/conditions.js';

const holds = (operator: Operator, values: string[], request: readonly string[] | undefined, extra: Partial<ConditionShape> = {}) =>
  conditionHolds({ operator, ifExists: false, values, ...extra }, request);

describe('Null', () => {
  it('"true" holds exactly when the key is absent (undefined or no values), "false" exactly when present', () => {
    expect(holds('Null', ['true'], undefined)).toBe(true);
    expect(holds('Null', ['true'], [])).toBe(true);
    expect(holds('Null', ['true'], ['x'])).toBe(false);
    expect(holds('Null', ['false'], undefined)).toBe(false);
    expect(holds('Null', ['false'], [])).toBe(false);
    expect(holds('Null', ['false'], ['x'])).toBe(true);
    expect(holds('Null', ['false', 'true'], ['x'])).toBe(true);
  });
});

describe('an absent key (undefined or an empty list)', () => {
  for (const absent of [undefined, []] as const) {
    it(`${JSON.stringify(absent)}: plain operators fail; IfExists, negated operators and ForAllValues hold; ForAnyValue fails`, () => {
      expect(holds('StringEquals', ['a'], absent)).toBe(false);
      expect(holds('StringEquals', ['a'], absent, { ifExists: true })).toBe(true);
      expect(holds('StringNotEquals', ['a'], absent)).toBe(true);
      expect(holds('NotIpAddress', ['10.0.0.0/8'], absent)).toBe(true);
      expect(holds('IpAddress', ['10.0.0.0/8'], absent)).toBe(false);
      expect(holds('StringEquals', ['a'], absent, { set: 'ForAllValues' })).toBe(true);
      expect(holds('StringEquals', ['a'], absent, { set: 'ForAnyValue' })).toBe(false);
      expect(holds('StringNotEquals', ['a'], absent, { set: 'ForAnyValue' })).toBe(false);
      expect(holds('StringEquals', ['a'], absent, { set: 'ForAnyValue', ifExists: true })).toBe(false);
    });
  }
});

describe('comparisons at their edges', () => {
  it('Numeric operators, at equality and either side', () => {
    const cases: Array<[Operator, boolean, boolean, boolean]> = [
      // operator, request 4 vs policy 5, 5 vs 5, 6 vs 5
      ['NumericEquals', false, true, false],
      ['NumericNotEquals', true, false, true],
      ['NumericLessThan', true, false, false],
      ['NumericLessThanEquals', true, true, false],
      ['NumericGreaterThan', false, false, true],
      ['NumericGreaterThanEquals', false, true, true],
    ];
    for (const [op, lt, eq, gt] of cases) {
      expect([holds(op, ['5'], ['4']), holds(op, ['5'], ['5']), holds(op, ['5'], ['6'])], op).toEqual([lt, eq, gt]);
    }
    expect(holds('NumericEquals', ['5'], [' '])).toBe(false);
    expect(holds('NumericEquals', ['0'], [''])).toBe(false);
    expect(holds('NumericEquals', ['0'], [' '])).toBe(false);
  });

  it('Date operators, at equality and either side; epoch seconds and ISO 8601 are the same instant', () => {
    const t = '2026-01-01T00:00:00Z';
    const cases: Array<[Operator, boolean, boolean, boolean]> = [
      ['DateEquals', false, true, false],
      ['DateNotEquals', true, false, true],
      ['DateLessThan', true, false, false],
      ['DateLessThanEquals', true, true, false],
      ['DateGreaterThan', false, false, true],
      ['DateGreaterThanEquals', false, true, true],
    ];
    for (const [op, lt, eq, gt] of cases) {
      expect([holds(op, [t], ['2025-12-31T23:59:59Z']), holds(op, [t], [t]), holds(op, [t], ['2026-01-01T00:00:01Z'])], op).toEqual([
        lt,
        eq,
        gt,
      ]);
    }
    expect(holds('DateEquals', ['1767225600'], [t])).toBe(true);
    expect(holds('DateEquals', ['1767225600.5'], ['2026-01-01T00:00:00.500Z'])).toBe(true);
    expect(holds('DateEquals', ['1767225601'], [t])).toBe(false);
    expect(holds('DateEquals', ['1767225600.25'], ['2026-01-01T00:00:00.250Z'])).toBe(true);
    expect(holds('DateEquals', ['2026-01-01'], [t])).toBe(true);
  });

  it('Bool compares the request value case-insensitively with the policy\'s "true"/"false"', () => {
    expect(holds('Bool', ['true'], ['TRUE'])).toBe(true);
    expect(holds('Bool', ['true'], ['false'])).toBe(false);
    expect(holds('Bool', ['false'], ['false'])).toBe(true);
  });

  it('String operators: exact, ignoring case, like; their negations', () => {
    expect(holds('StringEquals', ['Abc'], ['abc'])).toBe(false);
    expect(holds('StringEqualsIgnoreCase', ['Abc'], ['aBC'])).toBe(true);
    expect(holds('StringNotEqualsIgnoreCase', ['Abc'], ['aBC'])).toBe(false);
    expect(holds('StringNotEqualsIgnoreCase', ['Abc'], ['x'])).toBe(true);
    expect(holds('StringLike', ['a*c'], ['abbc'])).toBe(true);
    expect(holds('StringNotLike', ['a*c'], ['abbc'])).toBe(false);
    expect(holds('StringNotLike', ['a*c'], ['abb'])).toBe(true);
    expect(holds('ArnNotLike', ['arn:aws:iam::*:role/x'], ['arn:aws:iam::111122223333:role/x'])).toBe(false);
    expect(holds('ArnNotEquals', ['arn:aws:iam::*:role/x'], ['arn:aws:iam::111122223333:role/y'])).toBe(true);
  });

  it('ForAllValues: every request value matches some policy value; ForAnyValue: one does', () => {
    expect(holds('StringEquals', ['a', 'b'], ['a', 'b'], { set: 'ForAllValues' })).toBe(true);
    expect(holds('StringEquals', ['a', 'b'], ['a', 'c'], { set: 'ForAllValues' })).toBe(false);
    expect(holds('StringEquals', ['a', 'b'], ['c', 'a'], { set: 'ForAnyValue' })).toBe(true);
    expect(holds('StringEquals', ['a', 'b'], ['c', 'd'], { set: 'ForAnyValue' })).toBe(false);
    // Negated under ForAnyValue: some request value matches none of the policy's.
    expect(holds('StringNotEquals', ['a'], ['a', 'c'], { set: 'ForAnyValue' })).toBe(true);
    expect(holds('StringNotEquals', ['a'], ['a'], { set: 'ForAnyValue' })).toBe(false);
  });

  it('a multivalued key without a set operator never matches, a negated operator neither', () => {
    expect(holds('StringEquals', ['a'], ['a'], { multiValued: true })).toBe(false);
    expect(holds('StringNotEquals', ['a'], ['b'], { multiValued: true })).toBe(false);
    expect(holds('StringEquals', ['a'], ['a'], { multiValued: true, set: 'ForAnyValue' })).toBe(true);
  });

  it('a policy variable that did not resolve makes a compared condition false, even a negated one', () => {
    expect(conditionHolds({ operator: 'StringEquals', ifExists: false, values: ['${x}'] }, ['a'], [undefined])).toBe(false);
    expect(conditionHolds({ operator: 'StringNotEquals', ifExists: false, values: ['${x}'] }, ['a'], [undefined])).toBe(false);
    expect(conditionHolds({ operator: 'StringEquals', ifExists: false, values: ['${x}'] }, ['a'], [[{ literal: 'a' }]])).toBe(true);
  });
});

describe('malformed policy values', () => {
  const refuses = (op: Operator, values: string[], message: string) => {
    expect(() => operatorDef(op).check!(values, op)).toThrow(
      expect.objectContaining({ name: 'MalformedPolicyDocumentException', message }),
    );
  };
  it('Numeric, Date, Bool and IP operators refuse values of the wrong kind, naming the operator', () => {
    refuses('NumericLessThan', ['1', 'ten'], 'The NumericLessThan condition needs numeric values.');
    refuses('NumericEquals', [''], 'The NumericEquals condition needs numeric values.');
    refuses('DateGreaterThan', ['yesterday'], 'The DateGreaterThan condition needs date values.');
    refuses('Bool', ['yes'], 'The Bool condition needs true or false.');
    refuses('Null', ['TRUE'], 'The Null condition needs true or false.');
    refuses('Bool', ['true', 'yes'], 'The Bool condition needs true or false.');
    refuses('DateEquals', ['2026-01-01', 'never'], 'The DateEquals condition needs date values.');
    refuses(
      'IpAddress',
      ['x'.repeat(100)],
      `The IpAddress condition needs IPv4 or IPv6 addresses or CIDR blocks: "${'x'.repeat(64)}" is neither.`,
    );
    expect(() => operatorDef('DateEquals').check!(['2026-01-01'], 'DateEquals')).not.toThrow();
    refuses('IpAddress', ['10.0.0.0/8', '10.1'], 'The IpAddress condition needs IPv4 or IPv6 addresses or CIDR blocks: "10.1" is neither.');
    expect(() => operatorDef('NumericEquals').check!(['1', '-2.5', '0x10'], 'NumericEquals')).not.toThrow();
    expect(() => operatorDef('DateEquals').check!(['1767225600', '2026-01-01T00:00:00Z'], 'DateEquals')).not.toThrow();
    expect(() => operatorDef('Bool').check!(['true', 'false'], 'Bool')).not.toThrow();
    expect(() => operatorDef('IpAddress').check!(['10.0.0.0/8', '::1', '2001:db8::/32'], 'IpAddress')).not.toThrow();
  });

  it('a CIDR prefix longer than the family allows, a zone id, a second slash or a short IPv4 form is no range', () => {
    for (const bad of [
      '10.0.0.0/33',
      '::/129',
      'fe80::1%eth0',
      '10.0.0.0/8/8',
      '127.1',
      '10.0.0.0/',
      '10.0.0.0/1234',
      '10.0.0.0/0008',
      'x',
    ]) {
      expect(() => operatorDef('IpAddress').check!([bad], 'IpAddress'), bad).toThrow();
    }
    for (const good of ['10.0.0.0/32', '::/128', '0.0.0.0/0', '::ffff:10.0.0.0/104']) {
      expect(() => operatorDef('IpAddress').check!([good], 'IpAddress'), good).not.toThrow();
    }
  });
});

describe('IP ranges', () => {
  it('match at the range edges, by family; a mapped IPv4 request matches IPv4 ranges and mapped ranges', () => {
    expect(holds('IpAddress', ['10.0.0.0/24'], ['10.0.0.255'])).toBe(true);
    expect(holds('IpAddress', ['10.0.0.0/24'], ['10.0.1.0'])).toBe(false);
    expect(holds('IpAddress', ['10.0.0.7'], ['10.0.0.7'])).toBe(true);
    expect(holds('IpAddress', ['10.0.0.7'], ['10.0.0.8'])).toBe(false);
    expect(holds('IpAddress', ['::ffff:10.0.0.0/120'], ['10.0.0.9'])).toBe(true);
    expect(holds('IpAddress', ['::ffff:10.0.0.0/120'], ['10.0.1.9'])).toBe(false);
    expect(holds('IpAddress', ['10.0.0.0/8'], ['::ffff:10.1.2.3'])).toBe(true);
    expect(holds('IpAddress', ['2001:db8::/32'], ['2001:db8:ffff::1'])).toBe(true);
    expect(holds('IpAddress', ['2001:db8::/32'], ['2001:db9::1'])).toBe(false);
    expect(holds('IpAddress', ['::/0'], ['10.0.0.1'])).toBe(false);
    expect(holds('IpAddress', ['0.0.0.0/0'], ['::1'])).toBe(false);
    expect(holds('IpAddress', ['0.0.0.0/0'], ['not an ip'])).toBe(false);
    expect(holds('IpAddress', ['not a range'], ['10.0.0.1'])).toBe(false);
    expect(holds('NotIpAddress', ['10.0.0.0/8'], ['11.0.0.1'])).toBe(true);
    expect(holds('NotIpAddress', ['10.0.0.0/8'], ['10.0.0.1'])).toBe(false);
  });
});

describe('operator names', () => {
  it('parse the set prefix and IfExists; Null has no IfExists form; unknown names are undefined', () => {
    expect(parseOperator('ForAnyValue:StringLikeIfExists')).toEqual({ operator: 'StringLike', ifExists: true, set: 'ForAnyValue' });
    expect(parseOperator('ForAllValues:StringEquals')).toEqual({ operator: 'StringEquals', ifExists: false, set: 'ForAllValues' });
    expect(parseOperator('StringEquals')).toEqual({ operator: 'StringEquals', ifExists: false });
    expect(parseOperator('NullIfExists')).toBeUndefined();
    expect(parseOperator('Null')).toEqual({ operator: 'Null', ifExists: false });
    expect(parseOperator('IfExists')).toBeUndefined();
    expect(parseOperator('StringEqualsIfExistsIfExists')).toBeUndefined();
    expect(parseOperator('toString')).toBeUndefined();
    expect(parseOperator('ForAnyValue:')).toBeUndefined();
    expect(parseOperator('ForAnyValueStringEquals')).toBeUndefined();
    expect(parseOperator('ForAnyValueXStringEquals')).toBeUndefined();
    expect(parseOperator('ForAllValuesXStringEquals')).toBeUndefined();
  });
});

describe('glob', () => {
  it('* and ? are the only wildcards; case matters unless asked; a prefix pattern is a prefix', () => {
    expect(glob('kms:*', 'kms:Encrypt')).toBe(true);
    expect(glob('kms:*', 'KMS:Encrypt')).toBe(false);
    expect(glob('kms:*', 'KMS:Encrypt', true)).toBe(true);
    expect(glob('kms:Encrypt', 'kms:encrypt')).toBe(false);
    expect(glob('kms:Encrypt', 'kms:encrypt', true)).toBe(true);
    expect(glob('a?c', 'abc')).toBe(true);
    expect(glob('a?c', 'abbc')).toBe(false);
    expect(glob('a.c', 'abc')).toBe(false);
    expect(glob('a*', 'b')).toBe(false);
    expect(glob('é*', 'É-x', true)).toBe(true);
    expect(glob('x*', 'y-é', true)).toBe(false);
    expect(glob('*', '')).toBe(true);
    expect(glob('a*c', 'a\nc')).toBe(true);
    // Non-ASCII takes the RegExp: the Kelvin sign lower-cases to "k" but is not "k" ignoring case.
    expect(glob('k*', '\u212ax', true)).toBe(false);
    expect(glob('\u212a*', 'kx', true)).toBe(false);
  });

  it('ArnLike: ? is one character but never a colon in the first five components; values may hold newlines', () => {
    expect(holds('ArnLike', ['arn:aws:iam::11112222333?:role/x'], ['arn:aws:iam::111122223333:role/x'])).toBe(true);
    expect(holds('ArnLike', ['arn:aws:iam:?111122223333:role/x'], ['arn:aws:iam::111122223333:role/x'])).toBe(false);
    expect(holds('ArnLike', ['arn:aws:iam::111122223333:role/?'], ['arn:aws:iam::111122223333:role/:'])).toBe(true);
    expect(holds('ArnLike', ['arn:aws:iam::111122223333:role/*'], ['arn:aws:iam::111122223333:role/a\nb'])).toBe(true);
    expect(
      conditionHolds(
        { operator: 'StringLike', ifExists: false, values: ['${x}'] },
        ['a\nbx'],
        [[{ glob: 'a*' }, { literal: '.' }, { glob: '?' }]],
      ),
    ).toBe(false);
    expect(
      conditionHolds(
        { operator: 'StringLike', ifExists: false, values: ['${x}'] },
        ['a\nb.x'],
        [[{ glob: 'a*' }, { literal: '.' }, { glob: '?' }]],
      ),
    ).toBe(true);
    expect(
      conditionHolds({ operator: 'StringLike', ifExists: false, values: ['${x}'] }, ['a*b'], [[{ literal: 'a*' }, { glob: 'b' }]]),
    ).toBe(true);
    expect(
      conditionHolds({ operator: 'StringLike', ifExists: false, values: ['${x}'] }, ['axb'], [[{ literal: 'a*' }, { glob: 'b' }]]),
    ).toBe(false);
  });
});
