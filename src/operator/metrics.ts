import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { InformerObserver } from './informer.js';
import type { QueueObserver } from './workqueue.js';

const prefix = 'trellis_operator_';

/** The operator's metrics, in a registry of their own (so tests and processes do not share state). */
export class OperatorMetrics {
  readonly registry = new Registry();
  private readonly reconciles = new Counter({
    name: `${prefix}reconciles_total`,
    help: 'Reconciles by reconciler and result (success, requeue, error).',
    labelNames: ['reconciler', 'result'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: `${prefix}reconcile_duration_seconds`,
    help: 'Time one reconcile took, by reconciler.',
    labelNames: ['reconciler'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly retries = new Counter({
    name: `${prefix}reconcile_retries_total`,
    help: 'Keys put back with backoff after a failed reconcile, by reconciler.',
    labelNames: ['reconciler'] as const,
    registers: [this.registry],
  });
  private readonly depths = new Map<string, () => number>();
  private readonly leader = new Gauge({
    name: `${prefix}leader`,
    help: '1 while this process holds the leader Lease, else 0.',
    registers: [this.registry],
  });
  private readonly restarts = new Counter({
    name: `${prefix}informer_restarts_total`,
    help: 'Informer streams restarted, by resource and reason (error, watchdog, forced).',
    labelNames: ['resource', 'reason'] as const,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    const depths = this.depths;
    new Gauge({
      name: `${prefix}queue_depth`,
      help: 'Keys waiting for a worker, by reconciler.',
      labelNames: ['reconciler'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [reconciler, depth] of depths) this.set({ reconciler }, depth());
      },
    });
    this.leader.set(0);
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix });
  }

  queueObserver(reconciler: string): QueueObserver {
    return {
      reconciled: (result, seconds) => {
        this.reconciles.inc({ reconciler, result });
        this.duration.observe({ reconciler }, seconds);
      },
      retried: () => this.retries.inc({ reconciler }),
    };
  }

  /** Reads the queue's depth at scrape time; replaces an earlier queue of the same name. */
  trackQueue(reconciler: string, depth: () => number): void {
    this.depths.set(reconciler, depth);
  }

  untrackQueue(reconciler: string): void {
    this.depths.delete(reconciler);
  }

  informerObserver(resource: string): InformerObserver {
    return { restarted: (reason) => this.restarts.inc({ resource, reason }) };
  }

  setLeader(leading: boolean): void {
    this.leader.set(leading ? 1 : 0);
  }
}
