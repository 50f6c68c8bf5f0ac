import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import type { BatchRequest } from '../apps/loadgen-control.js';
import type { Tally } from './driver.js';
import { kubectl } from './kubectl.js';
import { loadgenControlPort, toYaml } from './sample.js';

/** Server-side applies objects (a YAML stream through kubectl) under the tests' field manager. */
export async function applyObjects(kubeconfig: string, objects: KubernetesObject[]): Promise<void> {
  await kubectl(
    kubeconfig,
    ['apply', '--server-side', '--force-conflicts', '--field-manager=trellis-e2e', '-f', '-'],
    { stdin: toYaml(objects) },
  );
}

/** Waits until every Deployment of the namespace has rolled out (new pods Ready, old ones gone). */
export async function waitRollouts(
  kubeconfig: string,
  namespace: string,
  timeoutSeconds = 300,
): Promise<void> {
  const names = (await kubectl(kubeconfig, ['-n', namespace, 'get', 'deployments', '-o', 'name']))
    .split('\n')
    .filter(Boolean);
  for (const name of names) {
    await kubectl(kubeconfig, ['-n', namespace, 'rollout', 'status', name, `--timeout=${timeoutSeconds}s`], {
      timeoutMs: timeoutSeconds * 1000 + 10_000,
    });
  }
}

/** The namespace's running pods (not being deleted), optionally by label selector. */
export async function runningPods(
  kubeconfig: string,
  namespace: string,
  selector?: string,
): Promise<V1Pod[]> {
  const args = ['-n', namespace, 'get', 'pods', '-o', 'json', ...(selector ? ['-l', selector] : [])];
  const list = JSON.parse(await kubectl(kubeconfig, args)) as { items: V1Pod[] };
  return list.items.filter(
    (p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp && p.status.podIP,
  );
}

/** Deletes a namespace and waits until it is gone (the node agent completes its pods' deletion). */
export async function deleteNamespace(
  kubeconfig: string,
  namespace: string,
  timeoutSeconds = 120,
): Promise<void> {
  await kubectl(
    kubeconfig,
    ['delete', 'namespace', namespace, '--ignore-not-found', `--timeout=${timeoutSeconds}s`],
    {
      timeoutMs: timeoutSeconds * 1000 + 10_000,
    },
  );
}

/**
 * Asks the namespace's meshed loadgen to send a batch (loadgen-control.ts):
 * the requests leave through the loadgen's proxy, as any meshed client's do.
 */
export async function loadgenBatch(
  kubeconfig: string,
  namespace: string,
  batch: Partial<BatchRequest> & Pick<BatchRequest, 'service' | 'count'>,
): Promise<Tally> {
  const [pod] = await runningPods(kubeconfig, namespace, 'app=loadgen');
  if (!pod) throw new Error(`no running loadgen pod in ${namespace}`);
  const res = await fetch(`http://${pod.status?.podIP}:${loadgenControlPort}/batch`, {
    method: 'POST',
    body: JSON.stringify(batch),
    signal: AbortSignal.timeout((batch.timeoutMs ?? 10_000) * (batch.count ?? 1) + 30_000),
  });
  const body = (await res.json()) as Tally | { error: string };
  if (!res.ok || 'error' in body) throw new Error(`loadgen /batch: ${res.status} ${JSON.stringify(body)}`);
  return body;
}
