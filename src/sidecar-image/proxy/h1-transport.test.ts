import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { serveH1 } from './h1/forward.js';
import { UpstreamPool } from './h1/pool.js';
import { DestinationLabels } from './h1-report.js';
import { H1Transport } from './h1-transport.js';
import type { TryOutcome, TryTarget } from './request-pipeline.js';
import { testConfig } from './testing/config.js';
import { testContext } from './testing/harness.js';
import { issueLeaf, makeCa } from './testing/pki.js';
import { waitFor } from './testing/wait.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
const pools: UpstreamPool[] = [];
afterEach(() => {
  for (const p of pools.splice(0)) p.destroy();
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

async function listen(onConnection: (s: Socket) => void): Promise<number> {
  const s = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.push(socket);
    onConnection(socket);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

/**
 * A raw upstream: `answer(request text, n-th request it received)` returns the response bytes,
 * '' to say nothing, or undefined to close the connection instead. Requests are recorded whole (head and body as received).
 */
async function upstream(
  answer: (req: string, n: number) => string | undefined,
  requestEnds: (t: string) => boolean,
) {
  const requests: string[] = [];
  let n = 0;
  const port = await listen((s) => {
    let buf = '';
    s.on('data', (c: Buffer) => {
      buf += c.toString('latin1');
      if (!requestEnds(buf)) return;
      requests.push(buf);
      const out = answer(buf, ++n);
      buf = '';
      if (out === undefined) s.destroy();
      else if (out !== '') s.write(out);
    });
  });
  return { port, requests };
}

/** A proxy listener whose every request is taken by an H1Transport and driven by `drive`. */
async function front(drive: (t: H1Transport, target: TryTarget) => Promise<void>, upstreamPort: number) {
  const t = testContext({
    config: testConfig(),
    leaf: issueLeaf(makeCa(), 'spiffe://x/ns/a/sa/b'),
    dst: () => undefined,
  });
  const opened: Socket[] = [];
  const pool = new UpstreamPool(
    () =>
      new Promise((resolve, reject) => {
        const s = connect(upstreamPort, '127.0.0.1', () => resolve(s)).once('error', reject);
        opened.push(s);
      }),
  );
  pools.push(pool);
  const target: TryTarget = {
    host: '127.0.0.1',
    port: upstreamPort,
    identity: undefined,
    destinationService: 'web.shop',
    destinationWorkload: 'web',
  };
  const labels = {
    direction: 'outbound',
    source_workload: 'a',
    source_namespace: 'shop',
    destination_service: 'unknown',
    destination_workload: 'unknown',
    tls: 'none',
  };
  const port = await listen((s) => {
    serveH1(s, {
      acquire: () => Promise.reject(new Error('taken')),
      release: () => {},
      take: (x) => {
        void drive(
          new H1Transport(t.ctx, x, {
            labels: new DestinationLabels(labels),
            poolFor: () => pool,
            samplingPercent: 0,
            accessLog: true,
          }),
          target,
        );
        return true;
      },
    });
  });
  return { port, t, opened };
}

/** Sends `parts` a tick apart and reads until `until` holds or the connection closes (bounded). */
function talk(port: number, parts: string[], until: (text: string) => boolean, ms = 3_000) {
  return new Promise<string>((resolve) => {
    const s = connect(port, '127.0.0.1');
    let text = '';
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(text);
    };
    const timer = setTimeout(done, ms);
    s.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      if (until(text)) done();
    });
    s.on('close', done);
    s.on('error', done);
    let i = 0;
    const next = () => {
      const p = parts[i++];
      if (p === undefined) return;
      s.write(p);
      setTimeout(next, 10);
    };
    next();
  });
}

/** One try, its answer relayed as it is. */
async function relayOneTry(t: H1Transport, target: TryTarget): Promise<void> {
  const o = await t.tryOnce(target, undefined, undefined, () => {});
  o.commit(undefined);
}

const get = 'GET / HTTP/1.1\r\nHost: web\r\n\r\n';
const ok = (body: string) => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
const chunkedBody = '3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n';

