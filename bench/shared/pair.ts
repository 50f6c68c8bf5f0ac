// What bench/dataplane and bench/h1 both build: a scratch directory with the bench PKI, child
// processes stopped together, the nginx upstream, the nginx mTLS pair (the reference every figure
// is divided by), esbuild bundles and the Trellis pair's config and identity volumes. Not a test.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { issueLeaf, makeCa, writeAtomicVolume } from '../../src/sidecar-image/proxy/testing/pki.js';

/** The loopback ports of one benchmark's upstream, nginx pair and Trellis pair. */
export interface PairPorts {
  upstream: number;
  nginxIn: number;
  nginxPeer: number;
  trIn: number;
  trPeer: number;
}

export interface Bench {
  dir: string;
  files: (name: string) => string;
  certs: ReturnType<typeof pki>;
  start: (cmd: string, args: string[], env?: NodeJS.ProcessEnv) => ChildProcess;
  stop: () => void;
}

/** The bench CA, client and server leaves, written as PEM files (key+cert .pem for HAProxy). */
function pki(dir: string) {
  const ca = makeCa('bench-ca');
  const client = issueLeaf(ca, 'spiffe://cluster.local/ns/bench/sa/client', { dns: 'client', days: 2 });
  const server = issueLeaf(ca, 'spiffe://cluster.local/ns/bench/sa/server', { dns: 'server', days: 2 });
  const files: Record<string, string> = {
    'ca.crt': ca.cert,
    'client.crt': client.cert,
    'client.key': client.key,
    'server.crt': server.cert,
    'server.key': server.key,
    'client.pem': client.cert + client.key,
    'server.pem': server.cert + server.key,
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { ca, client, server };
}

/** A fresh `$TMPDIR/<prefix>*` directory with the PKI in it; stop() ends the children and removes it. */
export function createBench(prefix: string): Bench {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const children: ChildProcess[] = [];
  return {
    dir,
    files: (name) => join(dir, name),
    certs: pki(dir),
    start(cmd, args, env) {
      const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], env: env ?? process.env });
      children.push(child);
      return child;
    },
    stop() {
      for (const c of children) c.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function waitForPort(port: number, host = '127.0.0.1'): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, host, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${host}:${port}`);
}

function nginxConf(b: Bench, name: string, body: string): string {
  const file = b.files(`${name}.conf`);
  writeFileSync(
    file,
    `worker_processes 1; daemon off; pid ${b.dir}/${name}.pid; error_log ${b.dir}/${name}.err;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; ${body} }\n`,
  );
  return file;
}

/** The upstream every row shares: nginx answering "hello". */
export async function startUpstream(b: Bench, ports: PairPorts): Promise<void> {
  b.start('nginx', [
    '-c',
    nginxConf(
      b,
      'upstream',
      `server { listen 127.0.0.1:${ports.upstream}; location / { return 200 "hello"; } }`,
    ),
  ]);
  await waitForPort(ports.upstream);
}

/** The reference: two nginx with TLS 1.3 mTLS between them. Returns [client, server]. */
export function startNginxPair(b: Bench, ports: PairPorts): ChildProcess[] {
  const f = b.files;
  const keep = 'proxy_http_version 1.1; proxy_set_header Connection "";';
  const server = b.start('nginx', [
    '-c',
    nginxConf(
      b,
      'nginx-server',
      `upstream up { server 127.0.0.1:${ports.upstream}; keepalive 64; }
server { listen 127.0.0.1:${ports.nginxPeer} ssl; ssl_protocols TLSv1.3; ssl_certificate ${f('server.crt')}; ssl_certificate_key ${f('server.key')};
  ssl_client_certificate ${f('ca.crt')}; ssl_verify_client on; location / { proxy_pass http://up; ${keep} } }`,
    ),
  ]);
  const client = b.start('nginx', [
    '-c',
    nginxConf(
      b,
      'nginx-client',
      `upstream peer { server 127.0.0.1:${ports.nginxPeer}; keepalive 64; }
server { listen 127.0.0.1:${ports.nginxIn}; location / { proxy_pass https://peer; ${keep}
  proxy_ssl_protocols TLSv1.3; proxy_ssl_certificate ${f('client.crt')}; proxy_ssl_certificate_key ${f('client.key')};
  proxy_ssl_trusted_certificate ${f('ca.crt')}; proxy_ssl_verify on; proxy_ssl_name server; proxy_ssl_session_reuse on; } }`,
    ),
  ]);
  return [client, server];
}

