import { readFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';

/**
 * The `trellis-e2e/http-app` image: answers every request with who it is, and
 * lets a test steer it.
 * - `GET /` → `{ pod, ip, version, uid, gid }`: POD_NAME, POD_IP, VERSION and its own IDs.
 * - `GET /healthz` → 200 until `POST /sick`, then 500 (for liveness tests).
 * - `GET /file?path=…` → the file's contents (for volume tests).
 * - `GET /whoami` → who the API server says its service-account token is, asked as an
 *   in-cluster client asks: KUBERNETES_SERVICE_HOST/PORT, the mounted token and CA.
 * - With GRPC_PORT set, a gRPC health service there: `grpc.health.v1.Health/Check` answers SERVING.
 * On SIGTERM it prints `SIGTERM received`, finishes in-flight requests and exits 0.
 */
const port = Number(process.env.PORT ?? 8080);
let sick = false;

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://app');
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (url.pathname === '/healthz') return send(sick ? 500 : 200, { healthy: !sick });
  if (url.pathname === '/sick' && req.method === 'POST') {
    sick = true;
    return send(200, { healthy: false });
  }
  if (url.pathname === '/file') {
    try {
      return send(200, { content: readFileSync(url.searchParams.get('path') ?? '', 'utf8') });
    } catch (err) {
      return send(404, { error: String(err) });
    }
  }
  if (url.pathname === '/whoami') {
    whoami().then(
      (user) => send(200, { user }),
      (err: unknown) => send(502, { error: String(err) }),
    );
    return;
  }
  return send(200, {
    pod: process.env.POD_NAME,
    ip: process.env.POD_IP,
    version: process.env.VERSION ?? 'v1',
    uid: process.getuid?.(),
    gid: process.getgid?.(),
  });
});

const serviceAccount = '/var/run/secrets/kubernetes.io/serviceaccount';

function whoami(): Promise<string> {
  const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: process.env.KUBERNETES_SERVICE_HOST,
        port: process.env.KUBERNETES_SERVICE_PORT,
        method: 'POST',
        path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
        ca: readFileSync(`${serviceAccount}/ca.crt`),
        headers: {
          authorization: `Bearer ${readFileSync(`${serviceAccount}/token`, 'utf8')}`,
          'content-type': 'application/json',
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          const review = JSON.parse(text) as { status?: { userInfo?: { username?: string } } };
          resolve(review.status?.userInfo?.username ?? `HTTP ${res.statusCode}: ${text}`);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

server.listen(port, () => console.log(`listening on ${port} as uid ${process.getuid?.()}`));

// A HealthCheckResponse{status: SERVING} in a gRPC frame (field 1 varint 1), whatever the request.
const grpc = process.env.GRPC_PORT
  ? http2.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/grpc' });
        res.addTrailers({ 'grpc-status': '0' });
        res.end(Buffer.from([0, 0, 0, 0, 2, 0x08, 1]));
      });
    })
  : undefined;
grpc?.listen(Number(process.env.GRPC_PORT));

process.once('SIGTERM', () => {
  console.log('SIGTERM received');
  grpc?.close();
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
