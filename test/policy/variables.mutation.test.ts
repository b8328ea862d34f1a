// Policy-variable templates (src/policy/variables.ts) at their edges: what is and is not a
// variable, defaults with quotes and spaces, case of keys, text kept around tokens, and resolution
// (one value, none, several, multivalued keys).
import { describe, expect, it } from 'vitest';
import { hasVariables, parseTemplate, resolveTemplate, textOf } from '../../src/policy/variables.js';

describe('parseTemplate', () => {
  it('text around tokens is kept as glob pieces; a key is lower-cased; spaces inside the braces are ignored', () => {
    expect(parseTemplate('a/${AWS:UserName}/b*')).toEqual([{ glob: 'a/' }, { key: 'aws:username' }, { glob: '/b*' }]);
    expect(parseTemplate('${ aws:username }')).toEqual([{ key: 'aws:username' }]);
    expect(parseTemplate("${aws:username , 'x' }")).toEqual([{ key: 'aws:username', fallback: 'x' }]);
    expect(parseTemplate("${aws:username,'it''s'}")).toEqual([{ key: 'aws:username', fallback: "it's" }]);
    expect(parseTemplate("${aws:username,''}")).toEqual([{ key: 'aws:username', fallback: '' }]);
    expect(parseTemplate('${*}${?}${$}')).toEqual([{ literal: '*' }, { literal: '?' }, { literal: '$' }]);
    expect(parseTemplate('')).toEqual([]);
  });

  it('what is not a variable stays as written, and scanning goes on after it', () => {
    expect(parseTemplate('${}')).toEqual([{ glob: '${}' }]);
    expect(parseTemplate('${aws:user*}x')).toEqual([{ glob: '${aws:user*}x' }]);
    expect(parseTemplate('${nocolon}')).toEqual([{ glob: '${nocolon}' }]);
    expect(parseTemplate('${aws:a b}')).toEqual([{ glob: '${aws:a b}' }]);
    expect(parseTemplate('${${aws:username}')).toEqual([{ glob: '${' }, { key: 'aws:username' }]);
    expect(parseTemplate('$${aws:username}$')).toEqual([{ glob: '$' }, { key: 'aws:username' }, { glob: '$' }]);
    expect(parseTemplate('x${aws:username')).toEqual([{ glob: 'x${aws:username' }]);
  });

  it('hasVariables looks for "${" only', () => {
    expect(hasVariables('a${b')).toBe(true);
    expect(hasVariables('a$b{c}')).toBe(false);
  });
});

describe('resolveTemplate', () => {
  const lookup = (k: string) => ({ 'aws:username': ['alice*'], 'aws:none': [], 'aws:two': ['a', 'b'], 'aws:tagkeys': ['one'] })[k];
  it('one value is literal text; none or several fall back to the default or make the value unresolvable', () => {
    expect(resolveTemplate(parseTemplate('u/${aws:username}/*'), lookup)).toEqual([{ glob: 'u/' }, { literal: 'alice*' }, { glob: '/*' }]);
    expect(resolveTemplate(parseTemplate("${aws:none,'d'}"), lookup)).toEqual([{ literal: 'd' }]);
    expect(resolveTemplate(parseTemplate("${aws:two,'d'}"), lookup)).toEqual([{ literal: 'd' }]);
    expect(resolveTemplate(parseTemplate("${aws:missing,'d'}"), lookup)).toEqual([{ literal: 'd' }]);
    expect(resolveTemplate(parseTemplate("${aws:username,'d'}"), lookup)).toEqual([{ literal: 'alice*' }]);
    expect(resolveTemplate(parseTemplate('${aws:none}'), lookup)).toBeUndefined();
    expect(resolveTemplate(parseTemplate('${aws:two}'), lookup)).toBeUndefined();
    expect(resolveTemplate(parseTemplate('a${aws:missing}'), lookup)).toBeUndefined();
    expect(resolveTemplate(parseTemplate('${aws:TagKeys}'), lookup)).toBeUndefined();
    expect(textOf(resolveTemplate(parseTemplate('u/${aws:username}/*'), lookup)!)).toBe('u/alice*/*');
  });
});
