import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { metricPrefix } from '../api/names.js';
import type { Outcome } from './review.js';

export interface WebhookMetrics {
  registry: Registry;
  observe: (outcome: Outcome, seconds: number) => void;
  settingsReloads: Counter<'result'>;
  certificateReloads: Counter<'result'>;
}

/** A registry of its own per server, so tests and several servers in one process never collide. */
export function createMetrics(opts: { processMetrics: boolean }): WebhookMetrics {
  const registry = new Registry();
  if (opts.processMetrics) collectDefaultMetrics({ register: registry, prefix: `${metricPrefix}injector_` });
  const injections = new Counter({
    name: `${metricPrefix}webhook_injections_total`,
    help: 'Admission reviews answered, by result (injected, skipped, refused, ignored) and reason.',
    labelNames: ['result', 'reason'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: `${metricPrefix}webhook_admission_duration_seconds`,
    help: 'Time from request arrival to review answered (body transfer and parsing included), by result.',
    labelNames: ['result'],
    // Sub-millisecond to the API server's timeout: injection is CPU-only.
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5],
    registers: [registry],
  });
  const reloads = (what: string) =>
    new Counter({
      name: `${metricPrefix}webhook_${what}_reloads_total`,
      help: `Reloads of the ${what} file, by result (ok, error).`,
      labelNames: ['result'],
      registers: [registry],
    });
  return {
    registry,
    observe: (outcome, seconds) => {
      injections.inc({ result: outcome.result, reason: outcome.reason });
      duration.observe({ result: outcome.result }, seconds);
    },
    settingsReloads: reloads('settings'),
    certificateReloads: reloads('certificate'),
  };
}
