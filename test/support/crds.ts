import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../devcluster/paths.js';
import { crds } from '../../src/api/crds/index.js';
import { crdFileName } from '../../src/api/crds/render.js';
import { group } from '../../src/api/names.js';
import { eventually, type Kube, rawRequest } from './kube.js';

/**
 * The cluster may predate config/crd/ (cluster:up applies it only at start): apply the committed CRDs
 * (idempotent, with cluster:up's field manager so neither fights the other) and wait until they are served.
 */
export async function applyTrellisCrds(k: Kube): Promise<void> {
  for (const def of crds) {
    const crd = parse(readFileSync(join(repoRoot, 'config/crd', crdFileName(def)), 'utf8')) as {
      metadata: { name: string };
    };
    await rawRequest(
      k.kc,
      'PATCH',
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}?fieldManager=trellis-devcluster&force=true`,
      { 'content-type': 'application/apply-patch+yaml' },
      crd,
    );
  }
  for (const def of crds) {
    await eventually(`CRD ${def.plural}.${group} Established`, async () => {
      const crd = await k.crds.readCustomResourceDefinition({ name: `${def.plural}.${group}` });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
        ? true
        : undefined;
    });
  }
}
