import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';

export interface ValidationOptions {
  /** The port the probe must land on, on 127.0.0.1: the inbound capture port. */
  capturePort: number;
  /** Where the probe connects: on lo but not 127.0.0.1, so the rules redirect it. Nothing listens there. */
  probeAddress: string;
  probePort: number;
  /** The probe runs as the proxy: only the proxy's calls to its own pod are sent to inbound capture. */
  uid: number;
  gid: number;
  timeoutMs: number;
}

export type ValidationResult = { ok: true; ms: number } | { ok: false; reason: string };

/**
 * The probe's destination port: 15002 as in Istio, unless the pod excludes it
 * from capture (excluded ports return before the owner rules, so a probe
 * there could never be redirected); then the next port that is not excluded.
 */
export function probePort(excludedOutboundPorts: readonly number[]): number {
  const excluded = new Set(excludedOutboundPorts);
  for (let i = 0; i < 65535; i++) {
    const port = ((15002 - 1 + i) % 65535) + 1;
    if (!excluded.has(port)) return port;
  }
  // Every port excluded: nothing can be redirected, and validation will say so.
  return 15002;
}

/**
 * The probe client, run as a child under the proxy's UID/GID (a process
 * cannot change the owner of one socket). It sends a token and exits 0 once
 * the listener echoes it; otherwise it prints why and exits 1.
 */
const probeClient = `
const [host, port, token, timeout] = process.argv.slice(1);
const fail = (why) => { process.stderr.write(why); process.exit(1); };
setTimeout(() => fail('no answer within ' + timeout + 'ms'), Number(timeout));
const socket = require('node:net').connect(Number(port), host, () => socket.write(token));
let reply = '';
socket.setEncoding('utf8').on('data', (d) => { reply += d; if (reply === token) process.exit(0); });
socket.on('error', (e) => fail(e.code || e.message));
socket.on('end', () => fail('connection closed without the token echoed'));
`;

type ProbeOutcome = { exitCode: number | null; stderr: string } | { cannotRun: string };

function runProbe(opts: ValidationOptions, token: string): Promise<ProbeOutcome> {
  const args = ['-e', probeClient, opts.probeAddress, String(opts.probePort), token, String(opts.timeoutMs)];
  let probe: ChildProcess;
  try {
    probe = spawn(process.execPath, args, {
      uid: opts.uid,
      gid: opts.gid,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: opts.timeoutMs * 2,
    });
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    // Taking on the proxy's UID/GID is what needs these two capabilities.
    const hint = code === 'EPERM' ? ' (trellis-init needs the SETUID and SETGID capabilities)' : '';
    return Promise.resolve({ cannotRun: `${message}${hint}` });
  }
  return new Promise((resolve) => {
    let stderr = '';
    probe.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    probe.on('error', (err) => resolve({ cannotRun: err.message }));
    probe.on('close', (exitCode) => resolve({ exitCode, stderr }));
  });
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve());
  });
}

/**
 * Proves the rules redirect, as istio-validation does: listen on the capture
 * port, connect as the proxy to an address where nothing listens, and require
 * that the listener receives this connection's token. Without working
 * redirection the probe is refused instead.
 */
export async function validateRedirect(opts: ValidationOptions): Promise<ValidationResult> {
  const started = Date.now();
  const token = `trellis-validation-${randomUUID()}`;
  let landed = false;
  const server = createServer((socket) => {
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      received += chunk;
      if (received === token) {
        landed = true;
        socket.end(token);
      }
    });
    socket.on('error', () => {});
  });
  try {
    await listen(server, opts.capturePort);
  } catch (err) {
    return { ok: false, reason: `cannot listen on 127.0.0.1:${opts.capturePort}: ${(err as Error).message}` };
  }
  try {
    const outcome = await runProbe(opts, token);
    const target = `${opts.probeAddress}:${opts.probePort}`;
    if ('cannotRun' in outcome) {
      return { ok: false, reason: `cannot run the probe as ${opts.uid}:${opts.gid}: ${outcome.cannotRun}` };
    }
    if (outcome.exitCode === 0 && landed) return { ok: true, ms: Date.now() - started };
    if (outcome.exitCode === 0) {
      return { ok: false, reason: `a connection to ${target} was answered by another listener` };
    }
    return {
      ok: false,
      reason: `a connection to ${target} as ${opts.uid}:${opts.gid} did not reach 127.0.0.1:${opts.capturePort}: ${outcome.stderr || `probe exited ${outcome.exitCode}`}`,
    };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}
