import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { V1Pod } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, inject } from 'vitest';
import { parse } from 'yaml';
import { injectManifests } from '../../src/cli/inject.js';
import { type Injector, startInjector } from '../../src/webhook/injector.js';
import { renderWebhookConfiguration } from '../../src/webhook/mwc.js';
import { issueSelfSigned } from '../support/cert-manager.js';
import { apiMessage, apiStatus, eventually, type Kube } from '../support/kube.js';
import { test } from '../support/namespace.js';

const run = promisify(execFile);

interface Harness {
  injector: Injector;
  /** Where the serving certificate files live, as a mounted Secret would. */
  certDir: string;
  close: () => Promise<void>;
}

/**
 * The real injector (real fastify, real files, the real API server version)
 * behind the real MutatingWebhookConfiguration, confined to `ns`; the CA comes
 * from the real cainjector.
 */
async function startHarness(kube: Kube, ns: string): Promise<Harness> {
  const tls = await issueSelfSigned(kube, ns, 'injector', { ipAddresses: ['127.0.0.1'] });
  const dir = mkdtempSync(join(tmpdir(), 'webhook-it-'));
  writeFileSync(join(dir, 'tls.crt'), tls.cert);
  writeFileSync(join(dir, 'tls.key'), tls.key);
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ version: '0.1.0-it' }));
  const injector = await startInjector({
    settingsPath: join(dir, 'settings.json'),
    certDir: dir,
    host: '127.0.0.1',
    port: 0,
    kubeconfig: inject('kubeconfig'),
    logger: pino({ level: 'warn' }),
    reloadIntervalMs: 200,
  });
  const mwc = renderWebhookConfiguration({
    name: `trellis-injector-${ns}`,
    target: { url: injector.url },
    caFromCertificate: `${ns}/injector`,
    namespaceScope: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [ns] }],
  });
  const name = mwc.metadata?.name ?? '';
  const close = async () => {
    await kube.admission.deleteMutatingWebhookConfiguration({ name }).catch(() => undefined);
    await injector.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await kube.admission.createMutatingWebhookConfiguration({ body: mwc });
    await eventually('the cainjector to fill every caBundle', async () => {
      const got = await kube.admission.readMutatingWebhookConfiguration({ name });
      return got.webhooks?.every((w) => w.clientConfig.caBundle) ? true : undefined;
    });
  } catch (err) {
    await close();
    throw err;
  }
  return { injector, certDir: dir, close };
}

const spec = {
  containers: [
    {
      name: 'app',
      image: 'registry.example/app:1',
      ports: [{ name: 'http', containerPort: 8080 }],
      readinessProbe: { httpGet: { path: '/healthz', port: 'http' } },
    },
  ],
};
const podBody = (
  name: string,
  meta: { annotations?: Record<string, string>; labels?: Record<string, string> } = {},
) => ({
  metadata: { name, ...meta },
  spec,
});
const names = (pod: V1Pod) => ({
  init: (pod.spec?.initContainers ?? []).map((c) => c.name),
  containers: (pod.spec?.containers ?? []).map((c) => c.name),
});
const isInjected = (pod: V1Pod) => names(pod).init.includes('trellis-proxy');

/** The API server may briefly fail calls until it has loaded the new caBundle; retry creation until admitted. */
const create = (kube: Kube, ns: string, body: ReturnType<typeof podBody>, dryRun?: string) =>
  eventually(`pod ${body.metadata.name} to be admitted`, () =>
    kube.core.createNamespacedPod({ namespace: ns, body, ...(dryRun ? { dryRun } : {}) }),
  );

