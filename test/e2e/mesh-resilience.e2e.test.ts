import { randomBytes } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import {
  annotations,
  containers,
  controlPlaneNamespace,
  identitySecretName,
  ports,
} from '../../src/api/names.js';
import { eventually } from '../support/kube.js';
import { runningPods } from './mesh/deploy.js';
import type { Tally } from './mesh/driver.js';
import { type Mesh, startMesh } from './mesh/harness.js';
import { injector, setMeshConfig } from './mesh/install.js';
import { kubectl } from './mesh/kubectl.js';
import { loadgenControlPort, sampleObjects } from './mesh/sample.js';

/**
 * The mesh under change, with steady traffic (the sample's loadgen sends 10
 * requests a second through frontend → orders → payments) counted by the
 * loadgen: certificates rotated under traffic, the control plane gone, the
 * injector gone.
 */

const ns = `mesh-resilience-${randomBytes(3).toString('hex')}`;
let mesh: Mesh;
let kubeconfig: string;

const k = (...args: string[]) => kubectl(kubeconfig, args);

async function loadgen(): Promise<string> {
  const [pod] = await runningPods(kubeconfig, ns, 'app=loadgen');
  if (!pod?.status?.podIP) throw new Error('no loadgen pod');
  return `http://${pod.status.podIP}:${loadgenControlPort}`;
}
const resetStats = async () => {
  await fetch(`${await loadgen()}/stats/reset`, { method: 'POST' });
};
const stats = async () => (await (await fetch(`${await loadgen()}/stats`)).json()) as Tally;

/** The certificate each sample pod's proxy serves now (its admin /config), by pod name. */
async function servedCertificates(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const pod of await runningPods(kubeconfig, ns)) {
    const res = await fetch(`http://${pod.status?.podIP}:${ports.admin}/config`, {
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await res.json()) as { identity: { certificate: string } | null };
    out.set(pod.metadata?.name ?? '', body.identity?.certificate ?? '');
  }
  return out;
}

/** A pod the label entry of the webhook (fail closed) must see: dry-run, so nothing is created. */
const labelledPod = (name: string): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels: { [annotations.inject]: 'true' } },
  spec: { containers: [{ name: 'app', image: 'trellis-e2e/payments:1.0' }] },
});
const dryRunCreate = (pod: V1Pod) =>
  kubectl(kubeconfig, ['create', '--dry-run=server', '-o', 'json', '-f', '-'], { stdin: stringify(pod) });

const scale = (name: string, replicas: number) =>
  k('-n', controlPlaneNamespace, 'scale', `deployment/${name}`, `--replicas=${replicas}`);
const waitNoPods = (selector: string) =>
  eventually(
    `no ${selector} pods`,
    async () =>
      (await runningPods(kubeconfig, controlPlaneNamespace, selector)).length === 0 ? true : undefined,
    120_000,
  );

beforeAll(async () => {
  kubeconfig = inject('kubeconfig');
  mesh = await startMesh(kubeconfig);
  await mesh.deploy(sampleObjects({ namespace: ns, rate: 10 }), ns);
}, 600_000);

afterAll(async () => {
  await mesh?.stop();
}, 300_000);

