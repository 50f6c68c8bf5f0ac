import { z } from 'zod';
import { type CrdDefinition, resourceSchema } from './crd.js';
import { policyColumns, policyStatus } from './policy-status.js';
import { namespaceName, port, withRules, workloadSelector } from './schema-helpers.js';

/** Exact text, `prefix*`, `*suffix`, or `*` (present). */
const wildcard = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^(\*|\*[^*]+|[^*]+\*?)$/);

const values = <T extends z.ZodType>(item: T, description: string) =>
  z.array(item).max(32).optional().describe(description);

/** CEL: at least one of the lists `names` is set and not empty. */
const anySet = (names: string[]) => names.map((n) => `(has(self.${n}) && self.${n}.size() > 0)`).join(' || ');

const sourceFields = ['principals', 'notPrincipals', 'namespaces', 'notNamespaces'];
const source = withRules(
  z
    .object({
      principals: values(
        wildcard(512),
        'Caller SPIFFE IDs, e.g. spiffe://cluster.local/ns/shop/sa/frontend or spiffe://cluster.local/ns/shop/*. Needs mTLS.',
      ),
      notPrincipals: values(wildcard(512), 'Caller SPIFFE IDs that do not match.'),
      namespaces: values(namespaceName, "Callers' namespaces (from their SPIFFE IDs)."),
      notNamespaces: values(namespaceName, 'Caller namespaces that do not match.'),
    })
    .describe('Who calls. All fields set must hold; within a field, any value matches.'),
  { rule: anySet(sourceFields), message: `set at least one of ${sourceFields.join(', ')}` },
);

const methodName = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[A-Z]+$/);
const path = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^(\*|\*[^*]+|\/[^*]*\*?)$/);
const operationFields = ['methods', 'notMethods', 'paths', 'notPaths', 'ports', 'notPorts'];
const operation = withRules(
  z
    .object({
      methods: values(methodName, 'HTTP methods, e.g. GET. HTTP only.'),
      notMethods: values(methodName, 'HTTP methods that do not match.'),
      paths: values(path, 'Request paths, exact or with a * prefix or suffix (e.g. /api/*). HTTP only.'),
      notPaths: values(path, 'Request paths that do not match.'),
      ports: values(port, "The workload's destination ports."),
      notPorts: values(port, 'Destination ports that do not match.'),
    })
    .describe('What is called. All fields set must hold; within a field, any value matches.'),
  { rule: anySet(operationFields), message: `set at least one of ${operationFields.join(', ')}` },
);

const rule = z
  .object({
    from: z.array(source).max(16).optional().describe('Any source matches. Absent: any caller.'),
    to: z.array(operation).max(16).optional().describe('Any operation matches. Absent: any request.'),
  })
  .describe('Matches when from and to both match. An empty rule matches every request.');

export const authorizationPolicySpec = z.object({
  selector: workloadSelector.optional(),
  action: z
    .enum(['ALLOW', 'DENY'])
    .default('ALLOW')
    .describe(
      'DENY refuses matching requests and wins over ALLOW. Once any ALLOW policy selects a workload, requests no ALLOW rule matches are refused (403 for HTTP, connection closed for TCP).',
    ),
  rules: z
    .array(rule)
    .max(64)
    .optional()
    .describe(
      'Any rule matches. Absent or empty: the policy matches nothing (an ALLOW policy then denies all).',
    ),
});
export type AuthorizationPolicySpec = z.output<typeof authorizationPolicySpec>;
export type AuthorizationPolicySpecInput = z.input<typeof authorizationPolicySpec>;

export const authorizationPolicyCrd = {
  kind: 'AuthorizationPolicy',
  plural: 'authorizationpolicies',
  singular: 'authorizationpolicy',
  shortNames: ['ap'],
  scope: 'Namespaced',
  description:
    "AuthorizationPolicy allows or denies requests to workloads by caller identity, namespace, method, path and port (Istio's AuthorizationPolicy). Kubelet probes are always allowed.",
  spec: authorizationPolicySpec,
  status: policyStatus,
  specRequired: true,
  printerColumns: [
    { name: 'Action', type: 'string', jsonPath: '.spec.action', description: 'ALLOW or DENY.' },
    ...policyColumns,
  ],
} satisfies CrdDefinition<typeof authorizationPolicySpec, typeof policyStatus>;

/** A whole AuthorizationPolicy as the API server returns it, defaults filled. */
export const authorizationPolicy = resourceSchema(authorizationPolicyCrd);
export type AuthorizationPolicy = z.output<typeof authorizationPolicy>;
