import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../canonical-json.js';
import { desiredInstall } from './desired.js';
import { owner, spec, target } from './testing/fixtures.js';

describe('desiredInstall', () => {
  it('lists the CA chain first and the webhook configuration last', () => {
    const out = desiredInstall(spec(), target, owner);
    if (!out.ok) throw new Error(out.message);
    expect(out.version).toBe('0.1.0');
    expect(out.objects.map((o) => o.kind)).toEqual([
      'Issuer',
      'Certificate',
      'ClusterIssuer',
      'Certificate',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'ConfigMap',
      'Service',
      'Deployment',
      'PodDisruptionBudget',
      'MutatingWebhookConfiguration',
    ]);
  });

  it.each([
    [{}, 'ghcr.io/trellis-mesh/trellis-control-plane:0.1.0'],
    [{ version: '0.2.0' }, 'ghcr.io/trellis-mesh/trellis-control-plane:0.2.0'],
    [{ version: 'v1.0.0-rc.1' }, 'ghcr.io/trellis-mesh/trellis-control-plane:v1.0.0-rc.1'],
  ])('%j runs %s', (input, image) => {
    const out = desiredInstall(spec(input), target, owner);
    const deployment = out.ok ? out.objects.find((o) => o.kind === 'Deployment') : undefined;
    expect(JSON.stringify(deployment)).toContain(`"image":"${image}"`);
  });

  it('is deterministic: the same MeshConfig gives the same bytes', () => {
    const input = {
      version: '0.2.0',
      proxy: { logLevel: 'debug' as const },
      injectionNamespaceExclusions: ['b', 'a'],
    };
    const a = desiredInstall(spec(input), target, owner);
    const b = desiredInstall(spec(structuredClone(input)), target, owner);
    expect(canonicalJson(a)).toBe(canonicalJson(b));
  });

  it.each([
    [
      { version: '1.0.0+build.7' },
      'spec.version 1.0.0+build.7 cannot be an image tag (letters, digits, _ . - only)',
    ],
    [
      { proxy: { image: 'example/sidecar@sha256:abc' } },
      'the injector would refuse these settings: ✖ must carry no tag or digest (the tag is `version`)\n  → at image',
    ],
  ])('refuses %j with no objects: %s', (input, message) => {
    expect(desiredInstall(spec(input), target, owner)).toEqual({ ok: false, message });
  });
});
