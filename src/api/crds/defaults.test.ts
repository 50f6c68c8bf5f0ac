import { describe, expect, it } from 'vitest';
import { openApiSchema } from './crd.js';
import { examples } from './examples.js';
import { crds } from './index.js';
import { meshConfigCrd } from './mesh-config.js';
import type { SchemaProps } from './structural.js';

const isObject = (v: unknown): v is SchemaProps => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Structural defaulting as the API server does it: absent fields with a default get it, then recurse. */
function serverDefaults(value: unknown, node: SchemaProps): unknown {
  if (Array.isArray(value) && isObject(node.items)) {
    const items = node.items;
    return value.map((v) => serverDefaults(v, items));
  }
  if (!isObject(value)) return value;
  const out: SchemaProps = { ...value };
  if (isObject(node.properties)) {
    for (const [name, child] of Object.entries(node.properties)) {
      if (!isObject(child)) continue;
      if (out[name] === undefined && child.default !== undefined) out[name] = structuredClone(child.default);
      if (out[name] !== undefined) out[name] = serverDefaults(out[name], child);
    }
  }
  if (isObject(node.additionalProperties)) {
    const values = node.additionalProperties;
    for (const key of Object.keys(out)) out[key] = serverDefaults(out[key], values);
  }
  return out;
}

describe('the API server and zod fill the same defaults', () => {
  for (const def of crds) {
    it(`for the ${def.kind} example`, () => {
      const example = (examples as Record<string, unknown>)[def.kind];
      const spec = (openApiSchema(def).properties as SchemaProps).spec as SchemaProps;
      expect(serverDefaults(example, spec)).toEqual(def.spec.parse(example));
    });
  }

  it('for a MeshConfig without spec', () => {
    const spec = (openApiSchema(meshConfigCrd).properties as SchemaProps).spec as SchemaProps;
    expect(spec.default).toEqual(meshConfigCrd.spec.parse(undefined));
  });
});
