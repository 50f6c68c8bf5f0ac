import { ports } from '../../api/names.js';
import { adminPaths } from '../../api/probe-rewrite.js';

/**
 * `trellis-proxy wait-ready --timeout=<N>s`: the postStart hook of a classic
 * (non-native) sidecar. The kubelet starts the app containers only once it
 * returns, so it blocks until the admin port reports ready, or fails.
 */

export type WaitReadyArgs = { ok: true; timeoutMs: number } | { ok: false; error: string };

/** Parses the arguments after `wait-ready` (what `waitReadyArgs()` in the contract renders). */
export function parseWaitReadyArgs(args: readonly string[]): WaitReadyArgs {
  let timeoutMs: number | undefined;
  for (const arg of args) {
    const m = /^--timeout=(\d+)s?$/.exec(arg);
    if (!m?.[1])
      return { ok: false, error: `unknown argument ${JSON.stringify(arg)} (expected --timeout=<N>s)` };
    const seconds = Number(m[1]);
    if (seconds < 1) return { ok: false, error: '--timeout must be at least 1s' };
    timeoutMs = seconds * 1000;
  }
  return timeoutMs === undefined ? { ok: false, error: 'missing --timeout=<N>s' } : { ok: true, timeoutMs };
}

export const readyUrl = `http://127.0.0.1:${ports.admin}${adminPaths.ready}`;

export interface WaitOptions {
  url: string;
  timeoutMs: number;
  /** Pause between attempts; short, because the app's start waits on it. */
  intervalMs?: number;
}

const noAnswer = 'no answer yet';

/** Polls the ready endpoint until it answers 200 or the time is up; the reason is one line. */
export async function waitReady(opts: WaitOptions): Promise<{ ready: boolean; reason: string }> {
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  const interval = opts.intervalMs ?? 100;
  let last = noAnswer;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    try {
      // Each attempt is bounded too, so a hung admin port cannot outlast the timeout.
      const res = await fetch(opts.url, { signal: AbortSignal.timeout(Math.min(1000, left)) });
      const body = (await res.text()).trim();
      if (res.status === 200) return { ready: true, reason: `ready after ${Date.now() - started} ms` };
      last = `${res.status} ${body}`;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      // The attempt cut short by the deadline is no answer: on a loaded machine the last one gets
      // only what is left of the timeout, and would hide the answer the port actually gave.
      if (e.name !== 'TimeoutError' || last === noAnswer) last = e.cause?.code ?? e.message;
    }
    await new Promise((r) => setTimeout(r, Math.min(interval, Math.max(0, deadline - Date.now()))));
  }
  return { ready: false, reason: `not ready after ${opts.timeoutMs / 1000}s: last answer: ${last}` };
}

/** The subcommand: exit code 0 when ready, 1 otherwise (bad arguments included), one line of output. */
export async function runWaitReady(
  args: readonly string[],
  out: { ok: (line: string) => void; fail: (line: string) => void },
  url = readyUrl,
): Promise<0 | 1> {
  const parsed = parseWaitReadyArgs(args);
  if (!parsed.ok) {
    out.fail(`wait-ready: ${parsed.error}`);
    return 1;
  }
  const r = await waitReady({ url, timeoutMs: parsed.timeoutMs });
  (r.ready ? out.ok : out.fail)(`wait-ready: ${r.reason}`);
  return r.ready ? 0 : 1;
}
