import { describe, expect, it } from 'vitest';
import { examples } from './examples.js';
import { crds } from './index.js';

describe('examples', () => {
  it('has one per kind', () => {
    expect(Object.keys(examples).sort()).toEqual(crds.map((d) => d.kind).sort());
  });

  for (const def of crds) {
    it(`${def.kind} parses with its schema`, () => {
      expect(def.spec.safeParse((examples as Record<string, unknown>)[def.kind]).error).toBeUndefined();
    });
  }
});
