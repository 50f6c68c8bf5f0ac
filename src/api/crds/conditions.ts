import { z } from 'zod';
import { listMap } from './schema-helpers.js';

/**
 * metav1.Condition, field for field, so kubectl, Argo CD and `kubectl wait --for=condition=...`
 * read our conditions like any other.
 */
export const condition = z.object({
  type: z
    .string()
    .min(1)
    .max(316)
    .regex(
      /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/,
    )
    .describe('The aspect this condition reports, e.g. Ready or Accepted.'),
  status: z.enum(['True', 'False', 'Unknown']).describe('Whether the condition holds.'),
  reason: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
    .describe('A CamelCase word saying why, for programs.'),
  message: z.string().max(32768).describe('Why, for people.'),
  observedGeneration: z
    .int()
    .min(0)
    .optional()
    .describe('The metadata.generation this condition was computed from.'),
  // The API server checks the date-time format; zod's own datetime regex is not RE2 and would bloat the CRD.
  lastTransitionTime: z
    .string()
    .max(64)
    .meta({ format: 'date-time', description: 'When status last changed.' }),
});
export type Condition = z.infer<typeof condition>;

/** A list of conditions keyed by type, as Kubernetes API conventions ask. */
export const conditions = listMap(z.array(condition).max(16), 'type').describe(
  'The latest observations of the object, one per type.',
);
