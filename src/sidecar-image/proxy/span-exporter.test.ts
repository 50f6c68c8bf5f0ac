import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type FinishedSpan, otlpBody, SpanExporter } from './span-exporter.js';
import { listen } from './testing/harness.js';
import { captureLogger } from './testing/log.js';
import { waitFor } from './testing/wait.js';

const span = (i: number): FinishedSpan => ({
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: `00f067aa0ba902b${i}`,
  parentSpanId: undefined,
  name: 'web.shop',
  kind: 3,
  startMs: 1_700_000_000_000.5,
  endMs: 1_700_000_000_002,
  attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200 },
  error: false,
});

describe('otlpBody', () => {
  it('is OTLP/JSON: hex IDs, nanosecond strings, typed attributes', () => {
    const body = otlpBody([span(1)], { 'service.name': 'orders' });
    expect(body.resourceSpans[0]?.scopeSpans[0]?.spans[0]).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b1',
      name: 'web.shop',
      kind: 3,
      startTimeUnixNano: '1700000000000500000',
      endTimeUnixNano: '1700000000002000000',
      attributes: [
        { key: 'http.request.method', value: { stringValue: 'GET' } },
        { key: 'http.response.status_code', value: { intValue: '200' } },
      ],
      status: { code: 1 },
    });
    expect(body.resourceSpans[0]?.resource.attributes).toEqual([
      { key: 'service.name', value: { stringValue: 'orders' } },
    ]);
  });
});

describe('SpanExporter', () => {
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const c of closers.splice(0)) c();
  });

  it('batches spans to the collector and counts what it could not deliver', async () => {
    const bodies: { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] }[] = [];
    let fail = false;
    const collector = createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d));
      req.on('end', () => {
        if (fail) {
          res.writeHead(503).end();
          return;
        }
        bodies.push(JSON.parse(text));
        res.end('{}');
      });
    });
    const port = await listen(collector);
    closers.push(() => collector.close());
    const exporter = new SpanExporter(captureLogger().log, { 'service.name': 'orders' }, 20);
    exporter.record(span(0)); // no endpoint yet: ignored
    exporter.setEndpoint(`http://127.0.0.1:${port}/v1/traces`);
    for (let i = 1; i <= 3; i++) exporter.record(span(i));
    await waitFor(() => bodies.length === 1, 2_000, 'export');
    expect(bodies[0]?.resourceSpans[0]?.scopeSpans[0]?.spans).toHaveLength(3);
    fail = true;
    exporter.record(span(4));
    await waitFor(() => exporter.dropped === 1, 2_000, 'drop');
    expect(bodies).toHaveLength(1);
  });
});
