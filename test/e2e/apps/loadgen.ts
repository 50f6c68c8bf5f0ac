import { startSteady } from '../mesh/driver.js';
import { createControlServer } from './loadgen-control.js';
import { upstreamUrl } from './service.js';

/**
 * The `trellis-e2e/loadgen` image: a meshed client. With TARGET and RATE it
 * sends RATE requests a second to TARGET's TARGET_PATH (/) for at most DURATION_SECONDS
 * (an hour unless set); on CONTROL_PORT (9901) it answers tests
 * (loadgen-control.ts).
 */
const env = process.env;
const rate = Number(env.RATE ?? 0);
if (!Number.isFinite(rate) || rate < 0 || rate > 1000)
  throw new Error(`RATE must be 0–1000, got "${env.RATE}"`);
const durationSeconds = Number(env.DURATION_SECONDS ?? 3600);
if (!Number.isFinite(durationSeconds) || durationSeconds <= 0)
  throw new Error(`DURATION_SECONDS must be a positive number, got "${env.DURATION_SECONDS}"`);
const steady =
  rate > 0 && env.TARGET
    ? startSteady({
        url: new URL(env.TARGET_PATH ?? '/', upstreamUrl(env.TARGET, env)).href,
        rate,
        durationMs: durationSeconds * 1000,
        maxInFlight: 64,
        timeoutMs: 10_000,
      })
    : undefined;
const port = Number(env.CONTROL_PORT ?? 9901);
const server = createControlServer({
  serviceUrl: (service) => upstreamUrl(service, env),
  ...(steady ? { steady } : {}),
});
server.listen(port, () =>
  console.log(`loadgen: control on ${port}, ${rate}/s to ${env.TARGET ?? 'nothing'}`),
);
process.once('SIGTERM', () => {
  console.log('SIGTERM received');
  void steady?.stop();
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
