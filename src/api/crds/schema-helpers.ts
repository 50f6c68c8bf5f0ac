import { z } from 'zod';

/** One `x-kubernetes-validations` entry: a CEL rule the API server checks on create and update. */
export interface CelRule {
  rule: string;
  message: string;
  /** Where the error points, relative to the node that carries the rule (e.g. `.weight`). */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

type Meta = Record<string, unknown>;

function metaOf(schema: z.ZodType): Meta {
  return (schema.meta() as Meta | undefined) ?? {};
}

/** Adds CEL rules to a schema, keeping its description and any rules it already has. */
export function withRules<T extends z.ZodType>(schema: T, ...rules: CelRule[]): T {
  const meta = metaOf(schema);
  const existing = (meta['x-kubernetes-validations'] as CelRule[] | undefined) ?? [];
  return schema.meta({ ...meta, 'x-kubernetes-validations': [...existing, ...rules] });
}

/** Adds Kubernetes schema keywords (list types, maxProperties...) that zod has no method for. */
export function withKeywords<T extends z.ZodType>(schema: T, keywords: Meta): T {
  return schema.meta({ ...metaOf(schema), ...keywords });
}

/**
 * A list whose items are identified by `keys`: the API server refuses duplicates and server-side apply
 * merges items by key instead of replacing the list.
 */
export function listMap<T extends z.ZodArray>(schema: T, ...keys: string[]): T {
  return withKeywords(schema, { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': keys });
}

/** A list of unique scalars, merged by value under server-side apply. */
export function listSet<T extends z.ZodArray>(schema: T): T {
  return withKeywords(schema, { 'x-kubernetes-list-type': 'set' });
}

/**
 * A map from string to `value`, at most `max` entries. zod's record has no size check, so the bound is
 * both a schema keyword for the API server and a refinement for parsing here.
 */
export function boundedMap<V extends z.ZodType>(key: z.ZodString, value: V, max: number) {
  return withKeywords(
    z.record(key, value).refine((m) => Object.keys(m).length <= max, { message: `at most ${max} entries` }),
    { maxProperties: max },
  );
}

/**
 * Go duration text, the subset CEL's duration() and the proxy both parse: 250ms, 5s, 1m30s, 24h.
 * The API server checks the pattern; CEL rules compare parsed values.
 */
export const durationPattern = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
export const duration = z
  .string()
  .max(32)
  .regex(durationPattern)
  .meta({ description: 'A duration such as 250ms, 5s, 1m30s or 24h.' });

/** A resource quantity as Kubernetes writes it: an integer, or text such as 100m, 128Mi, 1.5. */
export const quantityPattern =
  /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;
export const quantity = z.union([z.int().min(0), z.string().max(64).regex(quantityPattern)]);

export const percent = z.number().min(0).max(100);

export const port = z.int().min(1).max(65535);

/** A Service's name: an RFC 1035 label, as the API server requires for Services. */
export const serviceName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);

/** A Kubernetes object name in the RFC 1123 subdomain form (namespaces are labels, a subset of it). */
export const namespaceName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);

/** A label key (optional DNS prefix, then a name) and value, as the API server accepts them on objects. */
const labelKey = z
  .string()
  .min(1)
  .max(317)
  .regex(
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
  );
const labelValue = z
  .string()
  .max(63)
  .regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/);
export const labels = boundedMap(labelKey, labelValue, 64);

/** Which pods a namespaced policy applies to; absent means every pod in the policy's namespace. */
export const workloadSelector = z
  .object({
    matchLabels: labels.describe('Pods whose labels include all of these are selected.'),
  })
  .describe('Pods this policy applies to, by label. Absent: every pod in the namespace.');

/** An HTTP header name (an RFC 9110 token). */
export const headerName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/);
