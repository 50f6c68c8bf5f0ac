import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
} from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../../devcluster/paths.js';
import { meshConfigName } from '../../src/api/crds/index.js';
import { loadConfig } from '../../src/operator/config.js';
import { installController } from '../../src/operator/controllers/install.js';
import { startOperator } from '../../src/operator/operator.js';
import { type InstallApi, kubeInstallApi } from '../../src/reconcilers/install/api.js';
import type { InstallRef } from '../../src/reconcilers/install/object.js';
import { type DataPlaneStep, InstallReconciler } from '../../src/reconcilers/install/reconciler.js';
import { type InstallTarget, installNames } from '../../src/reconcilers/install/target.js';
import { uninstallFinalizer, uninstallOrder } from '../../src/reconcilers/install/uninstall.js';
import { DataPlaneReconciler } from '../../src/reconcilers/upgrade/reconcile.js';
import { keepPodsReady } from '../support/fake-kubelet.js';
import { apiMessage, apiStatus, eventually, type Kube, rawRequest } from '../support/kube.js';
import { test } from '../support/namespace.js';

const logger = pino({ level: process.env.TRELLIS_TEST_LOG ?? 'silent' });

/**
 * The cluster's MeshConfig `default` is shared by every test (and its name is fixed by the CRD), so each
 * test installs from a MeshConfig of its own: the committed CRD, byte for byte, served under a group
 * named after the test's namespace. Cluster-scoped names carry the namespace as a suffix, and the
 * webhook is confined to the test's namespace, so no other test's pods are ever sent to it.
 */
