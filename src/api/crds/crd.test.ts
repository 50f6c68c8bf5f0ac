import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type CrdDefinition, crdManifest, openApiSchema, resourceSchema } from './crd.js';

const def = {
  kind: 'Widget',
  plural: 'widgets',
  singular: 'widget',
  shortNames: ['wd'],
  scope: 'Namespaced',
  description: 'A widget.',
  spec: z.object({ size: z.int().min(1).default(1) }),
  status: z.object({ observedGeneration: z.int().optional() }),
  specRequired: true,
  rules: [{ rule: "self.metadata.name != 'bad'", message: 'not bad' }],
  printerColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size', description: 'Size.' }],
} satisfies CrdDefinition;

describe('crdManifest', () => {
  const crd = crdManifest(def) as {
    metadata: { name: string };
    spec: {
      group: string;
      names: Record<string, unknown>;
      scope: string;
      versions: { name: string; subresources: unknown; additionalPrinterColumns: unknown }[];
    };
  };

  it('names the CRD <plural>.<group> with short names and the trellis category', () => {
    expect(crd.metadata.name).toBe('widgets.trellis.dev');
    expect(crd.spec.names).toEqual({
      kind: 'Widget',
      listKind: 'WidgetList',
      plural: 'widgets',
      singular: 'widget',
      shortNames: ['wd'],
      categories: ['trellis'],
    });
    expect(crd.spec.scope).toBe('Namespaced');
  });

  it('serves one version, v1alpha1, with the status subresource and printer columns', () => {
    expect(crd.spec.versions).toHaveLength(1);
    expect(crd.spec.versions[0]?.name).toBe('v1alpha1');
    expect(crd.spec.versions[0]?.subresources).toEqual({ status: {} });
    expect(crd.spec.versions[0]?.additionalPrinterColumns).toEqual(def.printerColumns);
  });
});

describe('openApiSchema', () => {
  it('wraps spec and status in the Kubernetes envelope, with object-level rules at the root', () => {
    const schema = openApiSchema(def);
    expect(schema.required).toEqual(['spec']);
    expect(Object.keys(schema.properties as object)).toEqual([
      'apiVersion',
      'kind',
      'metadata',
      'spec',
      'status',
    ]);
    expect(schema['x-kubernetes-validations']).toEqual(def.rules);
  });

  it('does not require spec when every spec field has a default', () => {
    expect(openApiSchema({ ...def, specRequired: false }).required).toBeUndefined();
  });
});

describe('resourceSchema', () => {
  const widget = resourceSchema(def);
  it('parses an object as the API server returns it, keeping unknown metadata', () => {
    const parsed = widget.parse({
      apiVersion: 'trellis.dev/v1alpha1',
      kind: 'Widget',
      metadata: { name: 'w', namespace: 'n', generation: 2, labels: { a: 'b' } },
      spec: {},
    });
    expect(parsed.spec.size).toBe(1);
    expect(parsed.metadata.labels).toEqual({ a: 'b' });
  });

  it('refuses another kind', () => {
    const result = widget.safeParse({
      apiVersion: 'trellis.dev/v1alpha1',
      kind: 'Gadget',
      metadata: { name: 'g' },
      spec: {},
    });
    expect(result.success).toBe(false);
  });
});
