import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Document, parse, parseAllDocuments } from 'yaml';
import type { Command, Io } from './command.js';

/** The committed manifests: `config/` at the top of the checkout (from src/cli or dist/cli alike). */
export const defaultConfigDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../config');

/** The control-plane image whose tag `--version` sets. */
export const controlPlaneImage = 'trellis/control-plane';

// The MeshConfig CRD's own pattern for spec.version, so a version the API server would refuse is
// refused here first, and an image tag is never something odd like `latest` or a path.
const versionPattern = /^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$/;

export interface InstallOptions {
  /** Image tag and MeshConfig `spec.version`; absent, the committed files are printed as they are. */
  version?: string;
  configDir?: string;
}

/** The `resources` of `config/kustomization.yaml`, in order: the one list both installs read. */
export async function kustomizationResources(configDir = defaultConfigDir): Promise<string[]> {
  const k = parse(await readFile(resolve(configDir, 'kustomization.yaml'), 'utf8')) as {
    resources?: unknown;
  };
  if (!Array.isArray(k.resources) || !k.resources.every((r): r is string => typeof r === 'string')) {
    throw new Error(`${configDir}/kustomization.yaml: resources must be a list of paths`);
  }
  return k.resources;
}

/** Sets the tag of every control-plane container image in a workload, keeping the document's comments. */
function setImageTags(doc: Document, version: string): void {
  const list = (doc.toJS() as { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } }).spec
    ?.template?.spec?.containers;
  list?.forEach((c, i) => {
    if (c.image?.split(':')[0] === controlPlaneImage) {
      doc.setIn(['spec', 'template', 'spec', 'containers', i, 'image'], `${controlPlaneImage}:${version}`);
    }
  });
}

/**
 * The install manifests as one YAML stream: each file the kustomization lists, in its order, each
 * document as committed (comments kept), with `version` applied to the control-plane image and the
 * MeshConfig. Reads files only: a resource that is a folder or a remote base is refused, not guessed at.
 */
export async function installManifests(opts: InstallOptions = {}): Promise<string> {
  const configDir = opts.configDir ?? defaultConfigDir;
  const { version } = opts;
  if (version !== undefined && !versionPattern.test(version)) {
    throw new Error(`--version: "${version}" is not a version like 0.1.0`);
  }
  const out: string[] = [];
  for (const path of await kustomizationResources(configDir)) {
    if (!/\.ya?ml$/.test(path)) throw new Error(`kustomization resource "${path}" is not a YAML file`);
    const text = await readFile(resolve(configDir, path), 'utf8');
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]?.message}`);
      const kind = doc.get('kind');
      if (kind === undefined) continue;
      if (version !== undefined) {
        if (kind === 'Deployment') setImageTags(doc, version);
        if (kind === 'MeshConfig') doc.setIn(['spec', 'version'], version);
      }
      out.push(doc.toString());
    }
  }
  return out.join('---\n');
}

const usage = `Usage: trellisctl install [--version <x.y.z>] | kubectl apply --server-side -f -

Prints the Trellis install manifests (the files config/kustomization.yaml lists, in its
order: CRDs, namespace, RBAC, operator, the default MeshConfig) as one YAML stream.

Options:
  --version <x.y.z>   control-plane image tag and MeshConfig spec.version
                      (default: as committed)
`;

export const installCommand: Command = {
  summary: 'print the install manifests (CRDs, RBAC, operator, MeshConfig) as one YAML stream',
  async run(argv: string[], io: Io): Promise<number> {
    const { values } = parseArgs({
      args: argv,
      options: {
        version: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
    if (values.help) {
      io.stdout.write(usage);
      return 0;
    }
    io.stdout.write(await installManifests({ version: values.version }));
    return 0;
  },
};
