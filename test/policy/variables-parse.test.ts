// The policy-variable parser and resolver (src/policy/variables.ts) and the principal facts behind
// aws:PrincipalType, aws:userid and aws:username (src/ops/authorize.ts).
import fc from 'fast-check';
import { describe, expect, it, test } from 'vitest';
import { parseTemplate, resolveTemplate, textOf } from '../../src/policy/variables.js';
import { principalFacts } from '../../src/ops/authorize.js';

const lookup = (values: Record<string, string[]>) => (key: string) => values[key];

describe('parseTemplate', () => {
  it('splits text, escapes, variables and defaults', () => {
    expect(parseTemplate('a/${aws:username}/*')).toEqual([{ glob: 'a/' }, { key: 'aws:username' }, { glob: '/*' }]);
    expect(parseTemplate('${*}${?}${$}')).toEqual([{ literal: '*' }, { literal: '?' }, { literal: '$' }]);
    expect(parseTemplate("${aws:userid, 'anonymous'}")).toEqual([{ key: 'aws:userid', fallback: 'anonymous' }]);
    expect(parseTemplate("${ AWS:UserName ,  'Def ault' }")).toEqual([{ key: 'aws:username', fallback: 'Def ault' }]); // key case-insensitive, default kept
    expect(parseTemplate("${aws:userid, ''}")).toEqual([{ key: 'aws:userid', fallback: '' }]);
    expect(parseTemplate('${aws:PrincipalTag/dept}')).toEqual([{ key: 'aws:principaltag/dept' }]);
    expect(parseTemplate("${aws:userid, 'it''s'}")).toEqual([{ key: 'aws:userid', fallback: "it's" }]);
    expect(parseTemplate("${aws:userid, '${x}}'}!")).toEqual([{ key: 'aws:userid', fallback: '${x}}' }, { glob: '!' }]);
  });

  it('leaves what is not a variable as written', () => {
    expect(parseTemplate('${}')).toEqual([{ glob: '${}' }]);
    expect(parseTemplate('${a b}')).toEqual([{ glob: '${a b}' }]);
    expect(parseTemplate('${a, b}')).toEqual([{ glob: '${a, b}' }]); // a default needs quotes
    expect(parseTemplate('x${aws:username')).toEqual([{ glob: 'x${aws:username' }]); // never closed
    expect(parseTemplate('$x{y}')).toEqual([{ glob: '$x{y}' }]);
    expect(parseTemplate('${**}')).toEqual([{ glob: '${**}' }]);
    expect(parseTemplate('${username}')).toEqual([{ glob: '${username}' }]); // a key has a service prefix
    expect(parseTemplate('${aws:user*}')).toEqual([{ glob: '${aws:user*}' }]);
    expect(parseTemplate("${aws:userid, 'open}")).toEqual([{ glob: "${aws:userid, 'open}" }]);
    expect(parseTemplate('${${*}}')).toEqual([{ glob: '${' }, { literal: '*' }, { glob: '}' }]);
    expect(parseTemplate('')).toEqual([]);
  });

  test('text without `${` is one glob piece; escapes read back as their characters (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '*', '?', '$', '{', '}', ':', '/') }), (s) => {
        if (!s.includes('${')) expect(parseTemplate(s)).toEqual(s === '' ? [] : [{ glob: s }]);
        const escaped = [...s].map((c) => (c === '*' || c === '?' || c === '$' ? `\${${c}}` : c)).join('');
        const resolved = resolveTemplate(parseTemplate(escaped), () => undefined);
        expect(resolved).toBeDefined();
        expect(textOf(resolved!)).toBe(s);
        // No author wildcard survives escaping.
        expect(resolved!.every((p) => !('glob' in p) || !/[*?]/.test(p.glob))).toBe(true);
      }),
      { numRuns: 500, seed: 11 },
    );
  });
});

describe('resolveTemplate', () => {
  it('substitutes single values, uses the default only when there is none, refuses several', () => {
    const t = parseTemplate("home/${aws:username, 'guest'}/${kms:encryptioncontext:x}");
    expect(textOf(resolveTemplate(t, lookup({ 'aws:username': ['alice'], 'kms:encryptioncontext:x': ['1'] }))!)).toBe('home/alice/1');
    expect(textOf(resolveTemplate(t, lookup({ 'kms:encryptioncontext:x': ['1'] }))!)).toBe('home/guest/1');
    expect(resolveTemplate(t, lookup({ 'aws:username': ['alice'] }))).toBeUndefined();
    expect(resolveTemplate(t, lookup({ 'aws:username': ['alice'], 'kms:encryptioncontext:x': ['1', '2'] }))).toBeUndefined();
    expect(textOf(resolveTemplate(t, lookup({ 'aws:username': ['a', 'b'], 'kms:encryptioncontext:x': ['1'] }))!)).toBe('home/guest/1');
    expect(textOf(resolveTemplate(t, lookup({ 'aws:username': [], 'kms:encryptioncontext:x': ['1'] }))!)).toBe('home/guest/1');
  });

  it('multivalued keys never resolve, even with one value; substituted text is literal', () => {
    for (const key of ['aws:tagkeys', 'kms:encryptioncontextkeys', 'kms:grantoperations', 'kms:resourcealiases']) {
      expect(resolveTemplate(parseTemplate(`\${${key}}`), lookup({ [key]: ['one'] })), key).toBeUndefined();
    }
    expect(resolveTemplate(parseTemplate('a${aws:username}b'), lookup({ 'aws:username': ['*'] }))).toEqual([
      { glob: 'a' },
      { literal: '*' },
      { glob: 'b' },
    ]);
    // One round only: a value that looks like a variable stays text.
    expect(textOf(resolveTemplate(parseTemplate("${aws:username, '${aws:userid}'}"), lookup({ 'aws:userid': ['u'] }))!)).toBe(
      '${aws:userid}',
    );
  });
});

describe('principalFacts', () => {
  it('gives type, userid and username by kind of principal', () => {
    const A = '111122223333';
    expect(principalFacts(`arn:aws:iam::${A}:root`)).toEqual({ type: 'Account', userid: A });
    expect(principalFacts(A)).toEqual({ type: 'Account', userid: A });
    expect(principalFacts(`arn:aws:iam::${A}:user/alice`)).toEqual({ type: 'User', userid: 'alice', username: 'alice' });
    expect(principalFacts(`arn:aws:iam::${A}:user/a/b/carol`)).toEqual({ type: 'User', userid: 'carol', username: 'carol' });
    expect(principalFacts(`arn:aws:sts::${A}:assumed-role/app/s-1`)).toEqual({ type: 'AssumedRole', userid: 'app:s-1' });
    expect(principalFacts(`arn:aws:iam::${A}:role/path/app`)).toEqual({ type: 'AssumedRole' });
    expect(principalFacts(`arn:aws:sts::${A}:federated-user/fed`)).toEqual({ type: 'FederatedUser', userid: `${A}:fed` });
    expect(principalFacts(`arn:aws-cn:iam::${A}:user/u`)).toEqual({ type: 'User', userid: 'u', username: 'u' });
  });
});
