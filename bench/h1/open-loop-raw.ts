// `tsx bench/h1/open-loop-raw.ts URL RATE SECONDS [CONNECTIONS]`: the open-loop measurement of
// bench/dataplane/open-loop.ts (requests due at a fixed rate, latency counted from when each was
// due) with a cheaper client: raw kept-alive sockets and the h1 head parser instead of
// http.request, so the generator is not what saturates. It also reports its own lag (how late
// requests left against their due time); a large lag means the generator, not the target, was
// the bottleneck. Prints {"sent","ok","errors","p50_ms","p99_ms","p999_ms","lag_p99_ms","cpu_pct"}.
import { connect, type Socket } from 'node:net';
import { BodyReader, responseFraming } from '../../src/sidecar-image/proxy/h1/body.js';
import { parseResponseHead } from '../../src/sidecar-image/proxy/h1/head.js';

const [url = '', rateArg = '1000', secondsArg = '5', connsArg = '64'] = process.argv.slice(2);
const { hostname, port, pathname } = new URL(url);
const rate = Number(rateArg);
const total = Math.min(rate * Number(secondsArg), 500_000);
const interval = 1000 / rate;
const request = Buffer.from(`GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`);
const latencies: number[] = [];
const lags: number[] = [];
let errors = 0;
let done = 0;
let sent = 0;
const queue: number[] = [];
const idle: Conn[] = [];
const cpu0 = process.cpuUsage();
const start = performance.now();

class Conn {
  socket: Socket;
  due = 0;
  buf: Buffer = Buffer.alloc(0);
  reader: BodyReader | undefined;
  status = 0;

  constructor() {
    this.socket = connect({ host: hostname, port: Number(port), noDelay: true });
    this.socket.on('data', (c: Buffer) => this.onData(c));
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      if (this.due) finish(false);
      this.due = 0;
    });
  }

  send(due: number) {
    this.due = due;
    lags.push(performance.now() - due);
    this.socket.write(request);
  }

  onData(chunk: Buffer) {
    let bytes = chunk;
    if (!this.reader) {
      this.buf = this.buf.length ? Buffer.concat([this.buf, bytes]) : bytes;
      const r = parseResponseHead(this.buf);
      if (r.kind === 'incomplete') return;
      if (r.kind === 'error') return this.socket.destroy();
      const framing = responseFraming(r.head, 'GET');
      if (framing.kind === 'error' || framing.kind === 'close') return this.socket.destroy();
      this.status = r.head.status;
      this.reader = new BodyReader(framing);
      bytes = this.buf.subarray(r.length);
      this.buf = Buffer.alloc(0);
    }
    const f = this.reader.feed(bytes);
    if ('error' in f) return this.socket.destroy();
    if (!f.done) return;
    const ok = this.status === 200;
    if (ok) latencies.push(performance.now() - this.due);
    this.reader = undefined;
    this.due = 0;
    finish(ok);
    const next = queue.shift();
    if (next !== undefined) this.send(next);
    else idle.push(this);
  }
}

function finish(ok: boolean) {
  if (!ok) errors++;
  if (++done < total) return;
  report();
  process.exit(0);
}

function report() {
  latencies.sort((a, b) => a - b);
  lags.sort((a, b) => a - b);
  const q = (xs: number[], p: number) =>
    Number((xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0).toFixed(3));
  const c = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({
      sent: total,
      ok: latencies.length,
      errors,
      p50_ms: q(latencies, 0.5),
      p99_ms: q(latencies, 0.99),
      p999_ms: q(latencies, 0.999),
      lag_p99_ms: q(lags, 0.99),
      cpu_pct: Math.round((c.user + c.system) / 10 / (performance.now() - start)),
    }),
  );
}

for (let i = 0; i < Number(connsArg); i++) idle.push(new Conn());
function tick() {
  const now = performance.now();
  while (sent < total && start + sent * interval <= now) {
    const due = start + sent++ * interval;
    const c = idle.pop();
    if (c) c.send(due);
    else queue.push(due);
  }
  if (sent < total) setTimeout(tick, 1);
}
tick();
// Bounded: whatever happens, stop after the run plus 10 s.
setTimeout(
  () => {
    errors += total - done;
    report();
    process.exit(0);
  },
  Number(secondsArg) * 1000 + 10_000,
).unref();
