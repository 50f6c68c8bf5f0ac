import { pino } from 'pino';
import { clusterConfig } from '../../devcluster/config.js';
import { registerNode as registerAgentNode } from '../e2e/node-agent/node-registration.js';
import type { Kube } from './kube.js';

export interface RegisteredNode {
  name: string;
  /** Stops the heartbeat and deletes the Node and its Lease. */
  remove: () => Promise<void>;
}

/**
 * Registers a Node object as a kubelet would (Ready, with capacity) and keeps
 * its Lease renewed, so the real scheduler binds pods to it and the real
 * node-lifecycle controller keeps it schedulable. The node agent's own
 * registration, without the agent: nothing runs the pods.
 */
export async function registerNode(k: Kube, name: string): Promise<RegisteredNode> {
  const log = pino({ name: 'test-node', level: 'warn' });
  const registration = await registerAgentNode(
    k.core,
    k.coordination,
    name,
    clusterConfig.podGateway,
    [],
    log,
  );
  return { name, remove: registration.stop };
}
