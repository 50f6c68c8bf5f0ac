import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { boundedMap, duration, labels, listMap, listSet, quantity, withRules } from './schema-helpers.js';
import { toStructural } from './structural.js';

describe('withRules', () => {
  it('appends rules and keeps the description', () => {
    const once = withRules(z.string().max(3).describe('A thing.'), { rule: 'a', message: 'A' });
    const twice = withRules(once, { rule: 'b', message: 'B', fieldPath: '.x' });
    expect(toStructural(twice)).toEqual({
      description: 'A thing.',
      type: 'string',
      maxLength: 3,
      'x-kubernetes-validations': [
        { rule: 'a', message: 'A' },
        { rule: 'b', message: 'B', fieldPath: '.x' },
      ],
    });
  });
});

describe('list types', () => {
  it('marks map lists with their keys and set lists as sets', () => {
    const item = z.object({ name: z.string().max(3) });
    expect(toStructural(listMap(z.array(item).max(2), 'name'))).toMatchObject({
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    });
    expect(toStructural(listSet(z.array(z.int()).max(2)))).toMatchObject({ 'x-kubernetes-list-type': 'set' });
  });
});

describe('boundedMap', () => {
  const map = boundedMap(z.string().max(5), z.string().max(5), 2);
  it('checks its size when parsing and tells the API server the bound', () => {
    expect(map.safeParse({ a: '1', b: '2' }).success).toBe(true);
    expect(map.safeParse({ a: '1', b: '2', c: '3' }).success).toBe(false);
    expect(toStructural(map)).toMatchObject({ maxProperties: 2 });
  });
});

describe('duration', () => {
  it.each(['250ms', '5s', '1m30s', '24h', '1.5s'])('accepts %s', (d) => {
    expect(duration.safeParse(d).success).toBe(true);
  });
  it.each(['', '5', '5 s', '-1s', '1d', 's'])('refuses %j', (d) => {
    expect(duration.safeParse(d).success).toBe(false);
  });
});

describe('quantity', () => {
  it.each([1, '100m', '128Mi', '1.5', '2G'])('accepts %j', (q) => {
    expect(quantity.safeParse(q).success).toBe(true);
  });
  it.each(['lots', '1 Gi', -1, true])('refuses %j', (q) => {
    expect(quantity.safeParse(q).success).toBe(false);
  });
});

describe('labels', () => {
  it('accepts label keys with a DNS prefix and refuses bad values', () => {
    expect(labels.safeParse({ 'app.kubernetes.io/name': 'reviews', version: 'v2' }).success).toBe(true);
    expect(labels.safeParse({ app: 'has space' }).success).toBe(false);
  });
});
