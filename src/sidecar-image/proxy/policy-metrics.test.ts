import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';
import { policyMetrics } from './policy-metrics.js';

describe('policyMetrics', () => {
  it('registers the policy counters once per proxy registry, next to the golden signals', async () => {
    const metrics = createMetrics();
    const first = policyMetrics(metrics);
    expect(policyMetrics(metrics)).toBe(first);
    first.retries.inc({ destination_service: 'web.shop' });
    first.authz.inc({ result: 'deny', reason: 'denied', policy: 'AuthorizationPolicy shop/deny' });
    const text = await metrics.registry.metrics();
    expect(text).toContain('trellis_retries_total{destination_service="web.shop"} 1');
    expect(text).toContain(
      'trellis_authz_decisions_total{result="deny",reason="denied",policy="AuthorizationPolicy shop/deny"} 1',
    );
    expect(text).toContain('# TYPE trellis_requests_total counter');
  });

  it('keeps another proxy registry apart', async () => {
    const a = createMetrics();
    const b = createMetrics();
    policyMetrics(a).circuitOpen.inc({ destination_service: 'web.shop', limit: 'requests' });
    policyMetrics(b);
    expect(await b.registry.metrics()).not.toContain('trellis_circuit_open_total{');
  });
});
