import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOnce, healthRequest, healthStatus } from './probe-check.js';

const listen = (server: net.Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
const noExec = async () => null;

describe('gRPC health framing', () => {
  it('frames a request with and without a service name', () => {
    expect(healthRequest('')).toEqual(Buffer.from([0, 0, 0, 0, 0]));
    expect(healthRequest('ab')).toEqual(Buffer.from([0, 0, 0, 0, 4, 0x0a, 2, 0x61, 0x62]));
    const long = healthRequest('x'.repeat(200));
    expect([...long.subarray(5, 8)]).toEqual([0x0a, 0xc8, 0x01]);
  });

  it('reads the status of a response', () => {
    expect(healthStatus(Buffer.from([0, 0, 0, 0, 2, 0x08, 1]))).toBe(1);
    expect(healthStatus(Buffer.from([0, 0, 0, 0, 2, 0x08, 2]))).toBe(2);
    expect(healthStatus(Buffer.from([0, 0, 0, 0, 0]))).toBe(0);
  });
});

describe('checkOnce', () => {
  const servers: net.Server[] = [];
  let httpPort = 0;
  let grpcPort = 0;
  let closedPort = 0;
  beforeAll(async () => {
    const web = http.createServer((req, res) => {
      res.writeHead(req.url === '/ok' ? 200 : req.url === '/moved' ? 302 : 500).end();
    });
    const grpc = http2.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const serving = Buffer.concat(chunks).subarray(5).toString().endsWith('up');
        res.writeHead(200, { 'content-type': 'application/grpc' });
        res.addTrailers({ 'grpc-status': '0' });
        res.end(Buffer.from([0, 0, 0, 0, 2, 0x08, serving ? 1 : 2]));
      });
    });
    const closed = net.createServer();
    servers.push(web, grpc);
    httpPort = await listen(web);
    grpcPort = await listen(grpc);
    closedPort = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
  });
  afterAll(() => {
    for (const s of servers) s.close();
  });

  it('counts 2xx and 3xx as success for HTTP, anything else or no answer as failure', async () => {
    const http = (path: string, port = httpPort) =>
      checkOnce({ kind: 'http', url: `http://127.0.0.1:${port}${path}`, headers: {} }, 1_000, noExec);
    expect(await http('/ok')).toBe(true);
    expect(await http('/moved')).toBe(true);
    expect(await http('/fail')).toBe(false);
    expect(await http('/ok', closedPort)).toBe(false);
  });

  it('succeeds on a TCP connect and fails on a refused one', async () => {
    expect(await checkOnce({ kind: 'tcp', host: '127.0.0.1', port: httpPort }, 1_000, noExec)).toBe(true);
    expect(await checkOnce({ kind: 'tcp', host: '127.0.0.1', port: closedPort }, 1_000, noExec)).toBe(false);
  });

  it('asks gRPC health and succeeds only on SERVING', async () => {
    const grpc = (service: string) =>
      checkOnce({ kind: 'grpc', host: '127.0.0.1', port: grpcPort, service }, 2_000, noExec);
    expect(await grpc('up')).toBe(true);
    expect(await grpc('down')).toBe(false);
  });

  it('runs an exec probe and succeeds on exit code 0', async () => {
    const seen: string[][] = [];
    const exec = async (command: string[]) => {
      seen.push(command);
      return command[0] === 'true' ? 0 : 1;
    };
    expect(await checkOnce({ kind: 'exec', command: ['true'] }, 1_000, exec)).toBe(true);
    expect(await checkOnce({ kind: 'exec', command: ['false'] }, 1_000, exec)).toBe(false);
    expect(seen).toEqual([['true'], ['false']]);
  });
});
