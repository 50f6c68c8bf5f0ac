import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  type V1ConfigMap,
  type V1Pod,
  type V1Secret,
  type V1Service,
  type V1Taint,
} from '@kubernetes/client-node';
import pino, { type Logger } from 'pino';
import { createPodNetwork, type PodNetwork } from '../../support/netns.js';
import { type Forwarder, forwardApiServer } from './api-forwarder.js';
import type { ObjectData } from './env.js';
import { takeLock } from './lock.js';
import { Mirror } from './mirror.js';
import { type NodeRegistration, registerNode } from './node-registration.js';
import { PodWorker } from './pod-worker.js';

/** The bridge's host end: the nodes' InternalIP and the `kubernetes` Service address containers see. */
export const hostIP = '198.18.0.1';
export const apiServicePort = 443;
const stateDirPrefix = 'trellis-node-agent-';

export interface AgentOptions {
  kubeconfig: string;
  /** Node names to register; every pod the scheduler binds to one of them runs here. */
  nodes: string[];
  log?: Logger;
  /** Where pod directories and logs go; a fresh temporary directory by default, removed at stop. */
  stateDir?: string;
  /** Taints for the nodes, so only pods that tolerate them land here (tests share the cluster). */
  taints?: V1Taint[];
  /** Container restart back-off (the kubelet's is 10 s doubling to 5 min; tests want it short). */
  backoff?: { baseMs: number; maxMs: number };
}

export interface NodeAgent {
  nodes: string[];
  /** Container logs: `<stateDir>/logs/<namespace>_<pod>_<uid>/<container>/<restart>.log`. */
  logDir: (pod: V1Pod) => string;
  /** The network namespace a running pod's containers are in, by pod UID. */
  netnsOf: (uid: string) => string | undefined;
  /** Stops every pod's processes and removes the nodes, the network and the state directory. Pods stay in the API. */
  stop: () => Promise<void>;
}

const decode = (data: Record<string, string> | undefined) =>
  Object.fromEntries(
    Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );

