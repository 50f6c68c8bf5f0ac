/**
 * The release this operator is: what a MeshConfig without `spec.version` installs. Equal to
 * package.json's version (a test keeps them together).
 */
export const operatorVersion = '0.1.0';

/** The control-plane image (operator and injector commands); its tag is the Trellis version. */
export const controlPlaneImage = 'ghcr.io/trellis-mesh/trellis-control-plane';

/** The sidecar image (trellis-init and trellis-proxy) when `spec.proxy.image` is absent. */
export const defaultProxyImage = 'ghcr.io/trellis-mesh/trellis-sidecar';

/** An image tag: what the version must be, since it tags both images. */
const imageTag = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * The version to run, or why the requested one cannot be. The CRD allows semver build metadata
 * (`0.2.0+build.1`), which no image tag or label value can carry: refused here, not guessed at.
 */
export function resolveVersion(
  requested: string | undefined,
): { ok: true; version: string } | { ok: false; message: string } {
  const version = requested ?? operatorVersion;
  if (!imageTag.test(version)) {
    return {
      ok: false,
      message: `spec.version ${version} cannot be an image tag (letters, digits, _ . - only)`,
    };
  }
  return { ok: true, version };
}

export const controlPlaneImageFor = (version: string) => `${controlPlaneImage}:${version}`;
