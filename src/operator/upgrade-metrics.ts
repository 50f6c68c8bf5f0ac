import { Gauge, type Registry } from 'prom-client';
import { metricPrefix } from '../api/names.js';

/**
 * The data plane's health as the upgrade reconciler last saw it, on the operator's registry
 * (OperatorMetrics.registry). Gauges: each reconcile replaces the value.
 */
export class DataPlaneMetrics {
  readonly #drift: Gauge;
  readonly #outdated: Gauge;

  constructor(registry: Registry) {
    this.#drift = new Gauge({
      name: `${metricPrefix}injection_drift_pods`,
      help: 'Running pods that asked for the Trellis sidecar and have none.',
      registers: [registry],
    });
    this.#outdated = new Gauge({
      name: `${metricPrefix}outdated_proxy_pods`,
      help: 'Running meshed pods whose proxy version differs from the installed control plane.',
      registers: [registry],
    });
  }

  record(counts: { drift: number; outdated: number }): void {
    this.#drift.set(counts.drift);
    this.#outdated.set(counts.outdated);
  }
}
