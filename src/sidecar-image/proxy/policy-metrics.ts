import { Counter, type Registry } from 'prom-client';
import { metricPrefix } from '../../api/names.js';
import type { Metrics } from './metrics.js';

/**
 * The traffic-policy decisions as counters, registered on the proxy's one registry (metrics.ts is
 * the golden signals; these are kept apart so the policy wiring owns them). Every label is bounded:
 * services and policies come from the config, reasons and limits from fixed vocabularies.
 */
function create(registry: Registry) {
  const p = metricPrefix;
  return {
    retries: new Counter({
      name: `${p}retries_total`,
      help: 'Retries sent, by destination service',
      labelNames: ['destination_service'] as const,
      registers: [registry],
    }),
    retriesStopped: new Counter({
      name: `${p}retries_stopped_total`,
      help: 'Retriable failures returned without a retry, by reason (attempts, budget, body)',
      labelNames: ['destination_service', 'reason'] as const,
      registers: [registry],
    }),
    ejections: new Counter({
      name: `${p}outlier_ejections_total`,
      help: 'Endpoints ejected by outlier detection, by reason',
      labelNames: ['destination_service', 'reason'] as const,
      registers: [registry],
    }),
    circuitOpen: new Counter({
      name: `${p}circuit_open_total`,
      help: 'Requests answered 503 UO because a circuit-breaker limit was full, by limit',
      labelNames: ['destination_service', 'limit'] as const,
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: `${p}rate_limited_total`,
      help: 'Requests answered 429 by a local rate limit, by direction and scope (route, destination)',
      labelNames: ['direction', 'destination_service', 'scope'] as const,
      registers: [registry],
    }),
    authz: new Counter({
      name: `${p}authz_decisions_total`,
      help: 'Inbound authorization decisions, by result (allow, deny), reason and deciding policy',
      labelNames: ['result', 'reason', 'policy'] as const,
      registers: [registry],
    }),
    faults: new Counter({
      name: `${p}faults_injected_total`,
      help: 'Faults injected by route rules, by kind (delay, abort)',
      labelNames: ['destination_service', 'kind'] as const,
      registers: [registry],
    }),
    mirrors: new Counter({
      name: `${p}mirrored_requests_total`,
      help: 'Mirrored copies sent, by mirror service and result (sent, skipped: body not replayable or no endpoint)',
      labelNames: ['destination_service', 'result'] as const,
      registers: [registry],
    }),
    policyReloads: new Counter({
      name: `${p}policy_reloads_total`,
      help: 'Policy sections compiled at config load, by result (success, rejected)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  };
}

export type PolicyMetrics = ReturnType<typeof create>;

const byMetrics = new WeakMap<Metrics, PolicyMetrics>();

/** The policy counters of a proxy, created on its registry the first time they are asked for. */
export function policyMetrics(metrics: Metrics): PolicyMetrics {
  let m = byMetrics.get(metrics);
  if (!m) {
    m = create(metrics.registry);
    byMetrics.set(metrics, m);
  }
  return m;
}