async function isolatedInstall(k: Kube, ns: string) {
  const group = `${ns}.trellis.test`;
  const crd = parse(readFileSync(join(repoRoot, 'config/crd/trellis.dev_meshconfigs.yaml'), 'utf8')) as {
    metadata: { name: string };
    spec: { group: string };
  };
  crd.metadata.name = `meshconfigs.${group}`;
  crd.spec.group = group;
  await rawRequest(
    k.kc,
    'POST',
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
    { 'content-type': 'application/json' },
    crd,
  );
  await eventually(`CRD ${crd.metadata.name} Established`, async () => {
    const c = await k.crds.readCustomResourceDefinition({ name: crd.metadata.name });
    return c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True')
      ? true
      : undefined;
  });
  const target: InstallTarget = {
    namespace: ns,
    clusterResourceNamespace: 'cert-manager',
    suffix: `-${ns}`,
    instance: ns,
    meshConfig: { apiVersion: `${group}/v1alpha1`, plural: 'meshconfigs' },
    namespaceScope: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [ns] }],
  };
  const mc = { group, version: 'v1alpha1', plural: 'meshconfigs' };
  const api = kubeInstallApi(k.kc, target);
  const create = (spec: object) =>
    k.custom.createClusterCustomObject({
      ...mc,
      body: {
        apiVersion: target.meshConfig.apiVersion,
        kind: 'MeshConfig',
        metadata: { name: 'default' },
        spec,
      },
    });
  const read = async () =>
    (await k.custom.getClusterCustomObject({ ...mc, name: 'default' })) as MeshConfigJson;
  const patchSpec = (spec: object) =>
    k.custom.patchClusterCustomObject(
      { ...mc, name: 'default', body: { spec } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  /** Whatever the test left: installed objects (the cert-manager namespace is shared), finalizer, CRD. */
  const cleanup = async () => {
    for (const ref of uninstallOrder(target)) await api.delete(ref);
    await api.applyMeshConfigFinalizers(meshConfigName, []);
    await k.crds.deleteCustomResourceDefinition({ name: crd.metadata.name }).catch((err: unknown) => {
      if (apiStatus(err) !== 404) throw err;
    });
  };
  return {
    target,
    names: installNames(target),
    api,
    /** One reconcile of this install, as the operator's queue would run it. */
    reconcile: () =>
      new InstallReconciler(api, target).reconcile({ name: meshConfigName }, new AbortController().signal),
    create,
    read,
    patchSpec,
    cleanup,
    deleteMesh: () => k.custom.deleteClusterCustomObject({ ...mc, name: 'default' }),
  };
}

type Condition = {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
};
type MeshConfigJson = KubernetesObject & {
  metadata: { generation: number; uid: string; finalizers?: string[]; resourceVersion: string };
  status?: {
    observedGeneration?: number;
    installedVersion?: string;
    conditions?: Condition[];
    outdatedPods?: { count: number };
    injectionDrift?: { count: number };
  };
};

const condition = (mesh: MeshConfigJson, type: string) =>
  mesh.status?.conditions?.find((c) => c.type === type);

/** The kubelet's part for the injector's pods, so its Deployment becomes available. */
const keepInjectorPodsReady = (k: Kube, ns: string) =>
  keepPodsReady(k, ns, { intervalMs: 300, labelSelector: 'app.kubernetes.io/name=trellis-injector' });

/** Every installed object's resourceVersion (absent ones as '-'), by `Kind namespace/name`. */
async function resourceVersions(api: InstallApi, refs: InstallRef[]): Promise<Record<string, string>> {
  const entries = await Promise.all(
    refs.map(async (ref) => [
      `${ref.kind} ${ref.namespace ?? ''}/${ref.name}`,
      (await api.get(ref))?.metadata?.resourceVersion ?? '-',
    ]),
  );
  return Object.fromEntries(entries);
}

const pem = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');

describe('install reconciler against the real control plane', () => {
  test('installs until Ready with real certificates and an injected caBundle, repairs drift, changes nothing on a second reconcile, upgrades the injector, and uninstalls webhook first', async ({
    kube: k,
    ns,
  }) => {
    const mesh = await isolatedInstall(k, ns);
    const { target, names, api } = mesh;
    const deleted: string[] = [];
    // The real API, with each delete recorded in order.
    const recording: InstallApi = {
      ...api,
      delete: async (ref) => {
        deleted.push(`${ref.kind}/${ref.name}`);
        await api.delete(ref);
      },
    };
    const config = loadConfig({
      POD_NAME: 'install-test',
      POD_NAMESPACE: ns,
      TRELLIS_OPERATOR_LEASE_NAME: `install-${ns}`,
      TRELLIS_OPERATOR_HOST: '127.0.0.1',
      TRELLIS_OPERATOR_PORT: '0',
      TRELLIS_OPERATOR_SHUTDOWN_GRACE_MS: '5000',
    });
    // The data-plane step too, confined to the test's namespace (other tests' pods are not ours).
    const upgrade = new DataPlaneReconciler({ kc: k.kc, logger, namespace: ns });
    const dataPlane: DataPlaneStep = (m, v) => upgrade.reconcile(m, v);
    const run = () =>
      startOperator({
        kc: k.kc,
        controllers: [installController({ target, api: () => recording, dataPlane: () => dataPlane })],
        config,
        logger,
      });
    let stopReady = keepInjectorPodsReady(k, ns);
    let operator = await run();
    try {
      await mesh.create({ version: '0.1.0', injector: { replicas: 2, failurePolicy: 'Ignore' } });
      const ready = await eventually(
        'MeshConfig Ready',
        async () => {
          const m = await mesh.read();
          return condition(m, 'Ready')?.status === 'True' && m.status?.installedVersion ? m : undefined;
        },
        100_000,
      );
      expect(ready.metadata.finalizers).toContain(uninstallFinalizer);
      expect(ready.status?.observedGeneration).toBe(ready.metadata.generation);
      expect(ready.status?.installedVersion).toBe('0.1.0');
      // The data-plane step's report, merged into the same status: no meshed pod here is outdated.
      expect(ready.status).toMatchObject({ outdatedPods: { count: 0 }, injectionDrift: { count: 0 } });
      expect(
        ready.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.observedGeneration]),
      ).toEqual([
        ['Ready', 'True', 'Installed', ready.metadata.generation],
        ['Progressing', 'False', 'UpToDate', ready.metadata.generation],
        ['Degraded', 'False', 'AsExpected', ready.metadata.generation],
      ]);

      // The certificates are real: the mesh CA is a CA, the serving certificate is signed by it for the
      // Service's DNS name, and the caBundle cainjector wrote is that CA.
      const caSecret = await k.core.readNamespacedSecret({ namespace: 'cert-manager', name: names.caSecret });
      const caCert = new X509Certificate(pem(caSecret.data?.['tls.crt'] ?? ''));
      expect(caCert.ca).toBe(true);
      const serving = await k.core.readNamespacedSecret({ namespace: ns, name: names.injectorTls });
      const servingCert = new X509Certificate(pem(serving.data?.['tls.crt'] ?? ''));
      expect(servingCert.verify(caCert.publicKey)).toBe(true);
      expect(servingCert.subjectAltName).toContain(`DNS:trellis-injector.${ns}.svc`);
      const webhook = await k.admission.readMutatingWebhookConfiguration({ name: names.webhook });
      expect(webhook.webhooks?.map((w) => [w.name, w.failurePolicy])).toEqual([
        ['namespace.inject.trellis.dev', 'Ignore'],
        ['label.inject.trellis.dev', 'Ignore'],
        ['annotation.inject.trellis.dev', 'Ignore'],
      ]);
      for (const w of webhook.webhooks ?? []) {
        expect(new X509Certificate(pem(w.clientConfig.caBundle ?? '')).fingerprint256).toBe(
          caCert.fingerprint256,
        );
      }
      const deployment = await k.apps.readNamespacedDeployment({ namespace: ns, name: names.injector });
      expect(deployment.spec?.replicas).toBe(2);
      expect(deployment.spec?.template.spec?.containers[0]?.image).toBe(
        'ghcr.io/trellis-mesh/trellis-control-plane:0.1.0',
      );
      expect(deployment.metadata?.ownerReferences?.[0]?.uid).toBe(ready.metadata.uid);
      const managers = deployment.metadata?.managedFields
        ?.filter((f) => f.operation === 'Apply')
        .map((f) => f.manager);
      expect(managers).toEqual(['trellis-operator']);

      // Drift: a deleted object comes back, through the watch on it.
      await k.core.deleteNamespacedConfigMap({ namespace: ns, name: names.injectorSettings });
      await eventually('the settings ConfigMap recreated', async () =>
        k.core.readNamespacedConfigMap({ namespace: ns, name: names.injectorSettings }),
      );

      // A second reconcile, with the operator stopped so nothing else runs: not one resourceVersion moves.
      await operator.stop();
      const refs = uninstallOrder(target);
      const before = await resourceVersions(api, refs);
      const meshBefore = (await mesh.read()).metadata.resourceVersion;
      await new InstallReconciler(api, target, { dataPlane }).reconcile(
        { name: meshConfigName },
        new AbortController().signal,
      );
      expect(await resourceVersions(api, refs)).toEqual(before);
      expect((await mesh.read()).metadata.resourceVersion).toBe(meshBefore);

      // Upgrade: with the new pods held unready, the old injector keeps serving (Ready) while the new
      // version rolls out (Progressing: Upgrading); once they are ready, 0.2.0 is installed.
      await stopReady();
      operator = await run();
      await mesh.patchSpec({ version: '0.2.0' });
      const upgrading = await eventually('Progressing Upgrading', async () => {
        const m = await mesh.read();
        return condition(m, 'Progressing')?.reason === 'Upgrading' ? m : undefined;
      });
      expect(upgrading.status?.installedVersion).toBe('0.1.0');
      expect(condition(upgrading, 'Ready')?.status).toBe('True');
      const rolling = await k.apps.readNamespacedDeployment({ namespace: ns, name: names.injector });
      expect(rolling.spec?.template.spec?.containers[0]?.image).toBe(
        'ghcr.io/trellis-mesh/trellis-control-plane:0.2.0',
      );
      const settings = await k.core.readNamespacedConfigMap({ namespace: ns, name: names.injectorSettings });
      expect(JSON.parse(settings.data?.['settings.json'] ?? '{}')).toMatchObject({ version: '0.2.0' });
      stopReady = keepInjectorPodsReady(k, ns);
      const upgraded = await eventually(
        'installedVersion 0.2.0',
        async () => {
          const m = await mesh.read();
          return m.status?.installedVersion === '0.2.0' && condition(m, 'Progressing')?.status === 'False'
            ? m
            : undefined;
        },
        100_000,
      );
      expect(condition(upgraded, 'Ready')?.status).toBe('True');
      expect(upgraded.status?.observedGeneration).toBe(upgraded.metadata.generation);

      // Uninstall: the MeshConfig waits on the finalizer while everything goes, webhook first.
      await mesh.deleteMesh();
      await eventually('the MeshConfig gone', async () => {
        try {
          await mesh.read();
          return undefined;
        } catch (err) {
          if (apiStatus(err) === 404) return true;
          throw err;
        }
      });
      expect(deleted[0]).toBe(`MutatingWebhookConfiguration/${names.webhook}`);
      expect(deleted).toEqual(refs.map((r) => `${r.kind}/${r.name}`));
      const left = Object.entries(await resourceVersions(api, refs)).filter(([, rv]) => rv !== '-');
      expect(left).toEqual([]);
    } finally {
      await operator.stop();
      await stopReady();
      await mesh.cleanup();
    }
  });

  test('a field another manager owns is reported as Degraded and left alone; an invalid spec is refused by the schema or marked, and the last good install stays', async ({
    kube: k,
    ns,
  }) => {
    const mesh = await isolatedInstall(k, ns);
    const { names, reconcile } = mesh;
    try {
      // What the API server's schema and CEL rules refuse never reaches the reconciler.
      await expect(mesh.create({ injector: { replicas: 0 } })).rejects.toSatisfy((err: unknown) =>
        apiMessage(err).includes(
          'spec.injector.replicas: Invalid value: 0: spec.injector.replicas in body should be greater than or equal to 1',
        ),
      );
      await mesh.create({ version: '0.1.0' });
      expect(await reconcile()).toBeUndefined();
      const installed = await k.apps.readNamespacedDeployment({ namespace: ns, name: names.injector });

      // Argo CD (say) takes spec.replicas with a forced apply: the operator reports it and does not fight.
      const objects = KubernetesObjectApi.makeApiClient(k.kc);
      await objects.patch(
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: names.injector, namespace: ns },
          spec: { replicas: 3 },
        },
        undefined,
        undefined,
        'argocd-controller',
        true,
        PatchStrategy.ServerSideApply,
      );
      expect(await reconcile()).toEqual({ requeueAfterMs: 60_000 });
      const degraded = condition(await mesh.read(), 'Degraded');
      expect(degraded).toMatchObject({ status: 'True', reason: 'FieldConflict' });
      expect(degraded?.message).toContain(`Deployment ${ns}/trellis-injector`);
      expect(degraded?.message).toContain('conflict with "argocd-controller"');
      expect(degraded?.message).toContain('.spec.replicas');
      const after = (await k.apps.readNamespacedDeployment({
        namespace: ns,
        name: names.injector,
      })) as V1Deployment;
      expect(after.spec?.replicas).toBe(3);

      // The other manager gives the field back (asks for what we ask): Degraded clears.
      await objects.patch(
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: names.injector, namespace: ns } },
        undefined,
        undefined,
        'argocd-controller',
        true,
        PatchStrategy.ServerSideApply,
      );
      expect(await reconcile()).toBeUndefined();
      expect(condition(await mesh.read(), 'Degraded')).toMatchObject({
        status: 'False',
        reason: 'AsExpected',
      });
      expect(
        (await k.apps.readNamespacedDeployment({ namespace: ns, name: names.injector })).spec?.replicas,
      ).toBe(2);

      // What the schema lets through but no image can carry: marked, nothing applied, the last good stays.
      const good = await k.apps.readNamespacedDeployment({ namespace: ns, name: names.injector });
      await mesh.patchSpec({ version: '0.2.0+build.1', proxy: { logLevel: 'debug' } });
      expect(await reconcile()).toBeUndefined();
      const invalid = await mesh.read();
      expect(condition(invalid, 'Degraded')).toMatchObject({
        status: 'True',
        reason: 'InvalidSpec',
        message: 'spec.version 0.2.0+build.1 cannot be an image tag (letters, digits, _ . - only)',
        observedGeneration: invalid.metadata.generation,
      });
      const kept = await k.apps.readNamespacedDeployment({ namespace: ns, name: names.injector });
      expect(kept.metadata?.generation).toBe(good.metadata?.generation);
      expect(kept.spec?.template.spec?.containers[0]?.image).toBe(
        installed.spec?.template.spec?.containers[0]?.image,
      );
      const settings = await k.core.readNamespacedConfigMap({ namespace: ns, name: names.injectorSettings });
      expect(JSON.parse(settings.data?.['settings.json'] ?? '{}')).toMatchObject({ logLevel: 'info' });
    } finally {
      await mesh.cleanup();
    }
  });

  test("with the user's issuerRef, the mesh CA is an intermediate signed by it, and the self-signed bootstrap goes", async ({
    kube: k,
    ns,
  }) => {
    const mesh = await isolatedInstall(k, ns);
    const { names, reconcile } = mesh;
    // The user's CA: a self-signed root in cert-manager's namespace behind a ClusterIssuer.
    const corp = `corp-ca-${ns}`;
    const cm = { group: 'cert-manager.io', version: 'v1' };
    const inCm = { ...cm, namespace: 'cert-manager' };
    const readyCert = (namespace: string, name: string) =>
      eventually(`Certificate ${namespace}/${name} Ready`, async () => {
        const c = (await k.custom.getNamespacedCustomObject({
          ...cm,
          namespace,
          plural: 'certificates',
          name,
        })) as {
          status?: { conditions?: Array<{ type: string; status: string }> };
        };
        return c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')
          ? true
          : undefined;
      });
    const removeCorp = async () => {
      for (const remove of [
        () => k.custom.deleteClusterCustomObject({ ...cm, plural: 'clusterissuers', name: corp }),
        () => k.custom.deleteNamespacedCustomObject({ ...inCm, plural: 'certificates', name: corp }),
        () => k.custom.deleteNamespacedCustomObject({ ...inCm, plural: 'issuers', name: corp }),
        () => k.core.deleteNamespacedSecret({ namespace: 'cert-manager', name: corp }),
      ]) {
        await remove().catch((err: unknown) => {
          if (apiStatus(err) !== 404) throw err;
        });
      }
    };
    try {
      await k.custom.createNamespacedCustomObject({
        ...inCm,
        plural: 'issuers',
        body: {
          apiVersion: 'cert-manager.io/v1',
          kind: 'Issuer',
          metadata: { name: corp },
          spec: { selfSigned: {} },
        },
      });
      await k.custom.createNamespacedCustomObject({
        ...inCm,
        plural: 'certificates',
        body: {
          apiVersion: 'cert-manager.io/v1',
          kind: 'Certificate',
          metadata: { name: corp },
          spec: {
            isCA: true,
            commonName: 'Corp Root CA',
            secretName: corp,
            privateKey: { algorithm: 'ECDSA', size: 256 },
            issuerRef: { name: corp, kind: 'Issuer' },
          },
        },
      });
      await k.custom.createClusterCustomObject({
        ...cm,
        plural: 'clusterissuers',
        body: {
          apiVersion: 'cert-manager.io/v1',
          kind: 'ClusterIssuer',
          metadata: { name: corp },
          spec: { ca: { secretName: corp } },
        },
      });
      await readyCert('cert-manager', corp);

      // Installed self-signed first, then moved to the user's issuer.
      await mesh.create({ version: '0.1.0' });
      await reconcile();
      await readyCert('cert-manager', names.caCertificate);
      await mesh.patchSpec({ certificates: { root: { selfSigned: null, issuerRef: { name: corp } } } });
      await reconcile();
      await eventually('the bootstrap Issuer deleted', async () => {
        try {
          await k.custom.getNamespacedCustomObject({
            ...inCm,
            plural: 'issuers',
            name: names.selfSignedIssuer,
          });
          return undefined;
        } catch (err) {
          if (apiStatus(err) === 404) return true;
          throw err;
        }
      });
      const corpCa = new X509Certificate(
        pem(
          (await k.core.readNamespacedSecret({ namespace: 'cert-manager', name: corp })).data?.['tls.crt'] ??
            '',
        ),
      );
      // cert-manager reissues the mesh CA from the user's issuer. It keeps its key (rotationPolicy
      // Never), so what it signed before, the serving certificate included, stays valid under it.
      const meshCa = await eventually('the mesh CA signed by the corp CA', async () => {
        await reconcile();
        const secret = await k.core.readNamespacedSecret({ namespace: 'cert-manager', name: names.caSecret });
        const cert = new X509Certificate(pem(secret.data?.['tls.crt'] ?? ''));
        return cert.verify(corpCa.publicKey) ? cert : undefined;
      });
      expect(meshCa.ca).toBe(true);
      expect(meshCa.issuer).toContain('CN=Corp Root CA');
      const serving = await eventually('the serving certificate valid under the intermediate', async () => {
        await reconcile();
        const secret = await k.core.readNamespacedSecret({ namespace: ns, name: names.injectorTls });
        const cert = new X509Certificate(pem(secret.data?.['tls.crt'] ?? ''));
        return cert.verify(meshCa.publicKey) ? cert : undefined;
      });
      expect(serving.issuer).toBe(meshCa.subject);
    } finally {
      await mesh.cleanup();
      await removeCorp();
    }
  });
});
