import { V1MicroTime, type V1Node } from '@kubernetes/client-node';
import { apiStatus, type Kube } from './kube.js';

export interface RegisteredNode {
  name: string;
  /** Stops the heartbeat and deletes the Node and its Lease. */
  remove: () => Promise<void>;
}

const leaseNamespace = 'kube-node-lease';
const leaseSeconds = 40;

/**
 * Registers a Node object as a kubelet would (Ready, with capacity) and keeps
 * its Lease renewed, so the real scheduler binds pods to it and the real
 * node-lifecycle controller keeps it schedulable. Nothing runs the pods.
 */
export async function registerNode(k: Kube, name: string): Promise<RegisteredNode> {
  const now = new Date();
  const resources = { cpu: '4', memory: '8Gi', pods: '110' };
  const node: V1Node = {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'registered by a Trellis test',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ],
      addresses: [{ type: 'Hostname', address: name }],
    },
  };
  // A Node's create keeps the status sent with it, as a kubelet's registration relies on.
  await k.core.createNode({ body: node });

  const renew = async () => {
    const spec = { holderIdentity: name, leaseDurationSeconds: leaseSeconds, renewTime: new V1MicroTime() };
    try {
      const lease = await k.coordination.readNamespacedLease({ name, namespace: leaseNamespace });
      await k.coordination.replaceNamespacedLease({
        name,
        namespace: leaseNamespace,
        body: { ...lease, spec: { ...lease.spec, ...spec } },
      });
    } catch (err) {
      if (apiStatus(err) !== 404) throw err;
      await k.coordination.createNamespacedLease({
        namespace: leaseNamespace,
        body: { metadata: { name, namespace: leaseNamespace }, spec },
      });
    }
  };
  await renew();
  const heartbeat = setInterval(() => {
    renew().catch(() => {
      // A missed beat is retried on the next tick; the lease outlives several.
    });
  }, 10_000);

  return {
    name,
    remove: async () => {
      clearInterval(heartbeat);
      await Promise.allSettled([
        k.core.deleteNode({ name }),
        k.coordination.deleteNamespacedLease({ name, namespace: leaseNamespace }),
      ]);
    },
  };
}