describe('the injector webhook, through the real API server', () => {
  test('pods that opt in by annotation or label come back injected; others and opted-out pods do not', async ({
    kube,
    ns,
  }) => {
    const h = await startHarness(kube, ns);
    try {
      const annotated = await create(
        kube,
        ns,
        podBody('annotated', { annotations: { 'trellis.dev/inject': 'true' } }),
      );
      expect(names(annotated)).toEqual({ init: ['trellis-init', 'trellis-proxy'], containers: ['app'] });
      const proxy = annotated.spec?.initContainers?.[1];
      // The local API server is v1.36: native sidecars.
      expect(proxy?.restartPolicy).toBe('Always');
      expect(proxy?.image).toBe('ghcr.io/trellis-mesh/trellis-sidecar:0.1.0-it');
      expect(annotated.spec?.containers[0]?.readinessProbe?.httpGet).toMatchObject({
        path: '/app-health/app/readyz',
        port: 15020,
      });
      expect(annotated.metadata?.labels?.['trellis.dev/proxy-version']).toBe('0.1.0-it');
      expect(JSON.parse(annotated.metadata?.annotations?.['trellis.dev/status'] ?? '{}')).toMatchObject({
        native: true,
        initContainers: ['trellis-init', 'trellis-proxy'],
      });
      const stored = await kube.core.readNamespacedPod({ name: 'annotated', namespace: ns });
      expect(names(stored).init).toEqual(['trellis-init', 'trellis-proxy']);
      expect(stored.spec?.volumes?.map((v) => v.name)).toEqual(
        expect.arrayContaining(['trellis-proxy-config', 'trellis-identity', 'trellis-pod-info']),
      );

      const labelled = await create(
        kube,
        ns,
        podBody('labelled', { labels: { 'trellis.dev/inject': 'true' } }),
      );
      expect(isInjected(labelled)).toBe(true);

      // The classic layout and the overrides pass the API server's own validation too.
      const classic = await create(
        kube,
        ns,
        podBody('classic', {
          labels: { 'trellis.dev/inject': 'true' },
          annotations: {
            'trellis.dev/native-sidecar': 'false',
            'trellis.dev/proxy-memory': '512Mi',
            'trellis.dev/exclude-outbound-ip-ranges': '169.254.169.254/32',
          },
        }),
      );
      expect(names(classic)).toEqual({ init: ['trellis-init'], containers: ['trellis-proxy', 'app'] });
      expect(classic.spec?.containers[0]?.lifecycle?.postStart?.exec?.command).toEqual([
        'trellis-proxy',
        'wait-ready',
        '--timeout=120s',
      ]);
      expect(classic.spec?.containers[0]?.resources?.limits?.memory).toBe('512Mi');
      expect(classic.spec?.initContainers?.[0]?.args).toContain('169.254.169.254/32');

      // A bad override is refused with the reason, not meshed differently.
      const refused = await kube.core
        .createNamespacedPod({
          namespace: ns,
          body: podBody('bad', {
            annotations: { 'trellis.dev/inject': 'true', 'trellis.dev/proxy-cpu': 'lots' },
          }),
        })
        .then(
          () => undefined,
          (err: unknown) => apiMessage(err),
        );
      expect(refused).toContain('trellis: cannot inject (invalid-override): trellis.dev/proxy-cpu: "lots"');

      const plain = await create(kube, ns, podBody('plain'));
      expect(isInjected(plain)).toBe(false);
      const optedOut = await create(
        kube,
        ns,
        podBody('out', { annotations: { 'trellis.dev/inject': 'false' } }),
      );
      expect(isInjected(optedOut)).toBe(false);

      const metrics = await h.injector.metrics.registry.metrics();
      expect(metrics).toContain(
        'trellis_webhook_injections_total{result="injected",reason="pod-annotation"} 1',
      );
      expect(metrics).toContain('trellis_webhook_injections_total{result="injected",reason="pod-label"} 2');
      expect(metrics).toContain('trellis_webhook_injections_total{result="skipped",reason="not-opted-in"} 1');
      expect(metrics).toContain('trellis_webhook_injections_total{result="skipped",reason="opted-out"} 1');
    } finally {
      await h.close();
    }
  });

  test('a certificate renewed by cert-manager is served, and the API server follows through the cainjector', async ({
    kube,
    ns,
  }) => {
    const h = await startHarness(kube, ns);
    try {
      const before = await kube.core.readNamespacedSecret({ name: 'injector', namespace: ns });
      // cert-manager re-issues a Certificate whose Secret is gone; SelfSigned means a new CA as well.
      await kube.core.deleteNamespacedSecret({ name: 'injector', namespace: ns });
      const after = await eventually('cert-manager to re-issue', async () => {
        const s = await kube.core
          .readNamespacedSecret({ name: 'injector', namespace: ns })
          .catch(() => undefined);
        return s?.data?.['tls.crt'] && s.data['tls.crt'] !== before.data?.['tls.crt'] ? s : undefined;
      });
      // What kubelet does for a Secret volume.
      const pem = (key: string) => Buffer.from(after.data?.[key] ?? '', 'base64').toString('utf8');
      writeFileSync(join(h.certDir, 'tls.key'), pem('tls.key'));
      writeFileSync(join(h.certDir, 'tls.crt'), pem('tls.crt'));

      await eventually('the injector to reload its certificate', async () =>
        (await h.injector.metrics.registry.metrics()).includes(
          'trellis_webhook_certificate_reloads_total{result="ok"} 1',
        )
          ? true
          : undefined,
      );
      let i = 0;
      const pod = await eventually('a pod to be injected with the renewed certificate', async () => {
        const created = await kube.core.createNamespacedPod({
          namespace: ns,
          body: podBody(`after-${i++}`, { labels: { 'trellis.dev/inject': 'true' } }),
        });
        return isInjected(created) ? created : undefined;
      });
      expect(isInjected(pod)).toBe(true);
    } finally {
      await h.close();
    }
  });

  test('a dry-run create is injected in the answer and stores nothing', async ({ kube, ns }) => {
    const h = await startHarness(kube, ns);
    try {
      const dry = await create(
        kube,
        ns,
        podBody('dry', { annotations: { 'trellis.dev/inject': 'true' } }),
        'All',
      );
      expect(isInjected(dry)).toBe(true);
      await expect(kube.core.readNamespacedPod({ name: 'dry', namespace: ns })).rejects.toSatisfy(
        (err) => apiStatus(err) === 404,
      );
    } finally {
      await h.close();
    }
  });

  test('a skipped pod that asked for the mesh is admitted with a warning the user sees', async ({
    kube,
    ns,
  }) => {
    const h = await startHarness(kube, ns);
    const dir = mkdtempSync(join(tmpdir(), 'webhook-it-'));
    try {
      const manifest = join(dir, 'pod.json');
      const pod = podBody('host', { annotations: { 'trellis.dev/inject': 'true' } });
      writeFileSync(
        manifest,
        JSON.stringify({ apiVersion: 'v1', kind: 'Pod', ...pod, spec: { ...spec, hostNetwork: true } }),
      );
      const out = await eventually('kubectl create to succeed', async () =>
        run('kubectl', ['--kubeconfig', inject('kubeconfig'), '-n', ns, 'create', '-f', manifest]),
      );
      expect(out.stderr).toContain('Warning: trellis: not injected (host-network)');
      const stored = await kube.core.readNamespacedPod({ name: 'host', namespace: ns });
      expect(isInjected(stored)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await h.close();
    }
  });

  test('every pod of a labelled namespace is injected, including those the ReplicaSet controller creates', async ({
    kube,
    ns,
  }) => {
    await kube.core.patchNamespace({
      name: ns,
      body: [{ op: 'add', path: '/metadata/labels/trellis.dev~1inject', value: 'enabled' }],
    });
    const h = await startHarness(kube, ns);
    try {
      const plain = await create(kube, ns, podBody('plain'));
      expect(isInjected(plain)).toBe(true);
      const outByLabel = await create(
        kube,
        ns,
        podBody('out-label', { labels: { 'trellis.dev/inject': 'false' } }),
      );
      expect(isInjected(outByLabel)).toBe(false);
      const outByAnnotation = await create(
        kube,
        ns,
        podBody('out-ann', { annotations: { 'trellis.dev/inject': 'false' } }),
      );
      expect(isInjected(outByAnnotation)).toBe(false);
      // The objectSelector keeps label opt-outs from reaching the webhook at all; annotation opt-outs are decided there.
      const metrics = await h.injector.metrics.registry.metrics();
      expect(metrics).toContain('trellis_webhook_injections_total{result="skipped",reason="opted-out"} 1');

      await kube.apps.createNamespacedDeployment({
        namespace: ns,
        body: {
          metadata: { name: 'web' },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: 'web' } },
            template: { metadata: { labels: { app: 'web' } }, spec },
          },
        },
      });
      const pods = await eventually('the Deployment to have 2 pods', async () => {
        const list = await kube.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
        return list.items.length === 2 ? list.items : undefined;
      });
      for (const pod of pods) {
        expect(pod.metadata?.generateName).toMatch(/^web-/);
        expect(names(pod)).toEqual({ init: ['trellis-init', 'trellis-proxy'], containers: ['app'] });
        expect(pod.metadata?.annotations?.['trellis.dev/status']).toBeDefined();
      }
      expect(await h.injector.metrics.registry.metrics()).toContain(
        'trellis_webhook_injections_total{result="injected",reason="namespace-label"} 3',
      );

      // A Deployment pre-injected by trellisctl: its pods pass the webhook unchanged, with one proxy.
      const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: pre}
spec:
  replicas: 1
  selector: {matchLabels: {app: pre}}
  template:
    metadata: {labels: {app: pre}}
    spec: {containers: [{name: app, image: registry.example/app:1}]}
`;
      const offline = injectManifests(manifest, {
        settings: h.injector.state.settings,
        native: true,
        namespace: ns,
      });
      expect(offline.report).toEqual(['deployment.apps/pre: injected']);
      await kube.apps.createNamespacedDeployment({ namespace: ns, body: parse(offline.yaml) });
      const [prePod] = await eventually('the pre-injected Deployment to have a pod', async () => {
        const list = await kube.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=pre' });
        return list.items.length === 1 ? list.items : undefined;
      });
      expect(prePod && names(prePod)).toEqual({
        init: ['trellis-init', 'trellis-proxy'],
        containers: ['app'],
      });
      expect(await h.injector.metrics.registry.metrics()).toContain(
        'trellis_webhook_injections_total{result="skipped",reason="already-injected"} 1',
      );
    } finally {
      await h.close();
    }
  });

  test('with the injector down, pods that must be meshed are refused and the rest admitted unmeshed', async ({
    kube,
    ns,
  }) => {
    const other = `${ns}-on`;
    await kube.core.createNamespace({
      body: { metadata: { name: other, labels: { 'trellis.dev/inject': 'enabled' } } },
    });
    const h = await startHarness(kube, ns);
    // The same webhook, also covering the labelled namespace.
    const mwcName = `trellis-injector-${ns}-on`;
    try {
      await kube.admission.createMutatingWebhookConfiguration({
        body: renderWebhookConfiguration({
          name: mwcName,
          target: { url: h.injector.url },
          caFromCertificate: `${ns}/injector`,
          namespaceScope: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [other] }],
        }),
      });
      await eventually('the cainjector to fill every caBundle', async () => {
        const got = await kube.admission.readMutatingWebhookConfiguration({ name: mwcName });
        return got.webhooks?.every((w) => w.clientConfig.caBundle) ? true : undefined;
      });
      await eventually(`ServiceAccount ${other}/default`, () =>
        kube.core.readNamespacedServiceAccount({ name: 'default', namespace: other }),
      );
      expect(isInjected(await create(kube, other, podBody('before')))).toBe(true);

      await h.injector.close();

      const refused = async (namespace: string, body: ReturnType<typeof podBody>, entry: string) => {
        const err = await kube.core.createNamespacedPod({ namespace, body }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, `${body.metadata.name} should be refused`).toBeDefined();
        expect(apiMessage(err)).toContain(`failed calling webhook "${entry}"`);
      };
      await refused(other, podBody('ns-labelled'), 'namespace.inject.trellis.dev');
      await refused(
        ns,
        podBody('pod-labelled', { labels: { 'trellis.dev/inject': 'true' } }),
        'label.inject.trellis.dev',
      );

      // failurePolicy Ignore: admitted unmeshed (the operator reports the drift); unrelated pods are unaffected.
      const annotated = await kube.core.createNamespacedPod({
        namespace: ns,
        body: podBody('annotated', { annotations: { 'trellis.dev/inject': 'true' } }),
      });
      expect(isInjected(annotated)).toBe(false);
      const plain = await kube.core.createNamespacedPod({ namespace: ns, body: podBody('plain') });
      expect(isInjected(plain)).toBe(false);
    } finally {
      await kube.admission.deleteMutatingWebhookConfiguration({ name: mwcName }).catch(() => undefined);
      await h.close();
      await kube.core.deleteNamespace({ name: other }).catch(() => undefined);
    }
  });
});
