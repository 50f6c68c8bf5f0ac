import { describe, expect, it } from 'vitest';
import { OperatorMetrics } from './metrics.js';

describe('OperatorMetrics', () => {
  it('counts reconciles by result, observes seconds, counts retries and reads queue depth at scrape', async () => {
    const metrics = new OperatorMetrics();
    const observer = metrics.queueObserver('proxy-config');
    observer.reconciled('success', 0.02);
    observer.reconciled('error', 0.5);
    observer.reconciled('error', 0.1);
    observer.retried();
    let depth = 3;
    metrics.trackQueue('proxy-config', () => depth);
    metrics.setLeader(true);
    metrics.informerObserver('configmaps').restarted('watchdog');
    let text = await metrics.registry.metrics();
    expect(text).toContain('trellis_operator_reconciles_total{reconciler="proxy-config",result="success"} 1');
    expect(text).toContain('trellis_operator_reconciles_total{reconciler="proxy-config",result="error"} 2');
    expect(text).toContain('trellis_operator_reconcile_duration_seconds_count{reconciler="proxy-config"} 3');
    expect(text).toContain(
      'trellis_operator_reconcile_duration_seconds_bucket{le="0.025",reconciler="proxy-config"} 1',
    );
    expect(text).toContain('trellis_operator_reconcile_retries_total{reconciler="proxy-config"} 1');
    expect(text).toContain('trellis_operator_queue_depth{reconciler="proxy-config"} 3');
    expect(text).toContain('trellis_operator_leader 1');
    expect(text).toContain(
      'trellis_operator_informer_restarts_total{resource="configmaps",reason="watchdog"} 1',
    );
    depth = 0;
    metrics.setLeader(false);
    text = await metrics.registry.metrics();
    expect(text).toContain('trellis_operator_queue_depth{reconciler="proxy-config"} 0');
    expect(text).toContain('trellis_operator_leader 0');
    metrics.untrackQueue('proxy-config');
    expect(await metrics.registry.metrics()).not.toContain('trellis_operator_queue_depth{');
  });

  it('adds process metrics under the same prefix when asked', async () => {
    const text = await new OperatorMetrics({ processMetrics: true }).registry.metrics();
    expect(text).toContain('trellis_operator_process_resident_memory_bytes');
  });
});
