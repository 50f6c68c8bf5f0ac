import { pino } from 'pino';
import { ports } from '../../api/names.js';
import { parseAppMetrics } from './app-metrics.js';
import { parseAppProbes } from './app-probes.js';
import { readProxyEnv } from './env.js';
import { soOriginalDst } from './original-dst.js';
import { startProxy } from './proxy.js';
import { runWaitReady } from './wait-ready.js';

// `trellis-proxy wait-ready --timeout=Ns` (the classic sidecar's postStart hook) never starts a proxy.
if (process.argv[2] === 'wait-ready') {
  process.exit(
    await runWaitReady(process.argv.slice(3), {
      ok: (line) => console.log(line),
      fail: (line) => console.error(line),
    }),
  );
}

/** trellis-proxy: the sidecar data plane. Configured by the environment; see docs/proxy.md. */
const settings = readProxyEnv(process.env);
// Probes and the scrape go to 127.0.0.1: the proxy's own calls to its pod IP are captured inbound
// (trellis-init's loopback rule), where STRICT mTLS would refuse a plaintext probe.
const app = { probes: parseAppProbes(process.env), metrics: parseAppMetrics(process.env), host: '127.0.0.1' };
const log = pino({ level: settings.logLevel, base: { component: 'trellis-proxy', pod: settings.pod.name } });

const proxy = await startProxy({
  settings,
  log,
  originalDst: soOriginalDst,
  ports: { outbound: ports.outboundCapture, inbound: ports.inboundCapture, admin: ports.admin },
  host: '0.0.0.0',
  onDrained: () => process.exit(0),
  app,
});
// Handlers catch their own errors; anything that still escapes is one connection's
// bug, and must not take down every other connection of the pod.
process.on('uncaughtException', (err) => log.error({ err }, 'uncaught exception'));
process.once('SIGTERM', () => void proxy.drain());
process.once('SIGINT', () => void proxy.drain());
