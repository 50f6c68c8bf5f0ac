import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';

/** What one check of an app's original probe found. */
export type CheckResult = { ok: true } | { ok: false; reason: string };

export interface HttpCheck {
  host: string;
  port: number;
  path: string;
  scheme: 'HTTP' | 'HTTPS';
  headers: { name: string; value: string }[];
  timeoutMs: number;
}

/** An httpGet probe as the kubelet runs it: HTTPS unverified, 200–399 is success, no redirects followed. */
export function checkHttp(c: HttpCheck): Promise<CheckResult> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'user-agent': 'trellis-proxy/app-probe', accept: '*/*' };
    // Probe headers replace the defaults (a probe may set its own Host or User-Agent), like the kubelet.
    for (const h of c.headers) headers[h.name.toLowerCase()] = h.value;
    const options = {
      host: c.host,
      port: c.port,
      path: c.path.startsWith('/') ? c.path : `/${c.path}`,
      method: 'GET',
      headers,
      agent: false as const,
      // The kubelet does not verify the app's certificate either.
      rejectUnauthorized: false,
    };
    let settled = false;
    const finish = (r: CheckResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const req = (c.scheme === 'HTTPS' ? httpsRequest : httpRequest)(options, (res) => {
      const code = res.statusCode ?? 0;
      // The status decides; the body is not needed.
      res.resume();
      finish(code >= 200 && code < 400 ? { ok: true } : { ok: false, reason: `HTTP ${code}` });
    });
    const timer = setTimeout(
      () => finish({ ok: false, reason: `timed out after ${c.timeoutMs} ms` }),
      c.timeoutMs,
    );
    req.on('error', (err) => finish({ ok: false, reason: err.message }));
    req.end();
  });
}

/** A tcpSocket probe: success once the connection is established. */
export function checkTcp(host: string, port: number, timeoutMs: number): Promise<CheckResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (r: CheckResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(
      () => finish({ ok: false, reason: `timed out after ${timeoutMs} ms` }),
      timeoutMs,
    );
    socket.once('connect', () => finish({ ok: true }));
    socket.once('error', (err) => finish({ ok: false, reason: err.message }));
  });
}
