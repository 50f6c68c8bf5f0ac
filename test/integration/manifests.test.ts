import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  AuthorizationV1Api,
  RbacAuthorizationV1Api,
  type V1ClusterRole,
  type V1ResourceAttributes,
  type V1Role,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, inject } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { installManifests } from '../../src/cli/install.js';
import { apiStatus } from '../support/kube.js';
import { test } from '../support/namespace.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const config = join(root, 'config');

/** kubectl from PATH (as cluster:up prints it), against the test cluster. */
async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('kubectl', ['--kubeconfig', inject('kubeconfig'), ...args], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

type Obj = { kind: string; metadata: { name: string; namespace?: string } };
const ids = (text: string) =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null)
    .map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)
    .sort();

const readYaml = <T>(path: string) => parse(readFileSync(join(config, path), 'utf8')) as T;

/**
 * A dry run of the CRs needs their CRDs, and of the namespaced objects their namespace: both are
 * applied for real (server-side, idempotent) and left in place, as cluster:up leaves the CRDs.
 */
beforeAll(async () => {
  await kubectl(
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=trellis-manifests-test',
    '-f',
    'config/crd/',
    '-f',
    'config/operator/namespace.yaml',
  );
  await kubectl('wait', '--for=condition=Established', '--timeout=60s', '-f', 'config/crd/');
}, 90_000);

