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
import { meshConfigSpec } from '../../src/api/crds/index.js';
import { installManifests } from '../../src/cli/install.js';
import { desiredInjector } from '../../src/reconcilers/install/injector.js';
import { defaultInstallTarget } from '../../src/reconcilers/install/target.js';
import { apiStatus, rawRequest } from '../support/kube.js';
import { createTestNamespace, deleteNamespace, test } from '../support/namespace.js';

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
        'Role/trellis-system/trellis-operator-install',
        'RoleBinding/trellis-system/trellis-operator-install',
        'Role/cert-manager/trellis-operator-mesh-ca',
        'RoleBinding/cert-manager/trellis-operator-mesh-ca',
        'Deployment/trellis-system/trellis-operator',
        'MeshConfig//default',
      ].sort(),
    );
  });

  test('the API server accepts kubectl apply --dry-run=server -k config/', async () => {
    const out = await kubectl('apply', '--dry-run=server', '-k', 'config/');
    // One line per object, each validated by the server (the MeshConfig against its CRD schema).
    expect(out.trim().split('\n')).toHaveLength(17);
    // `configured` when the shared cluster holds them already (the e2e tests install config/ for real).
    expect(out).toMatch(/^meshconfig\.trellis\.dev\/default (created|configured) \(server dry run\)$/m);
    expect(out).toMatch(/^deployment\.apps\/trellis-operator (created|configured) \(server dry run\)$/m);
    expect(out).toMatch(
      /^role\.rbac\.authorization\.k8s\.io\/trellis-operator-mesh-ca (created|configured) \(server dry run\)$/m,
    );
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
  const installRole = readYaml<V1Role>('rbac/install-role.yaml');
  const meshCaRole = readYaml<V1Role>('rbac/install-cert-manager-role.yaml');

  test('the bindings grant the roles to the Deployment’s ServiceAccount', () => {
    const sa = readYaml<Obj>('operator/serviceaccount.yaml');
    const deployment = readYaml<{ spec: { template: { spec: { serviceAccountName: string } } } }>(
      'operator/deployment.yaml',
    );
    expect(deployment.spec.template.spec.serviceAccountName).toBe(sa.metadata.name);
    for (const [file, role] of [
      ['rbac/operator-clusterrolebinding.yaml', 'rbac/operator-clusterrole.yaml'],
      ['rbac/leader-election-rolebinding.yaml', 'rbac/leader-election-role.yaml'],
      ['rbac/install-rolebinding.yaml', 'rbac/install-role.yaml'],
      ['rbac/install-cert-manager-rolebinding.yaml', 'rbac/install-cert-manager-role.yaml'],
    ] as const) {
      const binding = readYaml<{
        subjects: unknown[];
        roleRef: { kind: string; name: string };
        metadata: Obj['metadata'];
      }>(file);
      expect(binding.subjects).toEqual([
        { kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace },
      ]);
      const bound = readYaml<Obj>(role);
      expect(binding.roleRef).toEqual({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: bound.kind,
        name: bound.metadata.name,
      });
      expect(binding.metadata.namespace).toBe(bound.metadata.namespace);
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
    // The install Role lives in `ns` too (as in trellis-system); the mesh CA Role in a namespace standing
    // for cert-manager's.
    const caNs = await createTestNamespace(kube, 'cm');
    const injectorRoleName = `trellis-injector-${ns}`;
    for (const [namespace, role] of [
      [ns, installRole],
      [caNs, meshCaRole],
    ] as const) {
      const roleName = role.metadata?.name ?? '';
      await rbac.createNamespacedRole({
        namespace,
        body: { metadata: { name: roleName }, rules: role.rules },
      });
      await rbac.createNamespacedRoleBinding({
        namespace,
        body: {
          metadata: { name: roleName },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
          subjects,
        },
      });
    }
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
              ...(attrs.resource === '/version'
                ? { nonResourceAttributes: { verb: attrs.verb, path: '/version' } }
                : { resourceAttributes: attrs }),
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
        // Install (docs/install.md): the MeshConfig's finalizer and status.
        ...['get', 'patch'].map((verb) => ({
          verb,
          group: 'trellis.dev',
          resource: 'meshconfigs',
          name: 'default',
        })),
        {
          verb: 'patch',
          group: 'trellis.dev',
          resource: 'meshconfigs',
          subresource: 'status',
          name: 'default',
        },
        // Cluster-scoped objects: watched and created; read, changed, deleted by name.
        ...['list', 'watch', 'create'].flatMap((verb) => [
          { verb, group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations' },
          { verb, group: 'cert-manager.io', resource: 'clusterissuers' },
          { verb, group: 'rbac.authorization.k8s.io', resource: 'clusterroles' },
          { verb, group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings' },
        ]),
        ...['get', 'patch', 'delete'].map((verb) => ({
          verb,
          group: 'admissionregistration.k8s.io',
          resource: 'mutatingwebhookconfigurations',
          name: 'trellis-injector',
        })),
        ...['patch', 'delete'].flatMap((verb) => [
          { verb, group: 'cert-manager.io', resource: 'clusterissuers', name: 'trellis-mesh-ca' },
          { verb, group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: 'trellis-injector' },
          {
            verb,
            group: 'rbac.authorization.k8s.io',
            resource: 'clusterrolebindings',
            name: 'trellis-injector',
          },
        ]),
        // Held, so the injector's ClusterRole grants nothing the operator lacks.
        { verb: 'get', resource: '/version' },
        // In the control-plane namespace: the injector's objects.
        ...['list', 'watch', 'create', 'patch', 'delete'].flatMap((verb) => [
          { verb, namespace: ns, resource: 'serviceaccounts', name: 'trellis-injector' },
          { verb, namespace: ns, resource: 'services', name: 'trellis-injector' },
          {
            verb,
            namespace: ns,
            group: 'policy',
            resource: 'poddisruptionbudgets',
            name: 'trellis-injector',
          },
          { verb, namespace: ns, group: 'apps', resource: 'deployments', name: 'trellis-injector' },
          { verb, namespace: ns, resource: 'configmaps', name: 'trellis-injector-settings' },
          {
            verb,
            namespace: ns,
            group: 'cert-manager.io',
            resource: 'certificates',
            name: 'trellis-injector',
          },
        ]),
        { verb: 'get', namespace: ns, group: 'apps', resource: 'deployments', name: 'trellis-injector' },
        {
          verb: 'get',
          namespace: ns,
          group: 'cert-manager.io',
          resource: 'certificates',
          name: 'trellis-injector',
        },
        { verb: 'delete', namespace: ns, resource: 'secrets', name: 'trellis-injector-tls' },
        // In cert-manager's namespace: the bootstrap Issuer and the CA Certificate.
        ...['list', 'watch', 'create', 'patch', 'delete'].map((verb) => ({
          verb,
          namespace: caNs,
          group: 'cert-manager.io',
          resource: 'issuers',
          name: 'trellis-mesh-selfsigned',
        })),
        {
          verb: 'get',
          namespace: caNs,
          group: 'cert-manager.io',
          resource: 'certificates',
          name: 'trellis-mesh-ca',
        },
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
        { verb: 'patch', group: 'trellis.dev', resource: 'meshconfigs', name: 'other' },
        // No way to grant what it does not hold: neither bind nor escalate, nor changes to other roles.
        { verb: 'bind', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: 'cluster-admin' },
        {
          verb: 'escalate',
          group: 'rbac.authorization.k8s.io',
          resource: 'clusterroles',
          name: 'trellis-injector',
        },
        { verb: 'patch', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: 'admin' },
        {
          verb: 'delete',
          group: 'rbac.authorization.k8s.io',
          resource: 'clusterrolebindings',
          name: 'cluster-admin',
        },
        {
          verb: 'create',
          namespace: elsewhere,
          group: 'rbac.authorization.k8s.io',
          resource: 'rolebindings',
        },
        {
          verb: 'patch',
          group: 'admissionregistration.k8s.io',
          resource: 'mutatingwebhookconfigurations',
          name: 'other',
        },
        {
          verb: 'create',
          group: 'admissionregistration.k8s.io',
          resource: 'validatingwebhookconfigurations',
        },
        { verb: 'delete', group: 'cert-manager.io', resource: 'clusterissuers', name: 'other' },
        { verb: 'create', namespace: elsewhere, group: 'cert-manager.io', resource: 'issuers' },
        { verb: 'create', namespace: elsewhere, group: 'apps', resource: 'deployments' },
        { verb: 'delete', namespace: elsewhere, group: 'apps', resource: 'deployments' },
        { verb: 'create', namespace: elsewhere, resource: 'serviceaccounts' },
        {
          verb: 'create',
          namespace: ns,
          resource: 'serviceaccounts',
          subresource: 'token',
          name: 'trellis-injector',
        },
        { verb: 'get', namespace: ns, resource: 'secrets', name: 'trellis-injector-tls' },
        { verb: 'get', namespace: caNs, resource: 'secrets', name: 'trellis-mesh-ca' },
        { verb: 'update', namespace: elsewhere, group: 'coordination.k8s.io', resource: 'leases' },
        { verb: 'update', group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations' },
      ];
      const decide = async (list: V1ResourceAttributes[]) =>
        Promise.all(list.map(async (a) => [JSON.stringify(a), await can(a)] as const));
      const notAllowed = (await decide(allowed)).filter(([, ok]) => !ok).map(([a]) => a);
      const notDenied = (await decide(denied)).filter(([, ok]) => ok).map(([a]) => a);
      expect({ notAllowed, notDenied }).toEqual({ notAllowed: [], notDenied: [] });

      // The API server's escalation check, for real: as the operator, the injector's ClusterRole and
      // binding (exactly as install/injector.ts renders them) are accepted without bind or escalate,
      // because it holds GET /version; a role granting one thing more is refused.
      const asOperator = (path: string, body: unknown) =>
        rawRequest(
          kube.kc,
          'POST',
          path,
          {
            'content-type': 'application/json',
            'Impersonate-User': `system:serviceaccount:${ns}:${sa}`,
            'Impersonate-Group': 'system:authenticated',
          },
          body,
        );
      const injectorTarget = { ...defaultInstallTarget, namespace: ns, suffix: `-${ns}`, instance: ns };
      const owner = { apiVersion: 'v1', kind: 'Namespace', name: ns, uid: 'none' };
      const [injectorRole, injectorBinding] = desiredInjector(
        meshConfigSpec.parse({}),
        injectorTarget,
        owner,
        '0.1.0',
        '{}',
      )
        .filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')
        .map(({ metadata, ...rest }) => ({ ...rest, metadata: { name: metadata.name } }));
      await asOperator('/apis/rbac.authorization.k8s.io/v1/clusterroles', injectorRole);
      await asOperator('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', injectorBinding);
      await expect(
        asOperator('/apis/rbac.authorization.k8s.io/v1/clusterroles', {
          metadata: { name: `${injectorRoleName}-more` },
          rules: [
            { nonResourceURLs: ['/version'], verbs: ['get'] },
            { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
          ],
        }),
      ).rejects.toThrow(/403 .*attempting to grant RBAC permissions not currently held/);
    } finally {
      // Cluster-scoped, so the namespace's deletion does not take them along.
      for (const remove of [
        () => rbac.deleteClusterRoleBinding({ name }),
        () => rbac.deleteClusterRole({ name }),
        () => rbac.deleteClusterRoleBinding({ name: injectorRoleName }),
        () => rbac.deleteClusterRole({ name: injectorRoleName }),
        () => deleteNamespace(kube, caNs),
      ]) {
        await remove().catch((err: unknown) => {
          if (apiStatus(err) !== 404) throw err;
        });
      }
    }
  });
});
