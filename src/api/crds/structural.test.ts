import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { listMap, withRules } from './schema-helpers.js';
import { StructuralError, toStructural } from './structural.js';

const str = z.string().max(10);

describe('toStructural', () => {
  it('types every field and drops additionalProperties: false from strict objects', () => {
    const out = toStructural(z.strictObject({ a: str, b: z.int().optional() }));
    expect(out).toEqual({
      type: 'object',
      required: ['a'],
      properties: { a: { type: 'string', maxLength: 10 }, b: { type: 'integer' } },
    });
  });

  it('keeps real integer bounds and drops the safe-integer ones zod adds', () => {
    expect(toStructural(z.int().min(1).max(5))).toEqual({ type: 'integer', minimum: 1, maximum: 5 });
    expect(toStructural(z.int())).toEqual({ type: 'integer' });
  });

  it('turns an integer-or-string union into x-kubernetes-int-or-string with the checks hoisted', () => {
    const out = toStructural(
      z
        .union([
          z.int().min(0),
          z
            .string()
            .max(8)
            .regex(/^[0-9]+m$/),
        ])
        .default('1m'),
    );
    expect(out).toStrictEqual({
      default: '1m',
      minimum: 0,
      maxLength: 8,
      pattern: '^[0-9]+m$',
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      'x-kubernetes-int-or-string': true,
    });
  });

  it('refuses every other union', () => {
    expect(() => toStructural(z.object({ u: z.union([str, z.boolean()]) }))).toThrow(
      /u: anyOf is only supported as an integer-or-string union/,
    );
  });

  it('refuses allOf, which two regexes on one string produce', () => {
    expect(() => toStructural(z.object({ s: str.regex(/^a/).regex(/b$/) }))).toThrow(
      /s: unsupported schema keyword "allOf"/,
    );
  });

  it('turns a literal into a one-value enum', () => {
    expect(toStructural(z.literal('default'))).toEqual({ type: 'string', enum: ['default'] });
  });

  it('refuses unbounded strings, lists and maps, which break the CEL cost budget', () => {
    expect(() => toStructural(z.object({ s: z.string() }))).toThrow(/s: string without maxLength/);
    expect(() => toStructural(z.object({ l: z.array(str) }))).toThrow(/l: list without maxItems/);
    expect(() => toStructural(z.object({ m: z.record(str, str) }))).toThrow(/m: map without maxProperties/);
  });

  it('refuses untyped values', () => {
    expect(() => toStructural(z.object({ x: z.unknown() }))).toThrow(/x: every field needs a type/);
    expect(() =>
      toStructural(z.object({ x: z.record(str, z.unknown()).meta({ maxProperties: 2 }) })),
    ).toThrow(StructuralError);
  });

  it('refuses formats the API server does not check', () => {
    expect(() => toStructural(z.object({ e: z.email().max(50) }))).toThrow(/e: format "email"/);
  });

  it('writes a map as additionalProperties only', () => {
    const out = toStructural(z.record(str, z.int()).meta({ maxProperties: 3 }));
    expect(out).toEqual({ type: 'object', maxProperties: 3, additionalProperties: { type: 'integer' } });
  });

  it('names the path of a problem deep inside lists and maps', () => {
    const schema = z.object({
      a: z.array(z.object({ b: z.record(str, z.string()).meta({ maxProperties: 1 }) })).max(1),
    });
    expect(() => toStructural(schema)).toThrow('a[].b.*: string without maxLength');
  });

  it('fills an object default with its fields defaults, so CEL rules on the default can read them', () => {
    const inner = withRules(z.object({ lo: z.int().default(1), hi: z.int().default(2) }).prefault({}), {
      rule: 'self.lo <= self.hi',
      message: 'lo must not exceed hi',
    });
    const out = toStructural(z.object({ range: inner }));
    const range = (out.properties as Record<string, Record<string, unknown>>).range;
    expect(range?.default).toEqual({ lo: 1, hi: 2 });
    expect(range?.['x-kubernetes-validations']).toEqual([
      { rule: 'self.lo <= self.hi', message: 'lo must not exceed hi' },
    ]);
  });

  it('keeps list-type keywords and writes keys in a fixed order', () => {
    const out = toStructural(listMap(z.array(z.object({ name: str })).max(4), 'name').describe('Items.'));
    expect(Object.keys(out)).toEqual([
      'description',
      'type',
      'maxItems',
      'x-kubernetes-list-type',
      'x-kubernetes-list-map-keys',
      'items',
    ]);
  });

  it('gives the same output for the same schema', () => {
    const schema = z.object({ a: str.default('x'), b: z.array(z.int()).max(2) });
    expect(JSON.stringify(toStructural(schema))).toBe(JSON.stringify(toStructural(schema)));
  });

  it('refuses tuples, which OpenAPI 3.0 can only loosen into a list of a union', () => {
    expect(() => toStructural(z.object({ t: z.tuple([str, z.int()]) }))).toThrow(
      /tuples are not expressible/,
    );
  });

  it('refuses discriminated unions and unions of literals', () => {
    const kinds = z.discriminatedUnion('k', [
      z.object({ k: z.literal('x') }),
      z.object({ k: z.literal('y') }),
    ]);
    expect(() => toStructural(z.object({ d: kinds }))).toThrow(/d: unsupported schema keyword "oneOf"/);
    expect(() => toStructural(z.object({ n: z.union([z.literal(1), z.literal(2)]) }))).toThrow(/n: anyOf/);
  });

  it('keeps nullable and an explicit x-kubernetes-preserve-unknown-fields', () => {
    expect(toStructural(str.nullable())).toEqual({ type: 'string', nullable: true, maxLength: 10 });
    const raw = z.object({}).meta({ 'x-kubernetes-preserve-unknown-fields': true });
    expect(toStructural(raw)).toEqual({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  });

  it('refuses what JSON cannot carry', () => {
    expect(() => toStructural(z.object({ d: z.date() }))).toThrow(/Date cannot be represented/);
  });
});
