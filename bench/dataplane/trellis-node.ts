// One trellis-proxy for the benchmark, on loopback without iptables: `dst` stands in for
// SO_ORIGINAL_DST (`trellis-node.ts HOST OUT_PORT IN_PORT ADMIN_PORT DST_IP DST_PORT CONFIG_DIR IDENTITY_DIR`).
import { pino } from 'pino';
import { startProxy } from '../../src/sidecar-image/proxy/proxy.js';

const [host = '127.0.0.1', out, inb, admin, dstIp = '', dstPort, configDir = '', identityDir = ''] =
  process.argv.slice(2);
const proxy = await startProxy({
  settings: {
    pod: { name: `bench-${host}`, namespace: 'bench', ip: host, serviceAccount: 'bench' },
    logLevel: 'warn',
    opaquePorts: [],
    configDir,
    identityDir,
  },
  log: pino({ level: 'warn' }),
  originalDst: () => ({ address: dstIp, port: Number(dstPort) }),
  ports: { outbound: Number(out), inbound: Number(inb), admin: Number(admin) },
  host,
  onDrained: () => process.exit(0),
});
process.once('SIGTERM', () => void proxy.drain());
console.log(JSON.stringify({ event: 'listening' }));
