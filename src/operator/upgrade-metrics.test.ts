import { describe, expect, it } from 'vitest';
import { OperatorMetrics } from './metrics.js';
import { DataPlaneMetrics } from './upgrade-metrics.js';

describe('DataPlaneMetrics', () => {
  it("exposes drift and outdated pods on the operator's registry, replaced on each record", async () => {
    const operator = new OperatorMetrics();
    const metrics = new DataPlaneMetrics(operator.registry);
    metrics.record({ drift: 3, outdated: 7 });
    metrics.record({ drift: 2, outdated: 7 });
    const text = await operator.registry.metrics();
    expect(text).toContain('trellis_injection_drift_pods 2\n');
    expect(text).toContain('trellis_outdated_proxy_pods 7\n');
  });
});