/** Starts the agent: network, API forwarder, object caches, nodes, then the pod watches. */
export async function startAgent(opts: AgentOptions): Promise<NodeAgent> {
  const log = opts.log ?? pino({ name: 'node-agent' });
  const kc = new KubeConfig();
  kc.loadFromFile(opts.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const coordination = kc.makeApiClient(CoordinationV1Api);
  const server = new URL(kc.getCurrentCluster()?.server ?? '');
  const backoff = opts.backoff ?? { baseMs: 1_000, maxMs: 10_000 };
  const workers = new Map<string, PodWorker>();
  const netnsNames = new Map<string, string>();
  let podCount = 0;

  const release = takeLock(join(tmpdir(), 'trellis-node-agent.lock'));
  // Holding the lock, any other default state directory is a crashed run's.
  for (const name of await readdir(tmpdir())) {
    if (name.startsWith(stateDirPrefix)) await rm(join(tmpdir(), name), { recursive: true, force: true });
  }
  const stateDir = opts.stateDir ?? (await mkdtemp(join(tmpdir(), stateDirPrefix)));
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((err: unknown) => log.warn({ err }, 'cleanup step failed'));
    }
  };

  try {
    cleanups.push(async () => release());
    const network: PodNetwork = await createPodNetwork({
      name: 'nagent',
      subnet: '198.18.0.0/24',
      nodeAgent: true,
    });
    cleanups.push(() => network.destroy());
    const forwarder: Forwarder = await forwardApiServer(
      { host: hostIP, port: apiServicePort },
      { host: server.hostname, port: Number(server.port || 443) },
    );
    cleanups.push(() => forwarder.close());
    cleanups.push(() => rm(stateDir, { recursive: true, force: true }));

    const objectsChanged = (namespace: string | undefined) => {
      for (const w of workers.values()) if (w.namespace === namespace) w.objectsChanged();
    };
    const configMaps = new Mirror<V1ConfigMap>({
      kc,
      path: '/api/v1/configmaps',
      list: () => core.listConfigMapForAllNamespaces(),
      onEvent: (_, o) => objectsChanged(o.metadata?.namespace),
      log,
    });
    const secrets = new Mirror<V1Secret>({
      kc,
      path: '/api/v1/secrets',
      list: () => core.listSecretForAllNamespaces(),
      onEvent: (_, o) => objectsChanged(o.metadata?.namespace),
      log,
    });
    // For the service-link variables of containers that start later (no event to react to).
    const services = new Mirror<V1Service>({
      kc,
      path: '/api/v1/services',
      list: () => core.listServiceForAllNamespaces(),
      onEvent: () => undefined,
      log,
    });
    cleanups.push(async () => {
      configMaps.stop();
      secrets.stop();
      services.stop();
    });
    await Promise.all([configMaps.synced(), secrets.synced(), services.synced()]);
    const data: ObjectData = {
      configMap: (ns, name) => {
        const cm = configMaps.get(ns, name);
        return cm ? { ...cm.data, ...decode(cm.binaryData) } : undefined;
      },
      secret: (ns, name) => {
        const secret = secrets.get(ns, name);
        return secret ? decode(secret.data) : undefined;
      },
      services: (ns) => [...services.objects.values()].filter((s) => s.metadata?.namespace === ns),
    };

    const registrations: NodeRegistration[] = [];
    cleanups.push(async () => {
      await Promise.all(registrations.map((r) => r.stop()));
    });
    for (const node of opts.nodes)
      registrations.push(await registerNode(core, coordination, node, hostIP, opts.taints ?? [], log));

    // Stopping the agent stops what runs; the pods stay, as with a kubelet going away.
    cleanups.push(async () => {
      await Promise.all([...workers.values()].map((w) => w.terminate(2, true)));
    });

    const onPod = (event: string, pod: V1Pod) => {
      const uid = pod.metadata?.uid ?? '';
      let worker = workers.get(uid);
      if (event === 'deleted') {
        if (worker) void worker.terminate(0, true).finally(() => workers.delete(uid));
        return;
      }
      if (!worker) {
        if (pod.metadata?.deletionTimestamp) {
          // Never started here (an earlier run's): nothing to stop, only the deletion to complete.
          void core
            .deleteNamespacedPod({
              name: pod.metadata.name ?? '',
              namespace: pod.metadata.namespace ?? '',
              gracePeriodSeconds: 0,
            })
            .catch(() => undefined);
          return;
        }
        // A pod that already finished (before an agent restart) is not run again, as a kubelet does not.
        if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
        podCount += 1;
        const netnsName = `p${podCount.toString(36)}`;
        netnsNames.set(uid, `trellis-nagent-${netnsName}`);
        const id = `${pod.metadata?.namespace}_${pod.metadata?.name}_${uid}`;
        worker = new PodWorker(pod, {
          network,
          core,
          data,
          log: log.child({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}` }),
          podDir: join(stateDir, 'pods', uid),
          logDir: join(stateDir, 'logs', id),
          netnsName,
          hostIP,
          apiService: { host: hostIP, port: apiServicePort },
          backoff,
        });
        workers.set(uid, worker);
        worker.start();
        return;
      }
      worker.update(pod);
      if (pod.metadata?.deletionTimestamp) {
        const grace = pod.metadata.deletionGracePeriodSeconds ?? 30;
        worker.terminate(grace, false).catch((err: unknown) => log.warn({ err, uid }, 'pod teardown failed'));
      }
    };
    for (const node of opts.nodes) {
      const pods = new Mirror<V1Pod>({
        kc,
        path: '/api/v1/pods',
        fieldSelector: `spec.nodeName=${node}`,
        list: () => core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` }),
        onEvent: onPod,
        log,
      });
      // Before the workers' teardown in the reverse order of cleanups.
      cleanups.push(async () => pods.stop());
      await pods.synced();
    }
    // Resync: tokens are renewed and missed changes healed even without events.
    const resync = setInterval(() => {
      for (const w of workers.values()) w.objectsChanged();
    }, 30_000);
    cleanups.push(async () => clearInterval(resync));
  } catch (err) {
    await stop();
    throw err;
  }

  log.info({ nodes: opts.nodes, stateDir }, 'node agent started');
  return {
    nodes: opts.nodes,
    logDir: (pod) =>
      join(stateDir, 'logs', `${pod.metadata?.namespace}_${pod.metadata?.name}_${pod.metadata?.uid}`),
    netnsOf: (uid) => (workers.has(uid) ? netnsNames.get(uid) : undefined),
    stop,
  };
}