describe('H1Transport', () => {
  it('answers 100 Continue itself and replays a chunked body byte for byte on a second try', async () => {
    const up = await upstream(
      (_req, n) =>
        n === 1 ? 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy' : ok('fine'),
      // The last chunk (the head's own last field may end in 0 too).
      (t) => t.endsWith('\r\n0\r\n\r\n'),
    );
    const outcomes: number[] = [];
    const f = await front(async (t, target) => {
      const first: TryOutcome = await t.tryOnce(target, undefined, undefined, () => {});
      outcomes.push(first.status);
      first.discard();
      const second = await t.tryOnce(target, undefined, undefined, () => {});
      outcomes.push(second.status);
      second.commit(undefined);
    }, up.port);
    const head =
      'POST /up HTTP/1.1\r\nHost: web\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n';
    const text = await talk(f.port, [head, '3\r\nabc\r\n', '2\r\nde\r\n0\r\n\r\n'], (t) =>
      t.endsWith('fine'),
    );
    expect(text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    expect(outcomes).toEqual([503, 200]);
    expect(up.requests).toHaveLength(2);
    for (const r of up.requests) {
      expect(r.endsWith(`\r\n\r\n${chunkedBody}`)).toBe(true);
      expect(r.toLowerCase()).not.toContain('expect:');
    }
    const requests = (await f.t.ctx.metrics.requestBytes.get()).values.map((v) => v.value);
    expect(requests).toEqual(['abcde'.length]);
  });

  it('leaves no listener behind on a pooled connection whose discarded answers were drained', async () => {
    const up = await upstream(
      (_req, n) =>
        n % 2 === 1 ? 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy' : ok('fine'),
      (t) => t.endsWith('\r\n\r\n'),
    );
    const f = await front(async (t, target) => {
      const first = await t.tryOnce(target, undefined, undefined, () => {});
      first.discard();
      const second = await t.tryOnce(target, undefined, undefined, () => {});
      second.commit(undefined);
    }, up.port);
    const counts = () => ['data', 'end', 'close', 'error'].map((e) => f.opened[0]?.listenerCount(e));
    expect(await talk(f.port, [get], (t) => t.endsWith('fine'))).toContain('200 OK');
    const first = counts();
    for (let i = 0; i < 11; i++)
      expect(await talk(f.port, [get], (t) => t.endsWith('fine'))).toContain('200 OK');
    expect(up.requests).toHaveLength(24);
    expect(f.opened).toHaveLength(1);
    expect(counts()).toEqual(first);
  });

  it('sends a bodiless GET again on a fresh connection when a pooled one closes before answering', async () => {
    const up = await upstream(
      (_req, n) => (n === 2 ? undefined : ok(`r${n}`)),
      (t) => t.endsWith('\r\n\r\n'),
    );
    const f = await front(relayOneTry, up.port);
    expect(await talk(f.port, [get], (t) => t.endsWith('r1'))).toContain('r1');
    // The pooled connection's second request is cut by the upstream: the try goes again, fresh.
    expect(await talk(f.port, [get], (t) => t.endsWith('r3'))).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*r3$/);
    expect(up.requests).toHaveLength(3);
  });

  it('passes a response head on as received when nothing in it is hop-by-hop, and rewrites it otherwise', async () => {
    const plain = 'HTTP/1.1 200 Fine\r\nx-Odd-Case:  spaced \r\nContent-Length: 2\r\n\r\nok';
    const hop =
      'HTTP/1.1 200 Fine\r\nConnection: keep-alive, x-drop\r\nx-drop: 1\r\nContent-Length: 2\r\n\r\nok';
    const up = await upstream(
      (_req, n) => (n === 1 ? plain : hop),
      (t) => t.endsWith('\r\n\r\n'),
    );
    const f = await front(relayOneTry, up.port);
    expect(await talk(f.port, [get], (t) => t.endsWith('ok'))).toBe(plain);
    expect(await talk(f.port, [get], (t) => t.endsWith('ok'))).toBe(
      'HTTP/1.1 200 Fine\r\nContent-Length: 2\r\n\r\nok',
    );
  });

  it('ends the try when the client goes away before an answer: done, the connection cut, DC counted', async () => {
    const up = await upstream(
      () => '',
      (t) => t.endsWith('\r\n\r\n'),
    );
    let done = 0;
    let outcome: TryOutcome | undefined;
    const f = await front(async (t, target) => {
      outcome = await t.tryOnce(target, undefined, undefined, () => done++);
    }, up.port);
    const client = connect(f.port, '127.0.0.1');
    client.write('GET /slow HTTP/1.1\r\nHost: web\r\n\r\n');
    await waitFor(() => up.requests.length === 1, 2_000, 'the request upstream');
    // A reset, not a half-close: a client that half-closes after a whole request still gets its answer.
    client.resetAndDestroy();
    await waitFor(() => outcome !== undefined, 2_000, 'the try to end');
    expect([done, outcome?.status, outcome?.failure]).toEqual([1, 0, 'reset']);
    const counted = (await f.t.ctx.metrics.requests.get()).values.map((v) => [
      v.labels.response_code,
      v.labels.response_flags,
    ]);
    expect(counted).toEqual([['0', 'DC']]);
  });
});
