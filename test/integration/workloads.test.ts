import { randomBytes } from 'node:crypto';
import { describe, expect } from 'vitest';
import { eventually } from '../support/kube.js';
import { test } from '../support/namespace.js';
import { registerNode } from '../support/node.js';

describe('the controller-manager and scheduler run workloads', () => {
  test('a Deployment becomes a ReplicaSet and Pods bound to a registered Node', async ({ kube, ns }) => {
    const node = await registerNode(kube, `t-node-${randomBytes(4).toString('hex')}`);
    try {
      const labels = { app: 'web' };
      const deployment = await kube.apps.createNamespacedDeployment({
        namespace: ns,
        body: {
          metadata: { name: 'web' },
          spec: {
            replicas: 2,
            selector: { matchLabels: labels },
            template: {
              metadata: { labels },
              spec: {
                // Only our node: tests running beside this one register nodes of their own.
                nodeSelector: { 'kubernetes.io/hostname': node.name },
                containers: [{ name: 'web', image: 'trellis.invalid/web:1' }],
              },
            },
          },
        },
      });

      const replicaSet = await eventually('the Deployment to own a ReplicaSet', async () => {
        const list = await kube.apps.listNamespacedReplicaSet({ namespace: ns });
        return list.items.find((rs) => rs.metadata?.ownerReferences?.[0]?.uid === deployment.metadata?.uid);
      });
      expect(replicaSet.spec?.replicas).toBe(2);

      const pods = await eventually('two Pods bound to the registered Node', async () => {
        const list = await kube.core.listNamespacedPod({ namespace: ns });
        const bound = list.items.filter((p) => p.spec?.nodeName === node.name);
        return bound.length === 2 ? bound : undefined;
      });
      for (const pod of pods) {
        expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({
          kind: 'ReplicaSet',
          uid: replicaSet.metadata?.uid,
        });
        expect(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
      }
    } finally {
      await node.remove();
    }
  });
});
