import type { OutgoingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { HeaderEditor } from './header-ops.js';

describe('HeaderEditor', () => {
  it('sets, adds and removes, in that order', () => {
    const h: OutgoingHttpHeaders = {
      'x-a': 'old',
      'x-b': 'b1',
      'x-c': ['c1'],
      'x-gone': '1',
      'content-length': 3,
    };
    new HeaderEditor({
      set: [
        ['x-a', 'new'],
        ['x-new', 'n'],
      ],
      add: [
        ['x-b', 'b2'],
        ['x-c', 'c2'],
        ['x-d', 'd'],
        ['content-length', '4'],
      ],
      remove: ['x-gone', 'x-new'],
    }).apply(h);
    expect(h).toEqual({
      'x-a': 'new',
      'x-b': ['b1', 'b2'],
      'x-c': ['c1', 'c2'],
      'x-d': 'd',
      'content-length': ['3', '4'],
    });
  });

  it('knows when it has nothing to do', () => {
    expect(new HeaderEditor(undefined).empty).toBe(true);
    expect(new HeaderEditor({ remove: ['x'] }).empty).toBe(false);
  });
});
