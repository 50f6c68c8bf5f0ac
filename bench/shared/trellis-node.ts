// One trellis-proxy for the benchmarks (bench/dataplane, bench/h1), on loopback without iptables:
// `dst` stands in for SO_ORIGINAL_DST
// (`trellis-node.ts HOST OUT_PORT IN_PORT ADMIN_PORT DST_IP DST_PORT CONFIG_DIR IDENTITY_DIR`).
// With H1_MEM_FILE set it appends memory figures (process and V8 heap spaces) there every 250 ms.
import { appendFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
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
const memFile = process.env.H1_MEM_FILE;
if (memFile) {
  const mb = (n: number) => Math.round(n / 104_857.6) / 10;
  setInterval(() => {
    const m = process.memoryUsage();
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, mb(s.space_size)]));
    const line = {
      host,
      rss: mb(m.rss),
      heapTotal: mb(m.heapTotal),
      heapUsed: mb(m.heapUsed),
      external: mb(m.external),
      arrayBuffers: mb(m.arrayBuffers),
      spaces,
    };
    appendFileSync(memFile, `${JSON.stringify(line)}\n`);
  }, 250).unref();
}
console.log(JSON.stringify({ event: 'listening' }));
