import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { installManifests } from './install.js';
import { trellisctl } from './trellisctl.js';

type Obj = {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: { version?: string; template?: { spec: { containers: { image: string }[] } } };
};
const objects = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Obj);

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('installManifests', () => {
  it('prints the committed files in the kustomization order', async () => {
    const objs = objects(await installManifests());
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'CustomResourceDefinition/meshconfigs.trellis.dev',
      'CustomResourceDefinition/trafficroutes.trellis.dev',
      'CustomResourceDefinition/destinationpolicies.trellis.dev',
      'CustomResourceDefinition/peerauthentications.trellis.dev',
      'CustomResourceDefinition/authorizationpolicies.trellis.dev',
      'Namespace/trellis-system',
      'ServiceAccount/trellis-operator',
      'ClusterRole/trellis-operator',
      'ClusterRoleBinding/trellis-operator',
      'Role/trellis-operator-leader-election',
      'RoleBinding/trellis-operator-leader-election',
      'Role/trellis-operator-install',
      'RoleBinding/trellis-operator-install',
      'Role/trellis-operator-mesh-ca',
      'RoleBinding/trellis-operator-mesh-ca',
      'Deployment/trellis-operator',
      'MeshConfig/default',
    ]);
  });

  it('--version sets the control-plane image tag and the MeshConfig version, keeping comments', async () => {
    const text = await installManifests({ version: '1.2.3-rc.1' });
    const objs = objects(text);
    const deployment = objs.find((o) => o.kind === 'Deployment');
    expect(deployment?.spec?.template?.spec.containers.map((c) => c.image)).toEqual([
      'trellis/control-plane:1.2.3-rc.1',
    ]);
    expect(objs.find((o) => o.kind === 'MeshConfig')?.spec?.version).toBe('1.2.3-rc.1');
    expect(text).toContain('# The control plane is never meshed.');
    expect(text).not.toContain('control-plane:0.1.0');
  });

  it('refuses a version the MeshConfig CRD would refuse', async () => {
    await expect(installManifests({ version: 'latest' })).rejects.toThrow('--version: "latest"');
  });

  it('refuses a kustomization resource that is not a YAML file, rather than guess', async () => {
    dir = mkdtempSync(join(tmpdir(), 'install-'));
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources: [rbac/]\n');
    await expect(installManifests({ configDir: dir })).rejects.toThrow('"rbac/" is not a YAML file');
  });
});

describe('trellisctl install', () => {
  it('writes the stream to stdout', async () => {
    let stdout = '';
    const io = {
      stdin: Readable.from(['']),
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: () => true },
    };
    expect(await trellisctl(['install', '--version', '0.2.0'], io)).toBe(0);
    expect(objects(stdout)).toHaveLength(17);
    expect(stdout).toContain('image: trellis/control-plane:0.2.0');
  });
});
