import { describe, expect, it } from 'vitest';
import { meshConfig, meshConfigCrd, meshConfigSpec } from './mesh-config.js';
import { toStructural } from './structural.js';

const rulesOf = (node: unknown) =>
  ((node as Record<string, unknown>)['x-kubernetes-validations'] as { rule: string; message: string }[]) ??
  [];

describe('MeshConfig spec', () => {
  const defaults = meshConfigSpec.parse(undefined);

  it('defaults to a self-signed root and 24h workload certificates renewed 8h before expiry', () => {
    expect(defaults.certificates).toEqual({
      root: { selfSigned: {} },
      workload: { duration: '24h', renewBefore: '8h' },
    });
  });

  it('defaults to two injector replicas that fail closed, and a permissive mesh', () => {
    expect(defaults.injector).toEqual({ replicas: 2, failurePolicy: 'Fail' });
    expect(defaults.mtlsMode).toBe('PERMISSIVE');
    expect(defaults.outboundTrafficPolicy).toBe('ALLOW_ANY');
    expect(defaults.trustDomain).toBe('cluster.local');
  });

  it('defaults to Manual upgrades, not paused', () => {
    expect(defaults.upgrade).toEqual({
      strategy: 'Manual',
      pace: '30s',
      workloadTimeout: '10m',
      paused: false,
    });
  });

  it('fills a user issuerRef with ClusterIssuer of cert-manager.io', () => {
    const spec = meshConfigSpec.parse({ certificates: { root: { issuerRef: { name: 'corp-ca' } } } });
    expect(spec.certificates.root).toEqual({
      issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    });
  });

  it('refuses out-of-range and unknown values', () => {
    expect(meshConfigSpec.safeParse({ injector: { replicas: 0 } }).success).toBe(false);
    expect(meshConfigSpec.safeParse({ proxy: { nativeSidecar: 'maybe' } }).success).toBe(false);
    expect(meshConfigSpec.safeParse({ tracing: { samplingPercent: 101 } }).success).toBe(false);
    expect(meshConfigSpec.safeParse({ tracing: { otlpEndpoint: 'collector:4318' } }).success).toBe(false);
    expect(meshConfigSpec.safeParse({ upgrade: { strategy: 'Auto' } }).success).toBe(false);
  });

  it('asks the API server for exactly one root and a renewal inside the lifetime', () => {
    const schema = toStructural(meshConfigSpec) as {
      properties: Record<string, { properties: Record<string, unknown> }>;
    };
    const certificates = schema.properties.certificates?.properties ?? {};
    expect(rulesOf(certificates.root).map((r) => r.rule)).toEqual([
      'has(self.selfSigned) != has(self.issuerRef)',
    ]);
    expect(rulesOf(certificates.workload).map((r) => r.rule)).toEqual([
      "duration(self.duration) >= duration('1h')",
      'duration(self.renewBefore) < duration(self.duration)',
    ]);
  });
});

describe('MeshConfig CRD', () => {
  it('is cluster-scoped, short name mc, and only the name default is allowed', () => {
    expect(meshConfigCrd.scope).toBe('Cluster');
    expect(meshConfigCrd.shortNames).toEqual(['mc']);
    expect(meshConfigCrd.rules.map((r) => r.rule)).toEqual(["self.metadata.name == 'default'"]);
  });
});

describe('meshConfig', () => {
  it('parses a whole object as read from the API server, status included', () => {
    const parsed = meshConfig.parse({
      apiVersion: 'trellis.dev/v1alpha1',
      kind: 'MeshConfig',
      metadata: { name: 'default', generation: 4 },
      spec: {},
      status: { observedGeneration: 4, installedVersion: '0.1.0', outdatedPods: { count: 0 } },
    });
    expect(parsed.spec.injector.replicas).toBe(2);
    expect(parsed.status?.installedVersion).toBe('0.1.0');
  });
});
