import { z } from 'zod';
import { apiVersion, group } from '../names.js';
import type { CelRule } from './schema-helpers.js';
import { type SchemaProps, toStructural } from './structural.js';

export const version = apiVersion.split('/')[1] as string;

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
  /** 0 shows in `kubectl get`; 1 only with `-o wide`. */
  priority?: 0 | 1;
}

/** Everything that makes one CRD: its names, its zod schemas and how kubectl shows it. */
export interface CrdDefinition<Spec extends z.ZodType = z.ZodType, Status extends z.ZodType = z.ZodType> {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: 'Cluster' | 'Namespaced';
  /** What the kind is for; the CRD's description and the opening of its section in docs/crds.md. */
  description: string;
  spec: Spec;
  status: Status;
  /** A MeshConfig may omit spec (every field has a default); a policy must say what it wants. */
  specRequired: boolean;
  /** CEL rules on the whole object, where only metadata.name and metadata.generateName are visible. */
  rules?: CelRule[];
  printerColumns: PrinterColumn[];
}

/** Every Trellis kind is in the `trellis` category: `kubectl get trellis -A` lists them all. */
export const category = 'trellis';

/** The object's OpenAPI schema: Kubernetes's own envelope fields around our spec and status. */
export function openApiSchema(def: CrdDefinition): SchemaProps {
  const root: SchemaProps = {
    description: def.description,
    type: 'object',
    ...(def.specRequired ? { required: ['spec'] } : {}),
    properties: {
      apiVersion: { description: 'The versioned schema of this object.', type: 'string' },
      kind: { description: 'The REST resource this object represents.', type: 'string' },
      metadata: { type: 'object' },
      spec: toStructural(def.spec),
      status: toStructural(def.status),
    },
  };
  if (def.rules?.length) root['x-kubernetes-validations'] = def.rules;
  return root;
}

/** The CustomResourceDefinition object for one kind, ready to serialise. */
export function crdManifest(def: CrdDefinition): SchemaProps {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${def.plural}.${group}`,
      labels: { 'app.kubernetes.io/part-of': 'trellis' },
    },
    spec: {
      group,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: def.shortNames,
        categories: [category],
      },
      scope: def.scope,
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns,
          schema: { openAPIV3Schema: openApiSchema(def) },
        },
      ],
    },
  };
}

/** Object metadata as read from the API server; the fields reconcilers rely on, others kept. */
const objectMeta = z.looseObject({
  name: z.string(),
  namespace: z.string().optional(),
  generation: z.int().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
});

/** A zod schema for whole objects of one kind (as the API server returns them, defaults filled). */
export function resourceSchema<Spec extends z.ZodType, Status extends z.ZodType>(
  def: CrdDefinition<Spec, Status>,
) {
  return z.object({
    apiVersion: z.literal(apiVersion),
    kind: z.literal(def.kind),
    metadata: objectMeta,
    spec: def.spec,
    status: def.status.optional(),
  });
}
