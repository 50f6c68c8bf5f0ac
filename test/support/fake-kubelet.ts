import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { apiStatus, type Kube } from './kube.js';

/**
 * The kubelet's part, which no process plays in the dev cluster: every `intervalMs`, reports the
 * namespace's pods Running and Ready through the status subresource, so that the ReplicaSet,
 * Deployment and StatefulSet controllers count them available as they would on a node.
 */
export interface FakeKubelet {
  intervalMs: number;
  /** Only the pods this label selector picks. */
  labelSelector?: string;
  /** Only pods bound to a node (as a kubelet sees only its own). */
  boundOnly?: boolean;
  /** Finish terminating pods' deletion, as a kubelet confirms it once the containers stopped. */
  finishDeletions?: boolean;
  /** Pods to keep unready. */
  hold?: (pod: V1Pod) => boolean;
}

/** Deleted between list and write: a rollout replaces pods. */
export const ignoreGone = (err: unknown) => {
  if (apiStatus(err) !== 404) throw err;
};

/** Starts the loop (at most 3,000 rounds); the returned function stops it and waits for the round in flight. */
export function keepPodsReady(k: Kube, ns: string, opts: FakeKubelet): () => Promise<void> {
  let running = true;
  const loop = (async () => {
    for (let i = 0; running && i < 3000; i++) {
      const pods = await k.core.listNamespacedPod({ namespace: ns, labelSelector: opts.labelSelector });
      for (const pod of pods.items) {
        const name = pod.metadata?.name ?? '';
        if (pod.metadata?.deletionTimestamp) {
          if (opts.finishDeletions) {
            await k.core
              .deleteNamespacedPod({ name, namespace: ns, gracePeriodSeconds: 0 })
              .catch(ignoreGone);
          }
          continue;
        }
        if (opts.boundOnly && !pod.spec?.nodeName) continue;
        if (opts.hold?.(pod)) continue;
        if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
        const now = new Date();
        await k.core
          .patchNamespacedPodStatus(
            {
              name,
              namespace: ns,
              body: {
                status: {
                  phase: 'Running',
                  conditions: [
                    { type: 'Ready', status: 'True', lastTransitionTime: now },
                    { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
                  ],
                },
              },
            },
            setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
          )
          .catch(ignoreGone);
      }
      await new Promise((r) => setTimeout(r, opts.intervalMs));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}
