import { describe, expect, it } from 'vitest';
import { openApiSchema } from './crd.js';
import { fieldRows, renderDocs } from './docs.js';
import { crds } from './index.js';
import type { SchemaProps } from './structural.js';

describe('docs/crds.md', () => {
  const rows = crds.flatMap((def) => {
    const props = openApiSchema(def).properties as Record<string, SchemaProps>;
    return [
      ...fieldRows(props.spec as SchemaProps, `${def.kind} spec`),
      ...fieldRows(props.status as SchemaProps, `${def.kind} status`),
    ];
  });

  it('describes every field', () => {
    expect(rows.filter((r) => r.description === '').map((r) => r.path)).toEqual([]);
  });

  it('lists every field with its default', () => {
    const text = renderDocs(crds);
    expect(text).toContain('| `spec.certificates.workload.duration` | duration | `"24h"` |');
    expect(text).toContain('| `spec.injector.replicas` | integer 1–10 | `2` |');
    expect(text).toContain('| `spec.rules[].retries.attempts` | integer 0–10 | `2` |');
  });

  it('marks required fields', () => {
    expect(renderDocs(crds)).toContain('| `spec.rules[].fault.delay.fixedDelay` | duration, **required** |');
  });

  it('shows a CEL rule next to the field it checks', () => {
    const row = rows.find((r) => r.path === 'TrafficRoute spec.rules[].destinations');
    expect(row?.description).toContain('Checked: weights must sum to 100');
  });

  it('has a section per kind', () => {
    const text = renderDocs(crds);
    for (const def of crds) expect(text).toContain(`## ${def.kind}\n`);
  });
});
