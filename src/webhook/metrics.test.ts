import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';

describe('webhook metrics', () => {
  it('count reviews by result and reason, and time them by result', async () => {
    const m = createMetrics({ processMetrics: false });
    m.observe({ result: 'skipped', reason: 'host-network' }, 0.0004);
    m.observe({ result: 'skipped', reason: 'host-network' }, 0.002);
    const text = await m.registry.metrics();
    expect(text).toContain('trellis_webhook_injections_total{result="skipped",reason="host-network"} 2');
    expect(text).toContain(
      'trellis_webhook_admission_duration_seconds_bucket{le="0.0005",result="skipped"} 1',
    );
    expect(text).toContain(
      'trellis_webhook_admission_duration_seconds_bucket{le="0.0025",result="skipped"} 2',
    );
  });

  it('keep separate registries per server', async () => {
    const a = createMetrics({ processMetrics: true });
    const b = createMetrics({ processMetrics: false });
    a.observe({ result: 'injected', reason: 'pod-label' }, 0.001);
    expect(await b.registry.metrics()).not.toContain('reason="pod-label"');
    expect(await a.registry.metrics()).toContain('trellis_injector_process_cpu_seconds_total');
  });
});
