import { describe, expect, it } from 'vitest';
import { headerValue, queryValue, splitTarget } from './request-view.js';

describe('request view helpers', () => {
  it.each([
    ['/a/b', '/a/b', ''],
    ['/a?x=1&y', '/a', 'x=1&y'],
    ['/?', '/', ''],
  ])('splitTarget(%s)', (target, path, query) => {
    expect(splitTarget(target)).toEqual({ path, query });
  });

  it.each([
    ['x=1&y=2', 'y', '2'],
    ['x=1&x=2', 'x', '1'],
    ['flag&x=1', 'flag', ''],
    ['xx=1&x=2', 'x', '2'],
    ['q=a%20b+c', 'q', 'a b c'],
    ['q=%zz', 'q', '%zz'],
    ['x=1', 'y', undefined],
    ['', 'x', undefined],
  ])('queryValue(%s, %s) = %s', (query, name, want) => {
    expect(queryValue(query, name)).toBe(want);
  });

  it('joins repeated headers', () => {
    expect(headerValue({ 'set-cookie': ['a=1', 'b=2'] }, 'set-cookie')).toBe('a=1, b=2');
    expect(headerValue({ host: 'x' }, 'host')).toBe('x');
    expect(headerValue({}, 'host')).toBeUndefined();
  });
});
