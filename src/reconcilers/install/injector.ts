import type { MeshConfigSpec } from '../../api/crds/index.js';
import { annotations } from '../../api/names.js';
import { type InstallObject, type MeshOwner, ownerReferences } from './object.js';
import { settingsKey } from './settings.js';
import {
  type InstallTarget,
  injectorComponent,
  installLabel,
  installLabels,
  installNames,
} from './target.js';
import { controlPlaneImageFor } from './version.js';

/** Where the injector's container reads its settings and serving certificate. */
export const injectorPaths = {
  settingsDir: '/etc/trellis/injector/settings',
  certDir: '/etc/trellis/injector/tls',
} as const;
export const injectorPort = 9443;

/** The labels the injector's pods carry and its Deployment, Service and PodDisruptionBudget select by. */
export function injectorSelector(target: InstallTarget): Record<string, string> {
  return { 'app.kubernetes.io/name': installNames(target).injector, [installLabel]: target.instance };
}

/**
 * The injector's identity and workload. Its only API call is `GET /version` (to decide `nativeSidecar:
 * auto`), so its RBAC is one ClusterRole granting exactly that, not left to the default discovery
 * bindings a hardened cluster may have removed.
 */
export function desiredInjector(
  spec: MeshConfigSpec,
  target: InstallTarget,
  owner: MeshOwner,
  version: string,
  settingsJson: string,
): InstallObject[] {
  const names = installNames(target);
  const labels = installLabels(target, injectorComponent);
  const meta = (name: string, namespaced = true) => ({
    name,
    ...(namespaced ? { namespace: target.namespace } : {}),
    labels,
    ownerReferences: ownerReferences(owner),
  });
  const selector = injectorSelector(target);
  const podLabels = {
    ...labels,
    ...selector,
    // The control plane is never meshed.
    [annotations.inject]: 'false',
  };
  const probe = (path: string, periodSeconds: number) => ({
    httpGet: { path, port: 'https', scheme: 'HTTPS' },
    periodSeconds,
    failureThreshold: 3,
  });
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(names.injector) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: meta(names.injectorClusterRole, false),
      rules: [{ nonResourceURLs: ['/version'], verbs: ['get'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta(names.injectorClusterRole, false),
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: names.injectorClusterRole,
      },
      subjects: [{ kind: 'ServiceAccount', name: names.injector, namespace: target.namespace }],
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(names.injectorSettings),
      data: { [settingsKey]: settingsJson },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(names.injector),
      spec: {
        selector,
        ports: [{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }],
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(names.injector),
      spec: {
        replicas: spec.injector.replicas,
        selector: { matchLabels: selector },
        // Never fewer ready injectors than asked for during a rollout: pods are refused while none answers.
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels: podLabels },
          spec: {
            serviceAccountName: names.injector,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 65532,
              runAsGroup: 65532,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            // Above the injector's 5 s drain.
            terminationGracePeriodSeconds: 30,
            // Spread over nodes and zones, preferably: a cluster of one node still runs every replica.
            topologySpreadConstraints: ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'].map(
              (topologyKey) => ({
                maxSkew: 1,
                topologyKey,
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: { matchLabels: selector },
              }),
            ),
            containers: [
              {
                name: 'injector',
                image: controlPlaneImageFor(version),
                command: ['node', 'dist/webhook/main.js'],
                env: [
                  { name: 'TRELLIS_INJECTOR_SETTINGS', value: `${injectorPaths.settingsDir}/${settingsKey}` },
                  { name: 'TRELLIS_INJECTOR_CERT_DIR', value: injectorPaths.certDir },
                  { name: 'TRELLIS_INJECTOR_PORT', value: String(injectorPort) },
                ],
                ports: [{ name: 'https', containerPort: injectorPort, protocol: 'TCP' }],
                readinessProbe: probe('/readyz', 5),
                livenessProbe: probe('/healthz', 10),
                resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
                volumeMounts: [
                  { name: 'settings', mountPath: injectorPaths.settingsDir, readOnly: true },
                  { name: 'tls', mountPath: injectorPaths.certDir, readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: 'settings', configMap: { name: names.injectorSettings } },
              { name: 'tls', secret: { secretName: names.injectorTls } },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta(names.injector),
      // One at a time; never blocks a drain outright, even with a single replica.
      spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
    },
  ];
}
