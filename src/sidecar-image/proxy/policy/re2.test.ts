import { describe, expect, it } from 'vitest';
import { compileRe2, literalPrefix, re2Error } from './re2.js';

describe('compileRe2', () => {
  it.each([
    ['/api/v[0-9]+/.*', '/api/v12/users', true],
    ['/api/v[0-9]+/.*', '/x/api/v1/users', false],
    // Whole-input match: a partial match is not a match.
    ['v1', 'v10', false],
    ['a|b', 'a', true],
    ['a|b', 'ab', false],
    ['[\\]1]+', ']1]', true],
    ['\\p{L}+', 'héllo', true],
    ['(?:x)+', 'xxx', true],
    ['(?<name>x)', 'x', true],
  ])('%s against %s is %s', (source, input, want) => {
    const r = compileRe2(source);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.regex.test(input)).toBe(want);
  });

  it.each([
    ['a(?=b)', 'look-ahead'],
    ['a(?!b)', 'look-ahead'],
    ['(?<=a)b', 'look-behind'],
    ['(?<!a)b', 'look-behind'],
    ['(a)\\1', 'back-reference'],
    ['(?<n>a)\\k<n>', 'named back-reference'],
    ['\\Aabc', 'invalid regex'],
    ['(?i)abc', 'invalid regex'],
    ['[[:alpha:]]', 'invalid regex'],
    ['(', 'invalid regex'],
  ])('refuses %s (%s)', (source, what) => {
    expect(re2Error(source)).toContain(what);
  });

  it('does not read escapes or classes as the constructs they spell', () => {
    expect(re2Error('\\(?=x\\)')).toBeUndefined();
    expect(re2Error('[(?=]')).toBeUndefined();
  });
});

describe('literalPrefix', () => {
  it.each([
    ['/api/v[0-9]+/.*', '/api/v'],
    ['/users/\\d+', '/users/'],
    ['/ab?c', '/a'],
    ['/ab*', '/a'],
    ['/ab{2}', '/a'],
    ['/a|/b', ''],
    ['(/a)', ''],
    ['.*', ''],
    ['/exact', '/exact'],
  ])('of %s is %s', (source, want) => {
    expect(literalPrefix(source)).toBe(want);
  });
});