describe('config/ manifests', () => {
  test('kubectl kustomize renders every object the kustomization lists', async () => {
    expect(ids(await kubectl('kustomize', 'config/'))).toEqual(
      [
        'CustomResourceDefinition//authorizationpolicies.trellis.dev',
        'CustomResourceDefinition//destinationpolicies.trellis.dev',
        'CustomResourceDefinition//meshconfigs.trellis.dev',
        'CustomResourceDefinition//peerauthentications.trellis.dev',
        'CustomResourceDefinition//trafficroutes.trellis.dev',
        'Namespace//trellis-system',
        'ServiceAccount/trellis-system/trellis-operator',
        'ClusterRole//trellis-operator',
        'ClusterRoleBinding//trellis-operator',
        'Role/trellis-system/trellis-operator-leader-election',
        'RoleBinding/trellis-system/trellis-operator-leader-election',
        'Deployment/trellis-system/trellis-operator',
        'MeshConfig//default',
      ].sort(),
    );
  });

  test('the API server accepts kubectl apply --dry-run=server -k config/', async () => {
    const out = await kubectl('apply', '--dry-run=server', '-k', 'config/');
    // One line per object, each validated by the server (the MeshConfig against its CRD schema).
    expect(out.trim().split('\n')).toHaveLength(13);
    expect(out).toContain('meshconfig.trellis.dev/default created (server dry run)');
    expect(out).toContain('deployment.apps/trellis-operator created (server dry run)');
  });

  test('trellisctl install holds the same objects, with --version applied, and the server accepts it', async () => {
    const stream = await installManifests({ version: '0.9.1' });
    expect(ids(stream)).toEqual(ids(await kubectl('kustomize', 'config/')));
    expect(stream).toContain('image: trellis/control-plane:0.9.1');
    const dir = mkdtempSync(join(tmpdir(), 'install-it-'));
    try {
      writeFileSync(join(dir, 'install.yaml'), stream);
      const out = await kubectl(
        'apply',
        '--server-side',
        '--dry-run=server',
        '-f',
        join(dir, 'install.yaml'),
      );
      expect(out).toContain('meshconfig.trellis.dev/default serverside-applied (server dry run)');
      const dryRun = await kubectl(
        'apply',
        '--server-side',
        '--dry-run=server',
        '-o',
        'jsonpath={.items[?(@.kind=="MeshConfig")].spec.version}',
        '-f',
        join(dir, 'install.yaml'),
      );
      expect(dryRun).toBe('0.9.1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('operator RBAC', () => {
  const clusterRole = readYaml<V1ClusterRole>('rbac/operator-clusterrole.yaml');
  const leaseRole = readYaml<V1Role>('rbac/leader-election-role.yaml');

  test('the bindings grant the roles to the Deployment’s ServiceAccount', () => {
    const sa = readYaml<Obj>('operator/serviceaccount.yaml');
    const deployment = readYaml<{ spec: { template: { spec: { serviceAccountName: string } } } }>(
      'operator/deployment.yaml',
    );
    expect(deployment.spec.template.spec.serviceAccountName).toBe(sa.metadata.name);
    for (const file of ['rbac/operator-clusterrolebinding.yaml', 'rbac/leader-election-rolebinding.yaml']) {
      const binding = readYaml<{ subjects: unknown[] }>(file);
      expect(binding.subjects).toEqual([
        { kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace },
      ]);
    }
  });

  test('the operator can do what its informers and reconcilers do, and nothing more', async ({
    kube,
    ns,
  }) => {
    const rbac = kube.kc.makeApiClient(RbacAuthorizationV1Api);
    const authz = kube.kc.makeApiClient(AuthorizationV1Api);
    // The committed rules, bound to a ServiceAccount of this test's own; the Lease Role lives in `ns`
    // as it lives in trellis-system.
    const name = `trellis-operator-${ns}`;
    const sa = 'operator';
    const subjects = [{ kind: 'ServiceAccount', name: sa, namespace: ns }];
    await kube.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: sa } } });
    await rbac.createNamespacedRole({
      namespace: ns,
      body: { metadata: { name: 'leader-election' }, rules: leaseRole.rules },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'leader-election' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'leader-election' },
        subjects,
      },
    });
    try {
      await rbac.createClusterRole({ body: { metadata: { name }, rules: clusterRole.rules } });
      await rbac.createClusterRoleBinding({
        body: {
          metadata: { name },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
          subjects,
        },
      });

      const can = async (attrs: V1ResourceAttributes) => {
        const review = await authz.createSubjectAccessReview({
          body: {
            spec: {
              user: `system:serviceaccount:${ns}:${sa}`,
              // The groups a real token carries, so what they grant by default counts too.
              groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
              resourceAttributes: attrs,
            },
          },
        });
        return review.status?.allowed === true;
      };
      const elsewhere = 'some-app';
      const allowed: V1ResourceAttributes[] = [
        ...['list', 'watch'].flatMap((verb) => [
          { verb, resource: 'services' },
          { verb, resource: 'pods' },
          { verb, resource: 'configmaps' },
          { verb, group: 'discovery.k8s.io', resource: 'endpointslices' },
          { verb, group: 'cert-manager.io', resource: 'certificates' },
          { verb, group: 'trellis.dev', resource: 'meshconfigs' },
          ...['trafficroutes', 'destinationpolicies', 'peerauthentications', 'authorizationpolicies'].map(
            (resource) => ({ verb, group: 'trellis.dev', resource }),
          ),
        ]),
        ...['create', 'patch', 'delete'].flatMap((verb) => [
          { verb, namespace: elsewhere, resource: 'configmaps', name: 'trellis-proxy-config' },
          { verb, namespace: elsewhere, group: 'cert-manager.io', resource: 'certificates' },
        ]),
        { verb: 'delete', namespace: elsewhere, resource: 'secrets', name: 'trellis-identity-web' },
        ...['trafficroutes', 'destinationpolicies', 'peerauthentications', 'authorizationpolicies'].map(
          (resource) => ({
            verb: 'patch',
            namespace: elsewhere,
            group: 'trellis.dev',
            resource,
            subresource: 'status',
          }),
        ),
        { verb: 'create', namespace: elsewhere, resource: 'events' },
        ...['get', 'create', 'update'].map((verb) => ({
          verb,
          namespace: ns,
          group: 'coordination.k8s.io',
          resource: 'leases',
          name: 'trellis-operator',
        })),
      ];
      const denied: V1ResourceAttributes[] = [
        { verb: 'delete', resource: 'namespaces', name: elsewhere },
        // Deleting a stale identity Secret needs no read: no Secret's content is readable.
        ...['get', 'list', 'watch'].map((verb) => ({ verb, namespace: elsewhere, resource: 'secrets' })),
        { verb: 'create', namespace: elsewhere, resource: 'secrets' },
        { verb: 'create', namespace: elsewhere, resource: 'pods' },
        { verb: 'delete', namespace: elsewhere, resource: 'pods' },
        { verb: 'patch', namespace: elsewhere, resource: 'services' },
        { verb: 'get', namespace: elsewhere, resource: 'configmaps', name: 'kube-root-ca.crt' },
        { verb: 'patch', namespace: elsewhere, group: 'trellis.dev', resource: 'trafficroutes' },
        { verb: 'delete', group: 'trellis.dev', resource: 'meshconfigs', name: 'default' },
        { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings' },
        { verb: 'update', namespace: elsewhere, group: 'coordination.k8s.io', resource: 'leases' },
        { verb: 'update', group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations' },
      ];
      const decide = async (list: V1ResourceAttributes[]) =>
        Promise.all(list.map(async (a) => [JSON.stringify(a), await can(a)] as const));
      const notAllowed = (await decide(allowed)).filter(([, ok]) => !ok).map(([a]) => a);
      const notDenied = (await decide(denied)).filter(([, ok]) => ok).map(([a]) => a);
      expect({ notAllowed, notDenied }).toEqual({ notAllowed: [], notDenied: [] });
    } finally {
      // Cluster-scoped, so the namespace's deletion does not take them along.
      for (const remove of [
        () => rbac.deleteClusterRoleBinding({ name }),
        () => rbac.deleteClusterRole({ name }),
      ]) {
        await remove().catch((err: unknown) => {
          if (apiStatus(err) !== 404) throw err;
        });
      }
    }
  });
});
