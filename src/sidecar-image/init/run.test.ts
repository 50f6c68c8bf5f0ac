import { type Logger, pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { toInitArgs } from '../../api/init-options.js';
import { CommandError } from './command.js';
import { exitCodes, type InitSteps, runInit } from './run.js';

/** A logger whose lines the test can read back as objects. */
function memoryLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { log, lines };
}

function steps(overrides: Partial<InitSteps> = {}) {
  const { log, lines } = memoryLog();
  const applied: string[][] = [];
  const all: InitSteps = {
    log,
    apply: async (nat) => {
      applied.push([...nat.rules]);
      return 'restore input';
    },
    validate: async () => ({ ok: true, ms: 3 }),
    ...overrides,
  };
  return { all, lines, applied };
}

describe('runInit', () => {
  it('applies the rules for the arguments, validates, and exits 0 saying so', async () => {
    const s = steps();
    const code = await runInit(toInitArgs({ excludeInboundPorts: [9090] }), s.all);
    expect(code).toBe(exitCodes.ok);
    expect(s.applied[0]).toContain('-A TRELLIS_INBOUND -p tcp -m tcp --dport 9090 -j RETURN');
    expect(s.lines.map((l) => l.msg)).toEqual([
      'writing iptables rules (nat table)',
      'iptables-restore input',
      'iptables rules applied',
      'validation passed: redirection works',
    ]);
    expect(s.lines[0]?.rules).toContain('-A PREROUTING -p tcp -j TRELLIS_INBOUND');
  });

  it('refuses bad arguments with exit 2, naming the flag, and touches nothing', async () => {
    const s = steps();
    const code = await runInit(['--exclude-inbound-ports', '80,http'], s.all);
    expect(code).toBe(exitCodes.invalidArguments);
    expect(s.applied).toEqual([]);
    expect(s.lines[0]).toMatchObject({
      level: 50,
      msg: expect.stringMatching(/^invalid arguments: --exclude-inbound-ports/),
    });
  });

  it('exits 1 with the command and the reason when iptables fails, and does not validate', async () => {
    let validated = false;
    const s = steps({
      apply: async () => {
        throw new CommandError('iptables-restore --noflush', 2, 'Bad value for "--uid-owner"');
      },
      validate: async () => {
        validated = true;
        return { ok: true, ms: 0 };
      },
    });
    expect(await runInit([], s.all)).toBe(exitCodes.iptablesFailed);
    expect(validated).toBe(false);
    expect(s.lines.at(-1)).toMatchObject({
      level: 50,
      command: 'iptables-restore --noflush',
      exitCode: 2,
      reason: 'Bad value for "--uid-owner"',
      msg: 'iptables-restore --noflush failed (exit 2): Bad value for "--uid-owner"',
    });
  });

  it('exits 3 when the rules are in place but do not redirect', async () => {
    const s = steps({ validate: async () => ({ ok: false, reason: 'ECONNREFUSED' }) });
    expect(await runInit([], s.all)).toBe(exitCodes.validationFailed);
    expect(s.lines.at(-1)).toMatchObject({ level: 50, reason: 'ECONNREFUSED' });
  });

  it('lets an unexpected error through rather than calling it an iptables failure', async () => {
    const s = steps({
      apply: async () => {
        throw new TypeError('bug');
      },
    });
    await expect(runInit([], s.all)).rejects.toThrow('bug');
  });
});
