import { connectTcp } from './connect.js';
import type { ProxyContext } from './context.js';
import { defaultH1Limits, type H1Handlers, type H1Limits, serveH1 } from './h1/forward.js';
import type { RequestHead } from './h1/head.js';
import { AcquireError } from './h1/pool.js';
import {
  ExchangeLabels,
  joinHeadTrace,
  reportH1Exchange,
  tracedRequestHead,
  traceNames,
} from './h1-report.js';
import type { InboundHandler, InboundStream } from './inbound.js';
import { decideInbound, inboundChecksNeeded, type Self, selfOf } from './inbound-policy.js';
import type { BaseLabels, TcpLabels } from './metrics.js';
import { namespaceOfPrincipal } from './policy/authz.js';
import { splitTarget } from './policy/request-view.js';
import { type PolicyMetrics, policyMetrics } from './policy-metrics.js';
import type { Pools } from './pools.js';
import type { Registry } from './registry.js';
import type { SpanContext } from './trace.js';
import { forwardUpgrade } from './upgrade.js';

const noop = () => {};

export function withoutFlags(labels: TcpLabels): BaseLabels {
  const { response_flags: _flags, ...rest } = labels;
  return rest;
}

/**
 * Inbound HTTP/1.1 on the lean engine (h1/): requests from peers (or plaintext clients) to the app
 * on 127.0.0.1 over kept-alive connections, each request first through authorization (403 RBAC)
 * and the per-identity rate limit (429 RL) of inbound-policy.ts. Upgrades are authorized the same
 * way, then spliced.
 */
export function createInboundHttp(
  ctx: ProxyContext,
  pools: Pools,
  limits: H1Limits = defaultH1Limits,
): InboundHandler {
  const metrics = policyMetrics(ctx.metrics);
  return (_ctx, s) => {
    const served = serveH1(s.stream, inboundHandlers(ctx, pools, metrics, s), limits);
    ctx.tracker.add(s.stream, { drain: served.drain });
  };
}

function inboundHandlers(
  ctx: ProxyContext,
  pools: Pools,
  metrics: PolicyMetrics,
  s: InboundStream,
): H1Handlers {
  const labels = withoutFlags(s.labels);
  const exchangeLabels = new ExchangeLabels(labels);
  const pool = pools.app(s.appPort);
  const upstream = `${ctx.appHost}:${s.appPort}`;
  // The engine serves one exchange at a time per connection, so the current request's span and
  // verdict are plain variables (a WeakMap per request made every young-generation GC dearer).
  let current: RequestHead | undefined;
  let span: SpanContext | undefined;
  // A request admitted once is not decided again when the engine retries it on a fresh connection.
  let admitted = false;
  const track = (head: RequestHead) => {
    if (head === current) return;
    current = head;
    span = undefined;
    admitted = false;
  };
  const telemetry = () => ctx.registry()?.config.telemetry;
  // Whether this connection's requests need deciding at all, per config.
  // The caller's namespace, read from its SPIFFE ID once per connection.
  const principalNamespace = s.peerId === undefined ? undefined : namespaceOfPrincipal(s.peerId);
  let checked: Registry | undefined;
  let self: Self = { ip: ctx.pod.ip, labels: {} };
  let needed = true;
  const verdict = (head: RequestHead) => {
    const registry = ctx.registry();
    if (!registry) return undefined;
    if (registry !== checked) {
      checked = registry;
      self = selfOf(ctx.pod.ip, registry);
      needed = inboundChecksNeeded(registry.policies, registry, self, s.appPort);
    }
    if (!needed) return undefined;
    const v = decideInbound(registry.policies, registry, self, metrics, {
      principal: s.peerId,
      principalNamespace,
      method: head.method,
      path: splitTarget(head.target).path,
      port: s.appPort,
    });
    return v.status === 0 ? undefined : v;
  };
  return {
    acquire: (head) => {
      track(head);
      if (!admitted) {
        const v = verdict(head);
        if (v) {
          const fields = Object.entries(v.headers ?? {}).flat();
          return Promise.reject(
            new AcquireError('refused by policy', v.status, v.flag, {
              fields,
              keepAlive: true,
              body: `${v.flag}\n`,
            }),
          );
        }
        admitted = true;
      }
      return pool.acquire();
    },
    release: (up, reusable) => pool.release(up, reusable),
    requestHead: (head) => {
      track(head);
      const joined = joinHeadTrace(head, telemetry()?.tracing.samplingPercent ?? 0);
      span = joined;
      return tracedRequestHead(head, joined, traceNames);
    },
    onExchange: (e) =>
      reportH1Exchange(ctx, e, {
        labels: exchangeLabels,
        span: e.request === current ? span : undefined,
        upstream: e.request === current && admitted ? upstream : '-',
        accessLog: telemetry()?.accessLog.enabled ?? false,
      }),
    onClientError: (status) =>
      ctx.metrics.httpClientErrors.inc({ direction: 'inbound', response_code: String(status) }),
    onUpgrade: (head, client, rest) => {
      // An Upgrade is authorized like any request: it would otherwise be a way around the policy.
      const v = verdict(head);
      if (v) {
        ctx.metrics.tcpClosed.inc({ ...labels, response_flags: v.flag });
        client.end(
          `HTTP/1.1 ${v.status} ${v.status === 403 ? 'Forbidden' : 'Too Many Requests'}\r\nConnection: close\r\nContent-Length: 0\r\nx-trellis-response-flags: ${v.flag}\r\n\r\n`,
        );
        return;
      }
      connectTcp(ctx.appHost, s.appPort, ctx.timeouts.connectMs).then(
        (app) => forwardUpgrade(ctx, head, client, rest, app, labels, noop),
        () =>
          client.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'),
      );
    },
    draining: () => ctx.tracker.draining,
  };
}
