import { z } from 'zod';
import { conditions } from './conditions.js';

/** The status every policy kind shares: whether the operator put it into effect, and why not. */
export const policyStatus = z.object({
  observedGeneration: z
    .int()
    .min(0)
    .optional()
    .describe('The metadata.generation the operator last acted on.'),
  conditions: conditions
    .optional()
    .describe(
      'Accepted (the policy is valid and in effect) and ResolvedRefs (every service and subset it names exists).',
    ),
});
export type PolicyStatus = z.output<typeof policyStatus>;

/** Printer columns every policy kind shows after its own. */
export const policyColumns = [
  {
    name: 'Accepted',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Accepted")].status',
    description: 'Whether the policy is in effect.',
  },
  {
    name: 'Reason',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Accepted")].reason',
    description: 'Why, when it is not.',
    priority: 1,
  },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since creation.' },
] as const;
