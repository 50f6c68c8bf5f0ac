import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { applyRules } from './apply.js';
import { runInit } from './run.js';
import { probePort, validateRedirect } from './validate.js';

/** Where the validation probe connects: on lo but not 127.0.0.1, as Istio's probe does. */
const probeAddress = '127.0.0.6';

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // Synchronous, so the last line is written before the process exits with its code.
  const log = pino({ name: 'trellis-init' }, pino.destination({ fd: 1, sync: true }));
  process.exitCode = await runInit(process.argv.slice(2), {
    log,
    apply: (nat) => applyRules(nat),
    validate: (opts) =>
      validateRedirect({
        capturePort: opts.inboundCapturePort,
        probeAddress,
        probePort: probePort(opts.excludeOutboundPorts),
        uid: opts.proxyUid,
        gid: opts.proxyGid,
        timeoutMs: 5_000,
      }),
  });
}