/** esbuild bundles `entry` into one ESM file, as the image runs compiled JS. */
export function bundle(b: Bench, entry: string, name: string): string {
  const out = b.files(`${name}.mjs`);
  const bin = fileURLToPath(new URL('../../node_modules/.bin/esbuild', import.meta.url));
  execFileSync(bin, [
    entry,
    '--bundle',
    '--platform=node',
    '--format=esm',
    '--target=node20',
    `--outfile=${out}`,
    '--log-level=warning',
    "--banner:js=import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  ]);
  return out;
}

/** A mounted-volume directory `name` in the scratch directory, written the way the kubelet writes one. */
export function volume(b: Bench, name: string, files: Record<string, string>): string {
  const d = b.files(name);
  mkdirSync(d);
  writeAtomicVolume(d, files);
  return d;
}

/** The ClusterIP the Trellis pair's client proxy sees as the original destination. */
export const clusterIp = '10.96.0.1';

/**
 * The bare Trellis pair's volumes: one `upstream` service at clusterIp:80 whose only endpoint is
 * the server proxy's inbound (127.0.0.2:trPeer), and the client's and server's identities.
 */
export function trellisVolumes(b: Bench, ports: PairPorts, tag: string) {
  const { certs } = b;
  const config = volume(b, `${tag}-config`, {
    'config.json': JSON.stringify({
      schemaVersion: 1,
      namespace: 'bench',
      trustDomain: 'cluster.local',
      services: [
        {
          name: 'upstream',
          namespace: 'bench',
          clusterIps: [clusterIp],
          ports: [{ name: 'http', port: 80 }],
          endpoints: [
            {
              ip: '127.0.0.2',
              ports: { http: ports.trPeer },
              ready: true,
              workload: 'server',
              identity: 'spiffe://cluster.local/ns/bench/sa/server',
            },
          ],
        },
      ],
    }),
  });
  const client = volume(b, `${tag}-id-client`, {
    'tls.crt': certs.client.cert,
    'tls.key': certs.client.key,
    'ca.crt': certs.ca.cert,
  });
  const server = volume(b, `${tag}-id-server`, {
    'tls.crt': certs.server.cert,
    'tls.key': certs.server.key,
    'ca.crt': certs.ca.cert,
  });
  return { config, client, server };
}

/** Where one Trellis pair listens and what it reads. */
export interface TrellisNodes {
  upstream: number;
  /** The client proxy's outbound port (on 127.0.0.1), where wrk sends. */
  inPort: number;
  /** The server proxy's inbound port (on 127.0.0.2); the four ports after it are the spare listeners. */
  peerPort: number;
  /** The original destination the client proxy is given for every connection. */
  dst: { ip: string; port: number };
  config: string;
  serverId: string;
  clientId: string;
}

/**
 * Client sidecar (outbound on 127.0.0.1:inPort) → mTLS → server sidecar (inbound on
 * 127.0.0.2:peerPort) → upstream, both running `entry` (trellis-node.ts) with node `flags`.
 * Returns [client, server] without waiting for them to listen.
 */
export function startTrellisNodes(
  b: Bench,
  entry: string,
  flags: string[],
  n: TrellisNodes,
): [ChildProcess, ChildProcess] {
  const node = (args: (string | number)[]) =>
    b.start(process.execPath, [...flags, entry, ...args.map(String)]);
  const spare = (i: number) => n.peerPort + i;
  const server = node([
    '127.0.0.2',
    spare(1),
    n.peerPort,
    spare(2),
    '127.0.0.1',
    n.upstream,
    n.config,
    n.serverId,
  ]);
  const client = node([
    '127.0.0.1',
    n.inPort,
    spare(3),
    spare(4),
    n.dst.ip,
    n.dst.port,
    n.config,
    n.clientId,
  ]);
  return [client, server];
}
