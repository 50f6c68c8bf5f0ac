import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitReadyArgs } from '../../api/probe-rewrite.js';
import { parseWaitReadyArgs, readyUrl, runWaitReady, waitReady } from './wait-ready.js';

describe('parseWaitReadyArgs', () => {
  it('reads what the injector renders', () => {
    expect(parseWaitReadyArgs(waitReadyArgs(120).slice(1))).toEqual({ ok: true, timeoutMs: 120_000 });
    expect(parseWaitReadyArgs(['--timeout=5'])).toEqual({ ok: true, timeoutMs: 5_000 });
  });

  it('refuses anything else, saying what it expected', () => {
    expect(parseWaitReadyArgs([])).toEqual({ ok: false, error: 'missing --timeout=<N>s' });
    expect(parseWaitReadyArgs(['--timeout=0s'])).toEqual({
      ok: false,
      error: '--timeout must be at least 1s',
    });
    expect(parseWaitReadyArgs(['--timeout=1m'])).toEqual({
      ok: false,
      error: 'unknown argument "--timeout=1m" (expected --timeout=<N>s)',
    });
    expect(parseWaitReadyArgs(['--timeout=5s', '--verbose']).ok).toBe(false);
  });

  it('waits on the admin port', () => {
    expect(readyUrl).toBe('http://127.0.0.1:15020/ready');
  });
});

describe('waitReady', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  });

  /** An admin port that becomes ready after `notReadyAnswers` 503s (Infinity: never). */
  async function admin(notReadyAnswers: number) {
    let asked = 0;
    const server = createServer((_req, res) => {
      asked++;
      if (asked <= notReadyAnswers) {
        res.writeHead(503);
        return res.end('not ready: no identity\n');
      }
      res.end('ready\n');
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ready`, asked: () => asked };
  }

  async function closedUrl() {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    return `http://127.0.0.1:${port}/ready`;
  }

  it('returns once the admin port turns ready', async () => {
    const a = await admin(2);
    const r = await waitReady({ url: a.url, timeoutMs: 30_000, intervalMs: 10 });
    expect(r.ready).toBe(true);
    expect(r.reason).toMatch(/^ready after \d+ ms$/);
    expect(a.asked()).toBe(3);
  });

  it('gives up after the timeout, naming the last answer', async () => {
    const a = await admin(Number.POSITIVE_INFINITY);
    const r = await waitReady({ url: a.url, timeoutMs: 1_000, intervalMs: 50 });
    expect(r).toEqual({
      ready: false,
      reason: 'not ready after 1s: last answer: 503 not ready: no identity',
    });
    expect(a.asked()).toBeGreaterThan(1);
  });

  /** An admin port that answers 503 `answers` times, then never answers again. */
  async function hangsAfter(answers: number) {
    let asked = 0;
    const server = createServer((_req, res) => {
      if (++asked > answers) return;
      res.writeHead(503);
      res.end('not ready: no config\n');
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/ready`;
  }

  it('names the last answer given, not the attempt the deadline cut short', async () => {
    const r = await waitReady({ url: await hangsAfter(1), timeoutMs: 1_500, intervalMs: 10 });
    expect(r).toEqual({
      ready: false,
      reason: 'not ready after 1.5s: last answer: 503 not ready: no config',
    });
  });

  it('names the timeout when the port never answers', async () => {
    const r = await waitReady({ url: await hangsAfter(0), timeoutMs: 1_000, intervalMs: 10 });
    expect(r).toEqual({
      ready: false,
      reason: 'not ready after 1s: last answer: The operation was aborted due to timeout',
    });
  });

  it('names a refused connection', async () => {
    const r = await waitReady({ url: await closedUrl(), timeoutMs: 1_000, intervalMs: 50 });
    expect(r).toEqual({ ready: false, reason: 'not ready after 1s: last answer: ECONNREFUSED' });
  });

  it('runs as a subcommand: exit 0 or 1 with one line', async () => {
    const lines: string[] = [];
    const out = { ok: (l: string) => lines.push(`ok ${l}`), fail: (l: string) => lines.push(`fail ${l}`) };
    const a = await admin(0);
    expect(await runWaitReady(['--timeout=5s'], out, a.url)).toBe(0);
    expect(await runWaitReady(['--timeout=1s'], out, await closedUrl())).toBe(1);
    expect(await runWaitReady(['--nope'], out, a.url)).toBe(1);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^ok wait-ready: ready after \d+ ms$/);
    expect(lines[1]).toBe('fail wait-ready: not ready after 1s: last answer: ECONNREFUSED');
    expect(lines[2]).toBe('fail wait-ready: unknown argument "--nope" (expected --timeout=<N>s)');
  });
});
