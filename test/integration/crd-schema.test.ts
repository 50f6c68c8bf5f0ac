import { describe, expect } from 'vitest';
import { apiMessage, apiStatus, eventually } from '../support/kube.js';
import { test } from '../support/namespace.js';

const group = 'schema.test.trellis.dev';

describe('the API server enforces a CRD schema', () => {
  test('accepts a valid object and rejects one that breaks the schema', async ({ kube, ns }) => {
    // Names of their own: tests run in parallel and a CRD is cluster-wide.
    const suffix = ns.replace(/-/g, '');
    const plural = `widgets${suffix}`;
    const kind = `Widget${suffix}`;
    const crdName = `${plural}.${group}`;
    await kube.crds.createCustomResourceDefinition({
      body: {
        metadata: { name: crdName },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural, singular: `widget${suffix}`, kind },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: {
                      type: 'object',
                      required: ['size'],
                      properties: { size: { type: 'integer', minimum: 1 } },
                    },
                  },
                },
              },
            },
          ],
        },
      },
    });
    try {
      await eventually(`CRD ${crdName} Established`, async () => {
        const crd = await kube.crds.readCustomResourceDefinition({ name: crdName });
        return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
          ? true
          : undefined;
      });
      const create = (spec: object) =>
        kube.custom.createNamespacedCustomObject({
          group,
          version: 'v1',
          namespace: ns,
          plural,
          body: { apiVersion: `${group}/v1`, kind, metadata: { name: 'w' }, spec },
        });

      const invalid = await create({ size: 0 }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(apiStatus(invalid)).toBe(422);
      expect(apiMessage(invalid)).toContain(
        'spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1',
      );

      const missing = await create({}).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(apiStatus(missing)).toBe(422);
      expect(apiMessage(missing)).toContain('spec.size: Required value');

      // The CRD may take a moment to serve after Established; a valid object must then be stored as sent.
      const stored = await eventually('a valid Widget to be created', async () => create({ size: 3 }));
      expect((stored as { spec: { size: number } }).spec.size).toBe(3);
    } finally {
      await kube.crds.deleteCustomResourceDefinition({ name: crdName });
    }
  });
});
