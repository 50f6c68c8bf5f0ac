/**
 * Go duration text as the CRDs accept it (`250ms`, `1m30s`, `1.5h`) in whole milliseconds, rounded:
 * the proxy's timers take milliseconds, and nothing finer is meaningful for them. Throws on text the
 * CRD pattern would refuse, so a CR that slipped past an older CRD fails its own compile.
 */
const part = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/gy;
const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

export function durationMs(text: string): number {
  part.lastIndex = 0;
  let total = 0;
  let end = 0;
  for (let m = part.exec(text); m !== null; m = part.exec(text)) {
    total += Number(m[1]) * unitMs[m[2] as keyof typeof unitMs];
    end = part.lastIndex;
  }
  if (text.length === 0 || end !== text.length) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  return Math.round(total);
}
