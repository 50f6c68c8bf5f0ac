// `open-loop.ts URL RATE SECONDS`: requests at a fixed rate whatever the answers take
// (latency counted from when each request was due, so a stall is not hidden), then
// prints {"sent","ok","errors","p50_ms","p99_ms","p999_ms"}.
import { Agent, request } from 'node:http';

const [url = '', rate = '1000', seconds = '5'] = process.argv.slice(2);
const total = Math.min(Number(rate) * Number(seconds), 200_000);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const latencies: number[] = [];
let errors = 0;
let done = 0;
const start = performance.now();
const interval = 1000 / Number(rate);

function fire(due: number) {
  const req = request(url, { agent }, (res) => {
    res.resume();
    res.on('end', () => {
      if (res.statusCode === 200) latencies.push(performance.now() - due);
      else errors++;
      finish();
    });
  });
  req.on('error', () => {
    errors++;
    finish();
  });
  req.end();
}

function finish() {
  if (++done < total) return;
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    Number((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0).toFixed(3));
  console.log(
    JSON.stringify({
      sent: total,
      ok: latencies.length,
      errors,
      p50_ms: q(0.5),
      p99_ms: q(0.99),
      p999_ms: q(0.999),
    }),
  );
  agent.destroy();
}

let sent = 0;
function tick() {
  const now = performance.now();
  while (sent < total && start + sent * interval <= now) fire(start + sent++ * interval);
  if (sent < total) setTimeout(tick, 1);
}
tick();
// Bounded: whatever happens, stop after the run plus 10 s.
setTimeout(
  () => {
    errors += total - done;
    done = total - 1;
    finish();
    process.exit(0);
  },
  Number(seconds) * 1000 + 10_000,
).unref();
