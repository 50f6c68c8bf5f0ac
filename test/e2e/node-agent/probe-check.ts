import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import type { ProbeTarget } from './probe-spec.js';

/** Runs an exec probe's command in the container (its namespaces, its user); resolves with the exit code. */
export type ExecInContainer = (command: string[], timeoutMs: number) => Promise<number | null>;

/** One probe attempt: true on success. Never throws; a timeout or a refused connection is a failure. */
export async function checkOnce(
  target: ProbeTarget,
  timeoutMs: number,
  exec: ExecInContainer,
): Promise<boolean> {
  try {
    switch (target.kind) {
      case 'http':
        return await httpCheck(target.url, target.headers, timeoutMs);
      case 'tcp':
        return await tcpCheck(target.host, target.port, timeoutMs);
      case 'grpc':
        return await grpcCheck(target.host, target.port, target.service, timeoutMs);
      case 'exec':
        return (await exec(target.command, timeoutMs)) === 0;
    }
  } catch {
    return false;
  }
}

function httpCheck(url: string, headers: Record<string, string>, timeoutMs: number): Promise<boolean> {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve) => {
    const req = client.get(
      url,
      // The kubelet does not verify a probe's TLS certificate.
      {
        headers: { 'user-agent': 'kube-probe/1.36', ...headers },
        timeout: timeoutMs,
        rejectUnauthorized: false,
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        resolve(status >= 200 && status < 400);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.on('connect', () => done(true));
    socket.on('timeout', () => done(false));
    socket.on('error', () => done(false));
  });
}

/** grpc.health.v1.Health/Check: a HealthCheckRequest carrying `service`; SERVING is status 1. */
export function healthRequest(service: string): Buffer {
  const name = Buffer.from(service);
  // Field 1 (service), wire type 2; the gRPC frame: not compressed, 4-byte big-endian length.
  const message = name.length
    ? Buffer.concat([Buffer.from([0x0a, ...varint(name.length)]), name])
    : Buffer.alloc(0);
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

function varint(n: number): number[] {
  const bytes: number[] = [];
  for (let v = n; ; v >>>= 7) {
    if (v < 0x80) return [...bytes, v];
    bytes.push((v & 0x7f) | 0x80);
  }
}

/** The status of a framed HealthCheckResponse (field 1, varint), or undefined when it has none. */
export function healthStatus(frame: Buffer): number | undefined {
  const message = frame.subarray(5, 5 + frame.readUInt32BE(1));
  return message[0] === 0x08 ? message[1] : message.length === 0 ? 0 : undefined;
}

function grpcCheck(host: string, port: number, service: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const session = http2.connect(`http://${host}:${port}`);
    const timer = setTimeout(() => finish(false), timeoutMs);
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      session.destroy();
      resolve(ok);
    };
    session.on('error', () => finish(false));
    const stream = session.request({
      ':method': 'POST',
      ':path': '/grpc.health.v1.Health/Check',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', () => finish(false));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      finish(body.length >= 5 && healthStatus(body) === 1);
    });
    stream.end(healthRequest(service));
  });
}
