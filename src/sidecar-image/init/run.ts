import type { Logger } from 'pino';
import { type InitOptions, parseInitArgs } from '../../api/init-options.js';
import { CommandError } from './command.js';
import { buildRules, type NatRules, renderRules } from './rules.js';
import type { ValidationResult } from './validate.js';

/** How trellis-init ends; documented in docs/sidecar-init.md. */
export const exitCodes = { ok: 0, iptablesFailed: 1, invalidArguments: 2, validationFailed: 3 } as const;

export interface InitSteps {
  apply: (nat: NatRules) => Promise<string>;
  validate: (opts: InitOptions) => Promise<ValidationResult>;
  log: Logger;
}

/** trellis-init from arguments to exit code: parse, write the rules, prove they redirect. */
export async function runInit(argv: string[], { apply, validate, log }: InitSteps): Promise<number> {
  let opts: InitOptions;
  try {
    opts = parseInitArgs(argv);
  } catch (err) {
    log.error({ argv, reason: (err as Error).message }, `invalid arguments: ${(err as Error).message}`);
    return exitCodes.invalidArguments;
  }

  const nat = buildRules(opts);
  log.info({ options: opts, rules: renderRules(nat) }, 'writing iptables rules (nat table)');
  try {
    const input = await apply(nat);
    log.debug({ input }, 'iptables-restore input');
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    log.error({ command: err.command, exitCode: err.exitCode, reason: err.reason }, err.message);
    return exitCodes.iptablesFailed;
  }
  log.info('iptables rules applied');

  const result = await validate(opts);
  if (!result.ok) {
    log.error({ reason: result.reason }, `validation failed, traffic is not redirected: ${result.reason}`);
    return exitCodes.validationFailed;
  }
  log.info({ ms: result.ms }, 'validation passed: redirection works');
  return exitCodes.ok;
}
