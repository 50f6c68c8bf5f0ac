import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';

/** A real pino logger whose JSON lines the test can read back. */
export function captureLogger(): { log: Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk.toString());
      cb();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  return { log, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}
