import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The image table: which local program stands for which image. There is no
 * container runtime here, so an image is its entrypoint (a TypeScript main of
 * this checkout, run with `node --import tsx`) and the user its Dockerfile
 * sets. A container's `command` names one of the image's programs (`trellis-init`,
 * `node dist/webhook/main.js`), or a host tool (`sh`, `sleep`) used as is.
 */

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** tsx's loader by path, so a container's working directory need not be the checkout. */
const tsxLoader = pathToFileURL(`${repoRoot}node_modules/tsx/dist/loader.mjs`).href;

export interface ImageEntry {
  /** The image's CMD, a key of `programs` followed by its arguments. */
  cmd: string[];
  /** Program names the image provides → the TypeScript source that runs for each (from the repo root). */
  programs: Record<string, string>;
  /** The image's USER, used when the pod does not say. */
  user?: { uid: number; gid: number };
}

const sidecar: ImageEntry = {
  cmd: ['trellis-proxy'],
  programs: {
    'trellis-init': 'src/sidecar-image/init/main.ts',
    'trellis-proxy': 'src/sidecar-image/proxy/main.ts',
    'dist/sidecar-image/init/main.js': 'src/sidecar-image/init/main.ts',
    'dist/sidecar-image/proxy/main.js': 'src/sidecar-image/proxy/main.ts',
  },
  user: { uid: 1337, gid: 1337 },
};

const controlPlane: ImageEntry = {
  cmd: ['dist/operator/main.js'],
  programs: {
    'dist/operator/main.js': 'src/operator/main.ts',
    'dist/webhook/main.js': 'src/webhook/main.ts',
  },
  user: { uid: 65532, gid: 65532 },
};

const app = (source: string): ImageEntry => ({ cmd: ['app'], programs: { app: source } });

export const images: Record<string, ImageEntry> = {
  'trellis/sidecar': sidecar,
  'ghcr.io/trellis-mesh/trellis-sidecar': sidecar,
  'trellis/control-plane': controlPlane,
  'ghcr.io/trellis-mesh/trellis-control-plane': controlPlane,
  'trellis-e2e/http-app': app('test/e2e/apps/http-app.ts'),
  // The mesh sample (test/e2e/mesh/sample.ts) and the scenarios' clients.
  'trellis-e2e/frontend': app('test/e2e/apps/frontend.ts'),
  'trellis-e2e/orders': app('test/e2e/apps/orders.ts'),
  'trellis-e2e/payments': app('test/e2e/apps/payments.ts'),
  'trellis-e2e/flaky': app('test/e2e/apps/flaky.ts'),
  'trellis-e2e/tcp-echo': app('test/e2e/apps/tcp-echo.ts'),
  'trellis-e2e/loadgen': app('test/e2e/apps/loadgen.ts'),
  'trellis-e2e/wire-tap': app('test/e2e/apps/wire-tap.ts'),
};

/** `registry/repo:tag@sha256:…` → `registry/repo`; a `docker.io/` or `docker.io/library/` prefix dropped. */
export function repository(image: string): string {
  const noDigest = image.split('@')[0] ?? image;
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.indexOf(':', lastSlash + 1);
  const repo = colon === -1 ? noDigest : noDigest.slice(0, colon);
  return repo.replace(/^docker\.io\/(library\/)?/, '');
}

export interface ResolvedImage {
  argv: string[];
  user?: { uid: number; gid: number };
  /** The checkout's source file the argv runs, when it is one of the image's programs. */
  source?: string;
}

/**
 * The argv a container runs, as a runtime would compose the image's CMD with
 * the pod's `command` and `args`. Undefined for an image the table does not
 * know: the pod's "pull" fails.
 */
export function resolveImage(
  image: string,
  command: string[] | undefined,
  args: string[] | undefined,
  table: Record<string, ImageEntry> = images,
): ResolvedImage | undefined {
  const entry = table[repository(image)];
  if (!entry) return undefined;
  // As a runtime does: command replaces the entrypoint and drops CMD; args alone replace CMD.
  const words = command?.length ? [...command, ...(args ?? [])] : args?.length ? args : entry.cmd;
  // `node dist/x.js` is the image's node running one of its programs.
  const [first = '', ...rest] = words[0] === 'node' ? words.slice(1) : words;
  const source = entry.programs[first];
  const argv = source
    ? [process.execPath, '--import', tsxLoader, `${repoRoot}${source}`, ...rest]
    : words[0] === 'node'
      ? [process.execPath, ...words.slice(1)]
      : words;
  return {
    argv,
    ...(entry.user ? { user: entry.user } : {}),
    ...(source ? { source: `${repoRoot}${source}` } : {}),
  };
}

/**
 * Why "pulling" a container's image fails, as the `ErrImagePull` message
 * says it: an image not in the table, or a program of it that this checkout
 * does not have (yet). Undefined when it can run.
 */
export function pullError(
  image: string,
  command: string[] | undefined,
  args: string[] | undefined,
  exists: (path: string) => boolean,
): string | undefined {
  const resolved = resolveImage(image, command, args);
  if (!resolved)
    return `image "${image}" is not in the node agent's image table (test/e2e/node-agent/images.ts)`;
  if (resolved.source && !exists(resolved.source)) {
    return `image "${image}": its program ${resolved.source.slice(repoRoot.length)} is not in this checkout`;
  }
  return undefined;
}
