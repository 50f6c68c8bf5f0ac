import { z } from 'zod';

/**
 * A Kubernetes structural OpenAPI v3 schema (JSONSchemaProps), as plain JSON.
 * Kept loose on purpose: it is data we build and check here, then write as YAML.
 */
export type SchemaProps = { [key: string]: unknown };

/** A schema construct Kubernetes refuses or that our rules forbid, with the path where it was found. */
export class StructuralError extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path || '(root)'}: ${problem}`);
    this.name = 'StructuralError';
  }
}

/** Formats the API server knows (k8s.io/kube-openapi's strfmt registry) and we use. */
const allowedFormats = new Set(['date-time', 'uri', 'ipv4', 'ipv6', 'cidr', 'int32', 'int64', 'byte']);

/**
 * The keys a structural schema may carry, in the order they are written, so the YAML reads top-down
 * the way people write it. Anything else zod might emit is refused rather than passed through.
 */
const keyOrder = [
  'description',
  'type',
  'format',
  'enum',
  'default',
  'nullable',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'anyOf',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'x-kubernetes-validations',
];
const allowedKeys = new Set(keyOrder);

const safeInt = Number.MAX_SAFE_INTEGER;

const isObject = (v: unknown): v is SchemaProps => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The structural schema of a zod schema: z.toJSONSchema() (input side, so defaulted fields are optional),
 * then rewritten into what the API server accepts. Refuses anything it cannot express faithfully, and
 * anything unbounded: every string needs a maxLength (or enum), every list a maxItems and every map a
 * maxProperties, because CEL's cost estimate multiplies through them and an unbounded one fails the CRD.
 */
export function toStructural(schema: z.ZodType): SchemaProps {
  const json = z.toJSONSchema(schema, {
    io: 'input',
    target: 'openapi-3.0',
    unrepresentable: 'throw',
    cycles: 'throw',
    reused: 'inline',
    override: ({ zodSchema, path }) => {
      // OpenAPI 3.0 has no tuples: zod writes one as a list of the union of its items, which would turn
      // [string, int] into a list of int-or-string. Refuse it rather than loosen it.
      if (zodSchema._zod.def.type === 'tuple')
        throw new StructuralError(path.join('.'), 'tuples are not expressible');
    },
  }) as SchemaProps;
  delete json.$schema;
  return normalise(json, '');
}

function normalise(node: SchemaProps, path: string): SchemaProps {
  if (Array.isArray(node.anyOf)) return intOrString(node, path);
  for (const key of Object.keys(node)) {
    if (!allowedKeys.has(key)) throw new StructuralError(path, `unsupported schema keyword "${key}"`);
  }
  const out: SchemaProps = { ...node };
  const preserve = out['x-kubernetes-preserve-unknown-fields'] === true;
  if (typeof out.type !== 'string' && !preserve) throw new StructuralError(path, 'every field needs a type');
  if (typeof out.format === 'string' && !allowedFormats.has(out.format)) {
    throw new StructuralError(path, `format "${out.format}" is not one the API server checks`);
  }
  if (out.type === 'integer') {
    // zod bounds every int by the safe-integer range; that is noise in a CRD.
    if (out.minimum === -safeInt) delete out.minimum;
    if (out.maximum === safeInt) delete out.maximum;
  }
  if (out.type === 'string' && out.maxLength === undefined && out.enum === undefined) {
    throw new StructuralError(path, 'string without maxLength (CEL cost and etcd size need a bound)');
  }
  if (out.type === 'array') {
    if (out.maxItems === undefined) throw new StructuralError(path, 'list without maxItems');
    if (!isObject(out.items)) throw new StructuralError(path, 'list without an item schema');
    out.items = normalise(out.items, `${path}[]`);
  }
  if (out.type === 'object') {
    normaliseObject(out, path);
    if (isObject(out.default)) out.default = withNestedDefaults(out.default, out);
  }
  return ordered(out);
}

/**
 * The API server validates a default as written, before nested defaults apply, so `default: {}` on an
 * object whose CEL rules read its defaulted fields fails. Writing the default with those fields filled
 * in, as the server would fill them, keeps the stored result identical and the CRD valid.
 */
function withNestedDefaults(value: SchemaProps, node: SchemaProps): SchemaProps {
  if (!isObject(node.properties)) return value;
  const out: SchemaProps = { ...value };
  for (const [name, child] of Object.entries(node.properties)) {
    if (!isObject(child)) continue;
    if (out[name] === undefined && child.default !== undefined) out[name] = structuredClone(child.default);
    if (isObject(out[name]) && child.type === 'object') out[name] = withNestedDefaults(out[name], child);
  }
  return out;
}

function normaliseObject(out: SchemaProps, path: string): void {
  if (out.additionalProperties === false) delete out.additionalProperties;
  if (out.additionalProperties === true) {
    throw new StructuralError(
      path,
      'untyped map values; mark intent with x-kubernetes-preserve-unknown-fields',
    );
  }
  if (isObject(out.additionalProperties)) {
    if (out.properties !== undefined && Object.keys(out.properties as object).length > 0) {
      throw new StructuralError(path, 'properties and additionalProperties are mutually exclusive');
    }
    if (out.required !== undefined) throw new StructuralError(path, 'a map cannot require keys');
    if (out.maxProperties === undefined) throw new StructuralError(path, 'map without maxProperties');
    delete out.properties;
    out.additionalProperties = normalise(out.additionalProperties, `${path}.*`);
    return;
  }
  const properties = isObject(out.properties) ? out.properties : {};
  if (Object.keys(properties).length === 0) {
    // Without preserve-unknown-fields an object with no fields prunes whatever is sent; that is right for
    // marker objects like `selfSigned: {}`, which is why this is allowed and not an error.
    delete out.properties;
    return;
  }
  const normalised: SchemaProps = {};
  for (const [name, child] of Object.entries(properties)) {
    if (!isObject(child)) throw new StructuralError(`${path}.${name}`, 'not a schema');
    normalised[name] = normalise(child, path ? `${path}.${name}` : name);
  }
  out.properties = normalised;
}

/**
 * z.union([z.int(), z.string()]) is the only anyOf we accept: it becomes x-kubernetes-int-or-string,
 * with the branches' type-specific checks (pattern, maxLength, minimum...) hoisted beside it, where
 * they apply only to values of their own type.
 */
function intOrString(node: SchemaProps, path: string): SchemaProps {
  const branches = node.anyOf as unknown[];
  const integer = branches.find((b) => isObject(b) && b.type === 'integer') as SchemaProps | undefined;
  const string = branches.find((b) => isObject(b) && b.type === 'string') as SchemaProps | undefined;
  if (branches.length !== 2 || !integer || !string) {
    throw new StructuralError(path, 'anyOf is only supported as an integer-or-string union');
  }
  const { type: _i, ...intChecks } = integer;
  const { type: _s, ...stringChecks } = string;
  const { anyOf: _a, ...rest } = node;
  if (stringChecks.maxLength === undefined) throw new StructuralError(path, 'string without maxLength');
  const merged: SchemaProps = {
    ...rest,
    ...intChecks,
    ...stringChecks,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    'x-kubernetes-int-or-string': true,
  };
  if (merged.minimum === -safeInt) delete merged.minimum;
  if (merged.maximum === safeInt) delete merged.maximum;
  for (const key of Object.keys(merged)) {
    if (!allowedKeys.has(key)) throw new StructuralError(path, `unsupported schema keyword "${key}"`);
  }
  return ordered(merged);
}

function ordered(node: SchemaProps): SchemaProps {
  const out: SchemaProps = {};
  for (const key of keyOrder) if (node[key] !== undefined) out[key] = node[key];
  return out;
}
