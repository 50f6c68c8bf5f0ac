import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { applyRules } from './apply.js';
import { runInit } from './run.js';
import { validateOutboundCapture } from './validate.js';

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // Synchronous, so the last line is written before the process exits with its code.
  const log = pino({ name: 'trellis-init' }, pino.destination({ fd: 1, sync: true }));
  process.exitCode = await runInit(process.argv.slice(2), {
    log,
    apply: (nat) => applyRules(nat),
    validate: (opts) => validateOutboundCapture(opts, readFileSync('/proc/net/route', 'utf8')),
  });
}
