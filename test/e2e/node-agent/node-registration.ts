import {
  type CoordinationV1Api,
  type CoreV1Api,
  V1MicroTime,
  type V1Node,
  type V1Taint,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { apiCode } from './api-errors.js';

const leaseNamespace = 'kube-node-lease';
const leaseSeconds = 40;
const renewMs = 10_000;

export interface NodeRegistration {
  stop: () => Promise<void>;
}

/** The Node object a kubelet registers: Ready, with capacity and addresses. */
export function nodeObject(name: string, hostIP: string, taints: V1Taint[], now: Date): V1Node {
  const resources = { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  return {
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'trellis.dev/node-agent': 'true',
      },
    },
    spec: { taints },
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'Trellis node agent is posting ready status',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ],
      addresses: [
        { type: 'InternalIP', address: hostIP },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: {
        architecture: 'amd64',
        bootID: '',
        containerRuntimeVersion: 'trellis-node-agent://0.1.0',
        kernelVersion: '',
        kubeProxyVersion: '',
        kubeletVersion: 'v1.36.3',
        machineID: '',
        operatingSystem: 'linux',
        osImage: 'Trellis node agent',
        systemUUID: '',
      },
    },
  };
}

/**
 * Registers a Node (replacing the status of one left by an earlier run) and
 * renews its Lease every 10 s and its Ready heartbeat every minute, which is
 * what the node-lifecycle controller reads to keep it schedulable.
 */
export async function registerNode(
  core: CoreV1Api,
  coordination: CoordinationV1Api,
  name: string,
  hostIP: string,
  taints: V1Taint[],
  log: Logger,
): Promise<NodeRegistration> {
  const postStatus = async () => {
    const fresh = nodeObject(name, hostIP, taints, new Date());
    try {
      await core.createNode({ body: fresh });
    } catch (err) {
      if (apiCode(err) !== 409) throw err;
      const existing = await core.readNode({ name });
      await core.replaceNodeStatus({
        name,
        body: { ...existing, status: { ...existing.status, ...fresh.status } },
      });
    }
  };
  const renewLease = async () => {
    const spec = { holderIdentity: name, leaseDurationSeconds: leaseSeconds, renewTime: new V1MicroTime() };
    try {
      const lease = await coordination.readNamespacedLease({ name, namespace: leaseNamespace });
      await coordination.replaceNamespacedLease({
        name,
        namespace: leaseNamespace,
        body: { ...lease, spec: { ...lease.spec, ...spec } },
      });
    } catch (err) {
      if (apiCode(err) !== 404) throw err;
      await coordination.createNamespacedLease({
        namespace: leaseNamespace,
        body: { metadata: { name, namespace: leaseNamespace }, spec },
      });
    }
  };
  await postStatus();
  await renewLease();
  let beats = 0;
  const heartbeat = setInterval(() => {
    beats += 1;
    const work = beats % 6 === 0 ? postStatus().then(renewLease) : renewLease();
    // A missed beat is retried on the next tick; the lease outlives several.
    work.catch((err: unknown) => log.warn({ err, node: name }, 'node heartbeat failed'));
  }, renewMs);

  return {
    stop: async () => {
      clearInterval(heartbeat);
      await Promise.allSettled([
        core.deleteNode({ name }),
        coordination.deleteNamespacedLease({ name, namespace: leaseNamespace }),
      ]);
    },
  };
}
