import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DiscoveryV1Api, type V1Container, type V1Pod } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { toInitArgs } from '../../src/api/init-options.js';
import { apiStatus, eventually, type Kube, kube } from '../support/kube.js';
import { createTestNamespace, deleteNamespace } from '../support/namespace.js';
import { type NodeAgent, startAgent } from './node-agent/agent.js';

// Two nodes, tainted so that only these tests' pods (which tolerate it) land on them: the cluster is shared.
const nodes = ['trellis-e2e-agent-1', 'trellis-e2e-agent-2'];
const taint = { key: 'trellis.dev/e2e-agent', value: 'true', effect: 'NoSchedule' };
const tolerations = [{ key: taint.key, operator: 'Equal', value: taint.value, effect: taint.effect }];
const placement = { nodeSelector: { 'trellis.dev/node-agent': 'true' }, tolerations };
const onSecondNode = { nodeSelector: { 'kubernetes.io/hostname': nodes[1] ?? '' }, tolerations };
const labels = { app: 'web' };

const get = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const namespaces = () =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0]);

const app: V1Container = {
  name: 'web',
  image: 'trellis-e2e/http-app:1.0',
  ports: [{ name: 'http', containerPort: 8080 }],
  securityContext: { runAsUser: 1000, runAsGroup: 1000 },
  env: [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    { name: 'VERSION', valueFrom: { configMapKeyRef: { name: 'web', key: 'version' } } },
  ],
  volumeMounts: [{ name: 'config', mountPath: '/etc/trellis-e2e/config', readOnly: true }],
  // A slow start on a loaded machine is the startup probe's to wait out, not the liveness probe's.
  startupProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1, failureThreshold: 120 },
  // Generous timeouts: a loaded machine answers slowly, and only a 500 should fail these.
  readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1, timeoutSeconds: 5 },
  livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1, timeoutSeconds: 5 },
};

