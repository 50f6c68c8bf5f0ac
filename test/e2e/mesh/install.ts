import { stringify } from 'yaml';
import type { MeshConfigSpecInput } from '../../../src/api/crds/mesh-config.js';
import { apiVersion, controlPlaneNamespace } from '../../../src/api/names.js';
import { repoRoot } from '../node-agent/images.js';
import { kubectl } from './kubectl.js';

/**
 * Installing Trellis as a user does: `kubectl apply --server-side -k config/`
 * (CRDs, trellis-system, the operator's RBAC and Deployment, MeshConfig
 * `default`), then waiting until the operator reports the MeshConfig Ready and
 * the injector it installed is available.
 */

const configDir = `${repoRoot}config`;
/** What the install reconciler creates from the MeshConfig (docs/injection.md, "Deploying it"). */
export const injector = { deployment: 'trellis-injector', webhookConfiguration: 'trellis-injector' } as const;

export interface InstallOptions {
  /** Fields set on MeshConfig `default` after the kustomization's own (e.g. `mtlsMode: STRICT`). */
  meshConfig?: MeshConfigSpecInput;
  /** How long the operator may take to make the mesh Ready. */
  timeoutSeconds?: number;
  log?: (line: string) => void;
}

export async function installTrellis(kubeconfig: string, opts: InstallOptions = {}): Promise<void> {
  const log = opts.log ?? (() => undefined);
  const timeout = `${opts.timeoutSeconds ?? 240}s`;
  log('applying the config/ kustomization');
  await kubectl(kubeconfig, ['apply', '--server-side', '--force-conflicts', '-k', configDir]);
  if (opts.meshConfig) await setMeshConfig(kubeconfig, opts.meshConfig);
  log('waiting for the operator to make MeshConfig default Ready');
  await kubectl(kubeconfig, ['wait', '--for=condition=Ready', 'meshconfig/default', `--timeout=${timeout}`], {
    timeoutMs: (opts.timeoutSeconds ?? 240) * 1000 + 10_000,
  });
  log('waiting for the injector');
  await kubectl(
    kubeconfig,
    [
      '-n',
      controlPlaneNamespace,
      'rollout',
      'status',
      `deployment/${injector.deployment}`,
      `--timeout=${timeout}`,
    ],
    { timeoutMs: (opts.timeoutSeconds ?? 240) * 1000 + 10_000 },
  );
}

/** Server-side applies these MeshConfig fields under a field manager of the tests' own. */
export async function setMeshConfig(kubeconfig: string, spec: MeshConfigSpecInput): Promise<void> {
  const doc = { apiVersion, kind: 'MeshConfig', metadata: { name: 'default' }, spec };
  await kubectl(
    kubeconfig,
    ['apply', '--server-side', '--force-conflicts', '--field-manager=trellis-e2e', '-f', '-'],
    {
      stdin: stringify(doc),
    },
  );
}

/**
 * Takes the mesh away again, leaving what the shared cluster had before: the
 * CRDs (cluster:up's), the namespace and RBAC stay; the MeshConfig, the
 * operator and whatever the operator installed go. The webhook configuration
 * goes explicitly: a fail-closed webhook with no injector behind it would
 * refuse every labelled pod of every later test.
 */
export async function uninstallTrellis(
  kubeconfig: string,
  log: (line: string) => void = () => undefined,
): Promise<void> {
  log('removing MeshConfig default, the operator and the injector');
  const del = (args: string[]) =>
    kubectl(kubeconfig, ['delete', '--ignore-not-found', '--wait=true', '--timeout=60s', ...args]).catch(
      (err: unknown) => log(String(err)),
    );
  try {
    // The operator's uninstall finalizer removes what it installed; it needs the operator running.
    await kubectl(kubeconfig, ['delete', 'meshconfig', 'default', '--ignore-not-found', '--timeout=90s'], {
      timeoutMs: 100_000,
    });
  } catch (err) {
    log(`MeshConfig default not removed by the operator (${String(err)}); dropping its finalizers`);
    await kubectl(kubeconfig, [
      'patch',
      'meshconfig',
      'default',
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]).catch((e: unknown) => log(String(e)));
  }
  await del(['mutatingwebhookconfiguration', injector.webhookConfiguration]);
  await del(['-n', controlPlaneNamespace, 'deployment', 'trellis-operator', injector.deployment]);
}
