import { describe, expect, it } from 'vitest';
import { type ProxyConfigInput, parseProxyConfig } from './proxy-config.js';

const minimal: ProxyConfigInput = {
  schemaVersion: 1,
  namespace: 'shop',
  trustDomain: 'cluster.local',
  services: [
    {
      name: 'orders',
      namespace: 'shop',
      clusterIps: ['198.19.0.10'],
      ports: [{ name: 'http', port: 80, protocol: 'http' }],
      endpoints: [
        {
          ip: '198.18.0.5',
          ports: { http: 8080 },
          ready: true,
          identity: 'spiffe://cluster.local/ns/shop/sa/orders',
        },
      ],
    },
  ],
};

describe('parseProxyConfig', () => {
  it('fills defaults', () => {
    const r = parseProxyConfig(JSON.stringify(minimal));
    expect(r.ok && r.config.outboundTrafficPolicy).toBe('ALLOW_ANY');
    expect(r.ok && r.config.mtlsMode).toBe('PERMISSIVE');
    expect(r.ok && r.config.telemetry).toEqual({
      accessLog: { enabled: false },
      tracing: { samplingPercent: 1 },
    });
    expect(r.ok && r.config.services[0]?.endpoints[0]?.labels).toEqual({});
  });

  it('names the path of each bad field', () => {
    const bad = structuredClone(minimal) as {
      services: { endpoints: { ip: string }[]; ports: { port: number }[] }[];
    };
    const svc = bad.services[0];
    if (!svc?.endpoints[0] || !svc.ports[0]) throw new Error('fixture');
    svc.endpoints[0].ip = '300.1.1.1';
    svc.ports[0].port = 0;
    const r = parseProxyConfig(JSON.stringify(bad));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toContain('services.0.ports.0.port: Too small');
    expect(!r.ok && r.error).toContain('services.0.endpoints.0.ip: Invalid IPv4 address');
  });

  it('refuses fields it does not know, so a typo is not silently ignored', () => {
    const r = parseProxyConfig(JSON.stringify({ ...minimal, mtlsMod: 'STRICT' }));
    expect(!r.ok && r.error).toMatch(/Unrecognized key: "mtlsMod"/);
  });

  it('accepts a per-service load balancer and refuses an unknown one', () => {
    const svc = minimal.services[0];
    if (!svc) throw new Error('fixture');
    const rr = parseProxyConfig(
      JSON.stringify({ ...minimal, services: [{ ...svc, loadBalancer: 'ROUND_ROBIN' }] }),
    );
    expect(rr.ok && rr.config.services[0]?.loadBalancer).toBe('ROUND_ROBIN');
    const bad = parseProxyConfig(
      JSON.stringify({ ...minimal, services: [{ ...svc, loadBalancer: 'RANDOM' }] }),
    );
    expect(!bad.ok && bad.error).toMatch(/^services\.0\.loadBalancer: /);
  });

  it('refuses text that is not JSON', () => {
    const r = parseProxyConfig('{"schemaVersion": 1,');
    expect(!r.ok && r.error).toMatch(/^not JSON: /);
  });
});