describe('the mesh under change, with steady traffic', () => {
  it('rotates every workload certificate under traffic without a failed request', async () => {
    await resetStats();
    const before = await servedCertificates();
    // As `cmctl renew` does: mark each identity Certificate as Issuing; cert-manager issues a new one.
    for (const sa of ['frontend', 'orders', 'payments', 'loadgen']) {
      const condition = {
        type: 'Issuing',
        status: 'True',
        reason: 'ManuallyTriggered',
        message: 'renewal asked by the e2e test',
        lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      };
      await k(
        '-n',
        ns,
        'patch',
        'certificate',
        identitySecretName(sa),
        '--subresource=status',
        '--type=json',
        '-p',
        JSON.stringify([{ op: 'add', path: '/status/conditions/-', value: condition }]),
      );
    }
    // Every proxy serves a new certificate: the Secret changed, the node agent re-projected it, the proxy reloaded.
    await eventually(
      'every proxy serving a renewed certificate',
      async () => {
        const now = await servedCertificates();
        return [...before].every(([pod, cert]) => now.get(pod) !== undefined && now.get(pod) !== cert)
          ? true
          : undefined;
      },
      120_000,
    );
    // A few more seconds of traffic on the new certificates.
    await new Promise((r) => setTimeout(r, 5_000));
    const t = await stats();
    expect(t.total).toBeGreaterThan(30);
    expect(t.failed, JSON.stringify(t)).toBe(0);
  });

  it('keeps serving on its last config with the control plane down, and refuses labelled pods (failurePolicy Fail)', async () => {
    await scale('trellis-operator', 0);
    await scale(injector.deployment, 0);
    await waitNoPods('app.kubernetes.io/name=trellis-operator');
    await waitNoPods(`app.kubernetes.io/name=${injector.deployment}`);
    try {
      await resetStats();
      await new Promise((r) => setTimeout(r, 10_000));
      const t = await stats();
      expect(t.total).toBeGreaterThan(50);
      expect(t.failed, JSON.stringify(t)).toBe(0);

      // The label entry fails closed (MeshConfig spec.injector.failurePolicy, Fail by default).
      const refused = await dryRunCreate(labelledPod('refused')).then(
        () => 'created',
        (err: unknown) => String(err),
      );
      expect(refused).toMatch(/failed calling webhook "label\.inject\.trellis\.dev"/);
      // A pod that did not opt in is not the webhook's business: created, without a sidecar.
      const plain = JSON.parse(
        await dryRunCreate({ ...labelledPod('plain'), metadata: { name: 'plain', namespace: ns } }),
      ) as V1Pod;
      expect(plain.spec?.containers.map((c) => c.name)).toEqual(['app']);
    } finally {
      // Back to the replicas the operator applies, so its unforced apply meets no conflicting value.
      await scale(injector.deployment, 2);
      await scale('trellis-operator', 1);
    }
    await k(
      '-n',
      controlPlaneNamespace,
      'rollout',
      'status',
      'deployment/trellis-operator',
      '--timeout=180s',
    );
    await k(
      '-n',
      controlPlaneNamespace,
      'rollout',
      'status',
      `deployment/${injector.deployment}`,
      '--timeout=180s',
    );
  });

  it('admits labelled pods without a sidecar when the injector is down under failurePolicy Ignore', async () => {
    await setMeshConfig(kubeconfig, { version: '0.1.0', injector: { failurePolicy: 'Ignore' } });
    await eventually(
      'the webhook configuration failing open',
      async () => {
        const mwc = JSON.parse(
          await k('get', 'mutatingwebhookconfiguration', injector.webhookConfiguration, '-o', 'json'),
        ) as { webhooks: { name: string; failurePolicy: string }[] };
        return mwc.webhooks.every((w) => w.failurePolicy === 'Ignore') ? true : undefined;
      },
      60_000,
    );
    await scale('trellis-operator', 0);
    await scale(injector.deployment, 0);
    await waitNoPods('app.kubernetes.io/name=trellis-operator');
    await waitNoPods(`app.kubernetes.io/name=${injector.deployment}`);
    try {
      const admitted = JSON.parse(await dryRunCreate(labelledPod('admitted'))) as V1Pod;
      const names = [...(admitted.spec?.initContainers ?? []), ...(admitted.spec?.containers ?? [])].map(
        (c) => c.name,
      );
      expect(names).toEqual(['app']);
      expect(names).not.toContain(containers.proxy);
    } finally {
      await scale(injector.deployment, 2);
      await scale('trellis-operator', 1);
    }
    await k(
      '-n',
      controlPlaneNamespace,
      'rollout',
      'status',
      'deployment/trellis-operator',
      '--timeout=180s',
    );
  });

  it('upgrades the data plane with RollingRestart, failing at most 5 % of requests on the way', async () => {
    await k(
      '-n',
      controlPlaneNamespace,
      'rollout',
      'status',
      `deployment/${injector.deployment}`,
      '--timeout=180s',
    );
    await resetStats();
    await setMeshConfig(kubeconfig, {
      version: '0.2.0',
      injector: { failurePolicy: 'Ignore' },
      upgrade: { strategy: 'RollingRestart', pace: '1s' },
    });
    const status = await eventually(
      'every meshed workload restarted onto 0.2.0',
      async () => {
        const mc = JSON.parse(await k('get', 'meshconfig', 'default', '-o', 'json')) as {
          status?: {
            installedVersion?: string;
            outdatedPods?: { count: number };
            rollout?: { total: number; restarted: number };
          };
        };
        const st = mc.status;
        const done =
          st?.installedVersion === '0.2.0' &&
          st.outdatedPods?.count === 0 &&
          st.rollout !== undefined &&
          st.rollout.total >= 5 &&
          st.rollout.restarted === st.rollout.total;
        return done ? st : undefined;
      },
      420_000,
    );
    expect(status.rollout?.total).toBe(5);
    // Each sample pod now runs the 0.2.0 sidecar.
    for (const pod of await runningPods(kubeconfig, ns)) {
      expect(pod.metadata?.annotations?.[annotations.status], pod.metadata?.name).toContain('0.2.0');
    }
    const t = await stats();
    expect(t.total).toBeGreaterThan(100);
    // The budget: every sample workload has one replica, so each restart hands over between two pods
    // while callers hold pooled connections to the old one. Measured here: 6 of 218 (2.8 %), as 502s
    // from a tier whose upstream went away mid-request and client timeouts.
    expect(t.failed / t.total, JSON.stringify(t)).toBeLessThanOrEqual(0.05);
  }, 600_000);
});