describe('the node agent', () => {
  let k: Kube;
  let ns: string;
  let agent: NodeAgent;

  const pods = async () =>
    (await k.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items.filter(
      (p) => !p.metadata?.deletionTimestamp,
    );
  const readyPods = async () => {
    const all = await pods();
    const ready = all.filter((p) =>
      p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    return ready.length === 2 && all.length === 2 ? ready : undefined;
  };

  beforeAll(async () => {
    k = kube();
    agent = await startAgent({
      kubeconfig: inject('kubeconfig'),
      nodes,
      taints: [taint],
      log: pino({ level: 'warn' }),
      backoff: { baseMs: 500, maxMs: 5_000 },
    });
    ns = await createTestNamespace(k, 'agent');
    await k.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'web' }, data: { version: 'v7', greeting: 'hello' } },
    });
    await k.core.createNamespacedService({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: { selector: labels, ports: [{ port: 80, targetPort: 'http' }] },
      },
    });
    await k.apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              ...placement,
              terminationGracePeriodSeconds: 5,
              containers: [app],
              volumes: [{ name: 'config', configMap: { name: 'web' } }],
            },
          },
        },
      },
    });
  });

  afterAll(async () => {
    if (ns) {
      await deleteNamespace(k, ns);
      // The agent completes the pods' deletion; the namespace goes once they have.
      await eventually(`namespace ${ns} gone`, async () => {
        try {
          await k.core.readNamespace({ name: ns });
          return undefined;
        } catch (err) {
          return apiStatus(err) === 404 ? true : undefined;
        }
      }).catch(() => undefined);
    }
    await agent?.stop();
  });

  it('runs a Deployment: Ready pods on the bridge, the Deployment Available, both in the EndpointSlice', async () => {
    const ready = await eventually('two Ready pods', readyPods, 120_000);
    for (const pod of ready) {
      expect(nodes).toContain(pod.spec?.nodeName);
      expect(pod.status?.podIP).toMatch(/^198\.18\.0\.\d+$/);
      expect(pod.status?.containerStatuses?.[0]).toMatchObject({ name: 'web', ready: true, started: true });
      const { body } = await get(`http://${pod.status?.podIP}:8080/`);
      // The environment: downward API and a ConfigMap key; the process runs as the pod's user.
      expect(body).toEqual({
        pod: pod.metadata?.name,
        ip: pod.status?.podIP,
        version: 'v7',
        uid: 1000,
        gid: 1000,
      });
    }
    await eventually('Deployment Available', async () => {
      const d = await k.apps.readNamespacedDeployment({ name: 'web', namespace: ns });
      const available = d.status?.conditions?.find((c) => c.type === 'Available')?.status === 'True';
      return available && d.status?.availableReplicas === 2 ? d : undefined;
    });
    for (const name of nodes) {
      const n = await k.core.readNode({ name });
      expect(n.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      const lease = await k.coordination.readNamespacedLease({ name, namespace: 'kube-node-lease' });
      expect(lease.spec?.holderIdentity).toBe(name);
    }
    const addresses = await eventually('EndpointSlice with both pods ready', async () => {
      const slices = await k.kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({
        namespace: ns,
        labelSelector: 'kubernetes.io/service-name=web',
      });
      const ready = slices.items
        .flatMap((s) => s.endpoints)
        .filter((e) => e.conditions?.ready)
        .flatMap((e) => e.addresses);
      return ready.length === 2 ? ready.sort() : undefined;
    });
    expect(addresses).toEqual(ready.map((p) => p.status?.podIP).sort());
    // The API server reaches pod IPs over the bridge too (as it calls webhooks): its Service proxy answers.
    const proxied = await eventually('an answer through the API server', async () =>
      k.core.connectGetNamespacedServiceProxy({ name: 'web', namespace: ns }),
    );
    // Typed as a string, but client-node parses a JSON answer.
    const answer: unknown = typeof proxied === 'string' ? JSON.parse(proxied) : proxied;
    expect(answer).toMatchObject({ version: 'v7' });
  });

  it('mounts volumes at their paths and swaps a changed ConfigMap in place', async () => {
    const [pod] = await eventually('two Ready pods', readyPods);
    const file = (path: string) =>
      get(`http://${pod?.status?.podIP}:8080/file?path=${encodeURIComponent(path)}`);
    expect((await file('/etc/trellis-e2e/config/greeting')).body).toEqual({ content: 'hello' });
    // The projected service-account token the ServiceAccount admission added, from the TokenRequest API.
    const token = (await file('/var/run/secrets/kubernetes.io/serviceaccount/token')).body.content;
    expect(String(token).split('.')).toHaveLength(3);
    expect((await file('/var/run/secrets/kubernetes.io/serviceaccount/namespace')).body).toEqual({
      content: ns,
    });
    // The token, the CA and KUBERNETES_SERVICE_HOST/PORT work as in a cluster: 198.18.0.1:443 reaches the API server.
    const { body: who } = await get(`http://${pod?.status?.podIP}:8080/whoami`);
    expect(who).toEqual({ user: `system:serviceaccount:${ns}:default` });

    await k.core.patchNamespacedConfigMap({
      name: 'web',
      namespace: ns,
      body: [{ op: 'replace', path: '/data/greeting', value: 'bonjour' }],
    });
    await eventually('the new greeting in the mounted file', async () => {
      const { body } = await file('/etc/trellis-e2e/config/greeting');
      return body.content === 'bonjour' ? true : undefined;
    });
  });

  it('restarts a container whose liveness probe fails', async () => {
    const [pod] = await eventually('two Ready pods', readyPods);
    const name = pod?.metadata?.name ?? '';
    const before = pod?.status?.containerStatuses?.[0]?.restartCount ?? 0;
    await get(`http://${pod?.status?.podIP}:8080/sick`, { method: 'POST' });
    const restarted = await eventually('a restart after the liveness failures', async () => {
      const p = await k.core.readNamespacedPod({ name, namespace: ns });
      const status = p.status?.containerStatuses?.[0];
      return (status?.restartCount ?? 0) > before && status?.ready ? p : undefined;
    });
    expect(restarted.status?.containerStatuses?.[0]?.lastState?.terminated).toBeDefined();
    expect((await get(`http://${restarted.status?.podIP}:8080/healthz`)).status).toBe(200);
  });

  it('stops a deleted pod with SIGTERM and removes its network namespace', async () => {
    const [, pod] = await eventually('two Ready pods', readyPods);
    const { name = '', uid = '' } = pod?.metadata ?? {};
    const netns = agent.netnsOf(uid);
    expect(netns).toBeDefined();
    expect(namespaces()).toContain(netns);
    await k.core.deleteNamespacedPod({ name, namespace: ns });
    await eventually(`pod ${name} gone`, async () => {
      try {
        await k.core.readNamespacedPod({ name, namespace: ns });
        return undefined;
      } catch (err) {
        return apiStatus(err) === 404 ? true : undefined;
      }
    });
    expect(namespaces()).not.toContain(netns);
    // The last run's log: `<restart>.log`.
    const logs = join(agent.logDir(pod as V1Pod), 'web');
    const last = Math.max(...readdirSync(logs).map((name) => Number.parseInt(name, 10)));
    const log = readFileSync(join(logs, `${last}.log`), 'utf8');
    expect(log).toContain('SIGTERM received');
    // The ReplicaSet replaces it, and the replacement runs here too.
    await eventually('two Ready pods again', readyPods, 120_000);
  });

  it('runs init containers in order with a native sidecar kept running, then the container', async () => {
    await k.core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'staged' }, stringData: { key: 'k3y' } },
    });
    const work = { name: 'work', mountPath: '/var/lib/trellis-e2e-work' };
    const step = (name: string): V1Container => ({
      name,
      image: 'trellis-e2e/http-app',
      command: ['sh', '-c', `echo ${name} >> ${work.mountPath}/order`],
      volumeMounts: [work],
    });
    await k.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'staged', labels: { role: 'staged' } },
        spec: {
          ...onSecondNode,
          terminationGracePeriodSeconds: 2,
          initContainers: [
            step('first'),
            {
              name: 'sidecar',
              image: 'trellis-e2e/http-app',
              restartPolicy: 'Always',
              env: [
                { name: 'PORT', value: '8081' },
                { name: 'GRPC_PORT', value: '8082' },
              ],
              startupProbe: {
                grpc: { port: 8082 },
                periodSeconds: 1,
                timeoutSeconds: 5,
                failureThreshold: 120,
              },
              readinessProbe: { httpGet: { path: '/healthz', port: 8081 }, periodSeconds: 1 },
            },
            step('second'),
          ],
          containers: [
            {
              ...app,
              env: [{ name: 'VERSION', valueFrom: { secretKeyRef: { name: 'staged', key: 'key' } } }],
              // An exec probe sees the container's own mounts: the file exists nowhere else.
              readinessProbe: {
                exec: { command: ['sh', '-c', 'test "$(cat /etc/trellis-e2e/secret/key)" = k3y'] },
                periodSeconds: 1,
                timeoutSeconds: 5,
              },
              volumeMounts: [
                work,
                { name: 'info', mountPath: '/etc/trellis-e2e/info' },
                { name: 'secret', mountPath: '/etc/trellis-e2e/secret' },
              ],
            },
          ],
          volumes: [
            { name: 'work', emptyDir: {} },
            {
              name: 'info',
              downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] },
            },
            { name: 'secret', secret: { secretName: 'staged' } },
          ],
        },
      },
    });
    const pod = await eventually(
      'the staged pod Ready',
      async () => {
        const p = await k.core.readNamespacedPod({ name: 'staged', namespace: ns });
        return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : undefined;
      },
      120_000,
    );
    // Run by the agent for the second node: every node's pods are watched.
    expect(pod.spec?.nodeName).toBe(nodes[1]);
    const init = Object.fromEntries((pod.status?.initContainerStatuses ?? []).map((c) => [c.name, c]));
    expect(init.first?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(init.second?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(init.sidecar).toMatchObject({ ready: true, started: true, state: { running: expect.anything() } });
    const ip = pod.status?.podIP;
    const file = async (path: string) => (await get(`http://${ip}:8080/file?path=${path}`)).body.content;
    expect(await file(`${work.mountPath}/order`)).toBe('first\nsecond\n');
    expect(await file('/etc/trellis-e2e/info/labels')).toBe('role="staged"');
    expect(await file('/etc/trellis-e2e/secret/key')).toBe('k3y');
    expect((await get(`http://${ip}:8080/`)).body.version).toBe('k3y');
    expect((await get(`http://${ip}:8081/healthz`)).status).toBe(200);
  });

  it("runs the sidecar image's trellis-init as root in the pod's own network namespace", async () => {
    const args = toInitArgs({
      proxyUid: 1337,
      proxyGid: 1337,
      inboundCapturePort: 15006,
      outboundCapturePort: 15001,
      excludeInboundPorts: [],
      excludeOutboundPorts: [],
      includeOutboundCidrs: ['0.0.0.0/0'],
      excludeOutboundCidrs: [],
    });
    await k.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'captured' },
        spec: {
          ...placement,
          terminationGracePeriodSeconds: 1,
          initContainers: [
            {
              name: 'trellis-init',
              image: 'ghcr.io/trellis-mesh/trellis-sidecar:0.1.0',
              command: ['trellis-init'],
              args,
              securityContext: { runAsUser: 0, runAsGroup: 0 },
            },
          ],
          containers: [{ name: 'main', image: 'trellis/sidecar', command: ['sleep', '3600'] }],
        },
      },
    });
    const pod = await eventually(
      'the captured pod Running',
      async () => {
        const p = await k.core.readNamespacedPod({ name: 'captured', namespace: ns });
        return p.status?.phase === 'Running' ? p : undefined;
      },
      120_000,
    );
    expect(pod.status?.initContainerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0 });
    const netns = agent.netnsOf(pod.metadata?.uid ?? '') ?? '';
    const rules = execFileSync('ip', ['netns', 'exec', netns, 'iptables-save', '-t', 'nat'], {
      encoding: 'utf8',
    });
    expect(rules).toContain('-j REDIRECT --to-ports 15006');
    expect(execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' })).not.toContain('TRELLIS_');
  });

  it('fails a pod whose image is not in the table with ErrImagePull', async () => {
    await k.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'unknown' },
        spec: { ...placement, containers: [{ name: 'main', image: 'example.com/nowhere:1' }] },
      },
    });
    const waiting = await eventually('ErrImagePull', async () => {
      const p = await k.core.readNamespacedPod({ name: 'unknown', namespace: ns });
      const state = p.status?.containerStatuses?.[0]?.state?.waiting;
      return state?.reason === 'ErrImagePull' ? state : undefined;
    });
    expect(waiting.message).toContain('example.com/nowhere:1');
  });
});
