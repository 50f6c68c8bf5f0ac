import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { validateLeaderTiming } from './leader.js';

const ms = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** The operator's settings, from environment variables; every default is explained in docs/operator.md. */
const schema = z
  .object({
    POD_NAME: z.string().min(1).optional(),
    POD_NAMESPACE: z.string().min(1).default('trellis-system'),
    TRELLIS_OPERATOR_LEASE_NAME: z.string().min(1).default('trellis-operator'),
    TRELLIS_OPERATOR_HOST: z.string().min(1).default('0.0.0.0'),
    TRELLIS_OPERATOR_PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
    TRELLIS_OPERATOR_LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    TRELLIS_OPERATOR_LEASE_DURATION_MS: ms(15_000),
    TRELLIS_OPERATOR_RENEW_DEADLINE_MS: ms(10_000),
    TRELLIS_OPERATOR_RETRY_PERIOD_MS: ms(2_000),
    TRELLIS_OPERATOR_WORKERS: z.coerce.number().int().min(1).max(64).default(2),
    TRELLIS_OPERATOR_RETRY_BASE_MS: ms(5),
    TRELLIS_OPERATOR_RETRY_CAP_MS: ms(300_000),
    TRELLIS_OPERATOR_SHUTDOWN_GRACE_MS: ms(20_000),
    TRELLIS_OPERATOR_WATCH_RESTART_BASE_MS: ms(1_000),
    TRELLIS_OPERATOR_WATCH_RESTART_CAP_MS: ms(30_000),
    TRELLIS_OPERATOR_WATCH_TIMEOUT_SECONDS: ms(300),
    TRELLIS_OPERATOR_WATCHDOG_MS: ms(90_000),
    TRELLIS_OPERATOR_RELIST_MS: ms(600_000),
    TRELLIS_OPERATOR_LIST_TIMEOUT_MS: ms(60_000),
    TRELLIS_OPERATOR_MIN_WATCH_MS: ms(1_000),
  })
  .transform((env) => ({
    identity: env.POD_NAME ?? `${hostname()}_${randomUUID()}`,
    lease: { namespace: env.POD_NAMESPACE, name: env.TRELLIS_OPERATOR_LEASE_NAME },
    server: { host: env.TRELLIS_OPERATOR_HOST, port: env.TRELLIS_OPERATOR_PORT },
    logLevel: env.TRELLIS_OPERATOR_LOG_LEVEL,
    leader: {
      leaseDurationMs: env.TRELLIS_OPERATOR_LEASE_DURATION_MS,
      renewDeadlineMs: env.TRELLIS_OPERATOR_RENEW_DEADLINE_MS,
      retryPeriodMs: env.TRELLIS_OPERATOR_RETRY_PERIOD_MS,
    },
    queue: {
      workers: env.TRELLIS_OPERATOR_WORKERS,
      backoff: { baseMs: env.TRELLIS_OPERATOR_RETRY_BASE_MS, capMs: env.TRELLIS_OPERATOR_RETRY_CAP_MS },
      shutdownGraceMs: env.TRELLIS_OPERATOR_SHUTDOWN_GRACE_MS,
    },
    informer: {
      restartBackoff: {
        baseMs: env.TRELLIS_OPERATOR_WATCH_RESTART_BASE_MS,
        capMs: env.TRELLIS_OPERATOR_WATCH_RESTART_CAP_MS,
      },
      watchTimeoutSeconds: env.TRELLIS_OPERATOR_WATCH_TIMEOUT_SECONDS,
      watchdogMs: env.TRELLIS_OPERATOR_WATCHDOG_MS,
      relistMs: env.TRELLIS_OPERATOR_RELIST_MS,
      listTimeoutMs: env.TRELLIS_OPERATOR_LIST_TIMEOUT_MS,
      minWatchMs: env.TRELLIS_OPERATOR_MIN_WATCH_MS,
    },
  }));

export type OperatorConfig = z.infer<typeof schema>;

/** Parses the environment, failing with every bad variable named. */
export function loadConfig(env: Record<string, string | undefined>): OperatorConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid operator settings: ${problems.join('; ')}`);
  }
  validateLeaderTiming(parsed.data.leader);
  if (parsed.data.queue.backoff.capMs < parsed.data.queue.backoff.baseMs) {
    throw new Error('invalid operator settings: the retry cap is below the retry base');
  }
  return parsed.data;
}
