import { stringify } from 'yaml';
import { apiVersion } from '../names.js';
import { type CrdDefinition, category, openApiSchema } from './crd.js';
import { examples } from './examples.js';
import { type CelRule, durationPattern, quantityPattern } from './schema-helpers.js';
import type { SchemaProps } from './structural.js';

/** One row of a field table. */
export interface FieldRow {
  path: string;
  type: string;
  default: string;
  description: string;
}

const isObject = (v: unknown): v is SchemaProps => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A field's type with its bounds, in words a reader scans quickly: `integer 1-10`, `string ≤ 63`. */
function describeType(node: SchemaProps): string {
  if (node.pattern === durationPattern.source) return 'duration';
  if (node.pattern === quantityPattern.source) return 'quantity';
  if (node['x-kubernetes-int-or-string'] === true) return 'integer or string';
  const type = String(node.type ?? 'object');
  if (Array.isArray(node.enum)) return `enum: ${node.enum.map((v) => `\`${String(v)}\``).join(', ')}`;
  if (type === 'integer' || type === 'number') {
    const min = node.minimum;
    const max = node.maximum;
    if (min !== undefined && max !== undefined) return `${type} ${min}–${max}`;
    if (min !== undefined) return `${type} ≥ ${min}`;
    return type;
  }
  if (type === 'array') {
    const items = isObject(node.items) ? node.items : {};
    const list =
      node['x-kubernetes-list-type'] === 'map'
        ? `, keyed by ${String(node['x-kubernetes-list-map-keys'])}`
        : '';
    return `list of ${describeType(items)} (≤ ${String(node.maxItems)}${list})`;
  }
  if (type === 'object' && isObject(node.additionalProperties)) {
    return `map of ${describeType(node.additionalProperties)} (≤ ${String(node.maxProperties)})`;
  }
  if (type === 'string' && node.maxLength !== undefined) return `string ≤ ${String(node.maxLength)}`;
  return type;
}

function describeRules(node: SchemaProps): string {
  const rules = node['x-kubernetes-validations'];
  if (!Array.isArray(rules) || rules.length === 0) return '';
  return ` Checked: ${(rules as CelRule[]).map((r) => `${r.message}.`).join(' ')}`;
}

/** Long object defaults are the sum of their fields' defaults, listed in the rows below. */
function describeDefault(value: unknown): string {
  if (value === undefined) return '';
  const json = JSON.stringify(value);
  return isObject(value) && json.length > 60 ? 'its fields’ defaults' : `\`${json}\``;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Every field under `node`, depth first, in schema order. */
export function fieldRows(node: SchemaProps, path: string): FieldRow[] {
  const rows: FieldRow[] = [];
  const required = Array.isArray(node.required) ? node.required : [];
  const visit = (child: SchemaProps, childPath: string, name: string) => {
    rows.push({
      path: childPath,
      type: `${describeType(child)}${required.includes(name) ? ', **required**' : ''}`,
      default: describeDefault(child.default),
      description: `${String(child.description ?? '')}${describeRules(child)}`.trim(),
    });
    rows.push(...fieldRows(child, childPath));
  };
  if (isObject(node.properties)) {
    for (const [name, child] of Object.entries(node.properties))
      if (isObject(child)) visit(child, `${path}.${name}`, name);
  }
  if (isObject(node.items)) rows.push(...fieldRows(node.items, `${path}[]`));
  if (isObject(node.additionalProperties))
    rows.push(...fieldRows(node.additionalProperties, `${path}.<key>`));
  return rows;
}

function exampleYaml(def: CrdDefinition): string {
  const spec = (examples as Record<string, unknown>)[def.kind];
  const metadata = def.scope === 'Cluster' ? { name: 'default' } : { name: 'reviews', namespace: 'shop' };
  return stringify({ apiVersion, kind: def.kind, metadata, spec }, { lineWidth: 0 });
}

