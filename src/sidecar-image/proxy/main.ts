import { pino } from 'pino';
import { ports } from '../../api/names.js';
import { readProxyEnv } from './env.js';
import { soOriginalDst } from './original-dst.js';
import { startProxy } from './proxy.js';

/** trellis-proxy: the sidecar data plane. Configured by the environment; see docs/proxy.md. */
const settings = readProxyEnv(process.env);
const log = pino({ level: settings.logLevel, base: { component: 'trellis-proxy', pod: settings.pod.name } });

const proxy = await startProxy({
  settings,
  log,
  originalDst: soOriginalDst,
  ports: { outbound: ports.outboundCapture, inbound: ports.inboundCapture, admin: ports.admin },
  host: '0.0.0.0',
  onDrained: () => process.exit(0),
});
// Handlers catch their own errors; anything that still escapes is one connection's
// bug, and must not take down every other connection of the pod.
process.on('uncaughtException', (err) => log.error({ err }, 'uncaught exception'));
process.once('SIGTERM', () => void proxy.drain());
process.once('SIGINT', () => void proxy.drain());
