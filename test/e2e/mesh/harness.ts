import type { KubernetesObject } from '@kubernetes/client-node';
import pino from 'pino';
import { type NodeAgent, startAgent } from '../node-agent/agent.js';
import { applyObjects, deleteNamespace, waitRollouts } from './deploy.js';
import { type InstallOptions, installTrellis, uninstallTrellis } from './install.js';

/**
 * One installed mesh for a scenario file: the node agent (one untainted node,
 * so the operator's and the injector's pods, which carry no toleration, land
 * on it), Trellis installed from config/, and the namespaces the file made.
 * `stop` removes all of it in the order that lets each step finish: sample
 * namespaces while the agent still completes pod deletions, then the mesh
 * while the operator still runs its uninstall finalizer, then the agent.
 */
export interface Mesh {
  kubeconfig: string;
  agent: NodeAgent;
  /** Applies objects and, when `rollout` is set, waits for the namespace's Deployments. */
  deploy: (objects: KubernetesObject[], rollout?: string) => Promise<void>;
  /** Marks a namespace for removal at stop. */
  owns: (namespace: string) => void;
  stop: () => Promise<void>;
}

export const meshNode = 'trellis-mesh-e2e';

export async function startMesh(kubeconfig: string, install: InstallOptions = {}): Promise<Mesh> {
  const log = (line: string) => console.log(`[mesh] ${line}`);
  const agent = await startAgent({
    kubeconfig,
    nodes: [meshNode],
    log: pino({ name: 'node-agent', level: 'warn' }),
    backoff: { baseMs: 500, maxMs: 5_000 },
  });
  const namespaces = new Set<string>();
  const stop = async () => {
    for (const ns of namespaces)
      await deleteNamespace(kubeconfig, ns).catch((err: unknown) => log(String(err)));
    await uninstallTrellis(kubeconfig, log);
    await agent.stop();
  };
  try {
    await installTrellis(kubeconfig, { log, ...install });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    kubeconfig,
    agent,
    deploy: async (objects, rollout) => {
      for (const o of objects)
        if (o.kind === 'Namespace' && o.metadata?.name) namespaces.add(o.metadata.name);
      await applyObjects(kubeconfig, objects);
      if (rollout) await waitRollouts(kubeconfig, rollout);
    },
    owns: (ns) => namespaces.add(ns),
    stop,
  };
}
