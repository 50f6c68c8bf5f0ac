import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { metricPrefix } from '../../api/names.js';

/** The golden-signal labels of DESIGN.md, plus the response flag on failures. */
export const requestLabels = [
  'direction',
  'source_workload',
  'source_namespace',
  'destination_service',
  'destination_workload',
  'response_code',
  'response_flags',
  'tls',
] as const;
export const tcpLabels = [
  'direction',
  'source_workload',
  'source_namespace',
  'destination_service',
  'destination_workload',
  'response_flags',
  'tls',
] as const;

export type RequestLabels = Record<(typeof requestLabels)[number], string>;
export type TcpLabels = Record<(typeof tcpLabels)[number], string>;

/** Every metric the proxy exports, in one registry served on the admin port. */
export function createMetrics() {
  const registry = new Registry();
  const p = metricPrefix;
  return {
    registry,
    configReloads: new Counter({
      name: `${p}config_reloads_total`,
      help: 'Proxy config reload attempts by result (success, rejected)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    identityReloads: new Counter({
      name: `${p}identity_reloads_total`,
      help: 'Workload certificate reload attempts by result (success, rejected)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    identityExpiry: new Gauge({
      name: `${p}identity_cert_expiry_seconds`,
      help: 'Unix time at which the current workload certificate expires',
      registers: [registry],
    }),
    connectionsRefused: new Counter({
      name: `${p}connections_refused_total`,
      help: 'Connections the proxy refused, by direction and reason',
      labelNames: ['direction', 'reason'] as const,
      registers: [registry],
    }),
    httpClientErrors: new Counter({
      name: `${p}http_client_errors_total`,
      help: 'HTTP requests refused before routing: malformed (400), slow (408) or oversized heads (431)',
      labelNames: ['direction', 'response_code'] as const,
      registers: [registry],
    }),
    requests: new Counter({
      name: `${p}requests_total`,
      help: 'HTTP requests proxied',
      labelNames: requestLabels,
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: `${p}request_duration_seconds`,
      help: 'HTTP request duration from first byte received to response end',
      labelNames: requestLabels,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    requestBytes: new Counter({
      name: `${p}request_bytes_total`,
      help: 'HTTP request body bytes',
      labelNames: requestLabels,
      registers: [registry],
    }),
    responseBytes: new Counter({
      name: `${p}response_bytes_total`,
      help: 'HTTP response body bytes',
      labelNames: requestLabels,
      registers: [registry],
    }),
    tcpOpened: new Counter({
      name: `${p}tcp_connections_opened_total`,
      help: 'Proxied TCP connections opened',
      labelNames: tcpLabels,
      registers: [registry],
    }),
    tcpClosed: new Counter({
      name: `${p}tcp_connections_closed_total`,
      help: 'Proxied TCP connections closed',
      labelNames: tcpLabels,
      registers: [registry],
    }),
    tcpSentBytes: new Counter({
      name: `${p}tcp_sent_bytes_total`,
      help: 'Bytes sent towards the destination on proxied connections',
      labelNames: tcpLabels,
      registers: [registry],
    }),
    tcpReceivedBytes: new Counter({
      name: `${p}tcp_received_bytes_total`,
      help: 'Bytes received from the destination on proxied connections',
      labelNames: tcpLabels,
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