function section(def: CrdDefinition): string {
  const schema = openApiSchema(def);
  const props = schema.properties as SchemaProps;
  const table = (root: string) => {
    const node = props[root] as SchemaProps;
    const rows = fieldRows(node, root);
    const head = `| Field | Type | Default | Meaning |\n|---|---|---|---|\n`;
    return (
      head +
      rows
        .map((r) => `| \`${r.path}\` | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`)
        .join('\n')
    );
  };
  const spec = props.spec as SchemaProps;
  const objectRules = [
    ...(def.rules ?? []),
    ...((spec['x-kubernetes-validations'] as CelRule[] | undefined) ?? []),
  ];
  return [
    `## ${def.kind}`,
    '',
    def.description,
    '',
    `\`${apiVersion}\`, ${def.scope === 'Cluster' ? 'cluster-scoped' : 'namespaced'}; \`kubectl get ${def.plural}\` or \`${def.shortNames.join('`, `')}\`; columns: ${def.printerColumns
      .filter((c) => !c.priority)
      .map((c) => c.name)
      .join(', ')}.${def.specRequired ? '' : ' `spec` may be omitted: every field has a default.'}`,
    '',
    ...(objectRules.length ? [`Object rules: ${objectRules.map((r) => `${r.message}.`).join(' ')}`, ''] : []),
    '```yaml',
    exampleYaml(def).trimEnd(),
    '```',
    '',
    '### spec',
    '',
    table('spec'),
    '',
    '### status',
    '',
    'Written by the operator through the status subresource.',
    '',
    table('status'),
    '',
  ].join('\n');
}

const intro = `# Trellis custom resources

<!-- Generated by \`npm run generate:crds\` from src/api/crds; do not edit. -->

Five kinds in \`${apiVersion}\`: one \`MeshConfig\` for the mesh, and four policy kinds that follow Istio's
semantics with names of their own. All are in the \`${category}\` category: \`kubectl get ${category} -A\` lists them.

Conventions:

- **Durations** are Go duration text: \`250ms\`, \`5s\`, \`1m30s\`, \`24h\`.
- **Quantities** are Kubernetes quantities: \`100m\`, \`128Mi\`, \`1\`.
- **Defaults** are filled in by the API server when the object is stored; \`kubectl get -o yaml\` shows them.
  A default on an object (\`{}\`) makes the server fill that object's own defaults.
- **Checked** rules are CEL rules the API server enforces on create and update; a refused object names the
  field and the rule's message.
- **Regular expressions** are RE2 (no look-around, no back-references).
- **YAML**: quote \`"on"\` and \`"off"\` (\`proxy.nativeSidecar\`); YAML 1.1 reads them unquoted as booleans.
- **Status** of every kind carries \`observedGeneration\` and \`conditions\` (metav1.Condition). Policies report
  \`Accepted\` (valid and in effect) and \`ResolvedRefs\` (every Service and subset named exists); MeshConfig
  reports \`Ready\`, \`Progressing\` and \`Degraded\`.
- **Bounds**: every string, list and map has a maximum size. The API server needs them to bound the cost of
  CEL rules; they are far above what a sane policy uses.

Coming from Istio:

| Istio | Trellis | Differences |
|---|---|---|
| VirtualService | TrafficRoute | One \`service\` in the route's namespace instead of \`hosts\`; \`rules\` instead of \`http\`; \`destinations\` name a service and subset directly; \`retryOn\` is a list, with status and gRPC codes in lists of their own; \`fault\`/\`mirror\` percentages are plain numbers; header changes under \`headers.request\`/\`headers.response\`; a rule may carry a local \`rateLimit\`. |
| DestinationRule | DestinationPolicy | One \`service\`; \`trafficPolicy\` fields sit at the top of \`spec\`; a subset's overrides are under \`policy\`; adds \`retryBudget\` and a local \`rateLimit\`; outlier detection has \`consecutiveConnectFailures\` in place of \`consecutiveLocalOriginFailures\` and \`panicThresholdPercent\` (default 50) in place of \`minHealthPercent\`. |
| PeerAuthentication | PeerAuthentication | \`portModes\` (a list keyed by port) instead of \`portLevelMtls\`; no \`UNSET\`: leave \`mode\` out to inherit. |
| AuthorizationPolicy | AuthorizationPolicy | \`ALLOW\` and \`DENY\` only; principals are full SPIFFE IDs (\`spiffe://...\`) with \`*\` at one end; \`from\` and \`to\` items hold their fields directly (no \`source\`/\`operation\` wrapper); no \`when\` conditions. |
| MeshConfig (istio ConfigMap / IstioOperator) | MeshConfig | A cluster-scoped custom resource named \`default\`, reconciled by the operator. |
`;

/** docs/crds.md: every field of every kind, its type, default and meaning, from the schemas themselves. */
export function renderDocs(defs: readonly CrdDefinition[]): string {
  return [intro, ...defs.map(section)].join('\n');
}
