import { describe, expect, it } from 'vitest';
import type { RequestHead } from './h1/head.js';
import { ExchangeLabels, joinHeadTrace, reportH1Exchange, withTraceFields } from './h1-report.js';
import type { BaseLabels } from './metrics.js';
import { testConfig } from './testing/config.js';
import { testContext } from './testing/harness.js';
import { issueLeaf, makeCa } from './testing/pki.js';

const head = (headers: string[]): RequestHead => ({ method: 'GET', target: '/p?q=1', minor: 1, headers });
const traceId = '0af7651916cd43dd8448eb211c80319c';
const labels: BaseLabels = {
  direction: 'inbound',
  source_workload: 'web',
  source_namespace: 'shop',
  destination_service: 'orders.shop',
  destination_workload: 'orders',
  tls: 'mtls',
};

describe('engine exchange telemetry', () => {
  it('joins the W3C trace from raw fields whatever their case, else B3, else starts one', () => {
    const w3c = joinHeadTrace(head(['TraceParent', `00-${traceId}-b7ad6b7169203331-01`]), 0);
    expect([w3c.traceId, w3c.parentSpanId, w3c.sampled]).toEqual([traceId, 'b7ad6b7169203331', true]);
    const b3 = joinHeadTrace(head(['X-B3-TraceId', traceId, 'X-B3-SpanId', 'b7ad6b7169203331']), 0);
    expect([b3.traceId, b3.parentSpanId, b3.sampled]).toEqual([traceId, 'b7ad6b7169203331', false]);
    const fresh = joinHeadTrace(head([]), 100);
    expect([fresh.traceId.length, fresh.parentSpanId, fresh.sampled]).toEqual([32, undefined, true]);
    expect(withTraceFields(['host', 'a'], w3c)).toEqual([
      'host',
      'a',
      'traceparent',
      `00-${traceId}-${w3c.spanId}-01`,
      'x-b3-traceid',
      traceId,
      'x-b3-spanid',
      w3c.spanId,
      'x-b3-parentspanid',
      'b7ad6b7169203331',
      'x-b3-sampled',
      '1',
    ]);
  });

  it('counts the golden metrics with the code and flag, and writes the access log line', async () => {
    const t = testContext({
      config: testConfig(),
      leaf: issueLeaf(makeCa(), 'spiffe://x/ns/a/sa/b'),
      dst: () => undefined,
    });
    const request = head(['Host', 'orders']);
    const base = { request, requestBytes: 3, responseBytes: 5, startedMs: performance.now() };
    reportH1Exchange(
      t.ctx,
      { ...base, status: 200, flag: '-' },
      { labels: new ExchangeLabels(labels), span: undefined, upstream: '127.0.0.1:8080', accessLog: true },
    );
    // No response head reached the client: code 0, as node's http front reported it.
    reportH1Exchange(
      t.ctx,
      { ...base, status: 0, flag: 'DC' },
      { labels: new ExchangeLabels(labels), span: undefined, upstream: '-', accessLog: false },
    );
    const requests = (await t.ctx.metrics.requests.get()).values.map((v) => [
      v.labels.response_code,
      v.labels.response_flags,
      v.labels.destination_service,
      v.value,
    ]);
    expect(requests).toEqual([
      ['200', '-', 'orders.shop', 1],
      ['0', 'DC', 'orders.shop', 1],
    ]);
    const bytes = (await t.ctx.metrics.requestBytes.get()).values.map((v) => v.value);
    expect(bytes).toEqual([3, 3]);
    const access = t.logs.lines().filter((l) => l.type === 'access');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({
      direction: 'inbound',
      method: 'GET',
      path: '/p?q=1',
      authority: 'orders',
      status: '200',
      flags: '-',
      requestBytes: 3,
      responseBytes: 5,
      upstream: '127.0.0.1:8080',
    });
  });
});
