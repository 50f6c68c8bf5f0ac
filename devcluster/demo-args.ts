import { parseArgs } from 'node:util';

/** `npm run demo -- [--for 60s] [--rate 10] [--refresh 5s]`. */
export interface DemoArgs {
  /** Non-interactive: run this long with traffic, then tear down (tests, CI). Absent: until Ctrl-C. */
  forSeconds?: number;
  /** The loadgen's requests per second to the frontend. */
  rate: number;
  /** Seconds between two frames of the live table. */
  refreshSeconds: number;
}

/** `90`, `90s`, `2m`, `1m30s` → seconds; throws on anything else. */
export function parseSeconds(text: string, flag: string): number {
  const match = /^(?:(\d+)m)?(?:(\d+)s?)?$/.exec(text.trim());
  const seconds =
    match && text.trim() !== '' ? Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0) : Number.NaN;
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new Error(`${flag}: "${text}" is not a duration like 60s or 2m`);
  return seconds;
}

export function parseDemoArgs(argv: string[]): DemoArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      for: { type: 'string' },
      rate: { type: 'string', default: '10' },
      refresh: { type: 'string', default: '5s' },
    },
    strict: true,
  });
  const rate = Number(values.rate);
  if (!Number.isInteger(rate) || rate < 1 || rate > 200)
    throw new Error(`--rate: "${values.rate}" is not a whole number from 1 to 200`);
  return {
    ...(values.for === undefined ? {} : { forSeconds: parseSeconds(values.for, '--for') }),
    rate,
    refreshSeconds: parseSeconds(values.refresh, '--refresh'),
  };
}
