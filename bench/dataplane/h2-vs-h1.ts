// `tsx bench/dataplane/h2-vs-h1.ts`: which transport should carry requests between two proxies?
// The same small request/response, over mTLS (TLS 1.3) on loopback, 16 in flight for a fixed
// time: (a) pooled keep-alive HTTP/1.1, 16 connections; (b) one multiplexed HTTP/2 session.
// Prints requests/s and CPU ms per request of the whole process (client and server share it).

import { createSecureServer, connect as h2connect } from 'node:http2';
import { Agent, createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { issueLeaf, makeCa } from '../../src/sidecar-image/proxy/testing/pki.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const inFlight = 16;
const ca = makeCa('h2-vs-h1');
const server = issueLeaf(ca, 'spiffe://cluster.local/ns/bench/sa/server', { dns: 'server' });
const client = issueLeaf(ca, 'spiffe://cluster.local/ns/bench/sa/client', { dns: 'client' });
const tlsServer = {
  cert: server.cert,
  key: server.key,
  ca: ca.cert,
  requestCert: true,
  minVersion: 'TLSv1.3' as const,
};
const tlsClient = {
  cert: client.cert,
  key: client.key,
  ca: ca.cert,
  servername: 'server',
  minVersion: 'TLSv1.3' as const,
};

async function run(name: string, once: () => Promise<void>): Promise<void> {
  const until = Date.now() + seconds * 1000;
  let done = 0;
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (Date.now() < until) {
        await once();
        done++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({
      name,
      rps: Math.round(done / seconds),
      cpu_ms_per_req: Number(((cpu.user + cpu.system) / 1000 / done).toFixed(4)),
    }),
  );
}

const h1 = createServer(tlsServer, (_req, res) => res.end('hello'));
await new Promise<void>((r) => h1.listen(0, '127.0.0.1', r));
const agent = new Agent({ ...tlsClient, keepAlive: true, maxSockets: inFlight });
await run(
  'http1-keepalive',
  () =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: (h1.address() as AddressInfo).port, agent, path: '/' },
        (res) => {
          res.resume();
          res.on('end', () => resolve());
        },
      );
      req.on('error', reject);
      req.end();
    }),
);
agent.destroy();
h1.close();

const h2 = createSecureServer(tlsServer, (_req, res) => res.end('hello'));
await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
const session = h2connect(`https://127.0.0.1:${(h2.address() as AddressInfo).port}`, tlsClient);
await run(
  'http2-multiplexed',
  () =>
    new Promise((resolve, reject) => {
      const s = session.request({ ':path': '/' });
      s.resume();
      s.on('end', () => resolve());
      s.on('error', reject);
      s.end();
    }),
);
session.close();
h2.close();
