import { describe, expect, it } from 'vitest';
import { applyRules } from './apply.js';
import { CommandError, type RunCommand } from './command.js';
import type { NatRules } from './rules.js';

const desired: NatRules = { chains: ['TRELLIS_A'], rules: ['-A OUTPUT -p tcp -j TRELLIS_A'] };

/** A stand-in for iptables that records what it was asked and answers as told. */
function fakeIptables(saved: string, restore: () => void = () => {}) {
  const calls: { command: string; args: string[]; input?: string }[] = [];
  const run: RunCommand = async (command, args, input) => {
    calls.push({ command, args, input });
    if (command === 'iptables-restore') restore();
    return { stdout: command === 'iptables-save' ? saved : '', stderr: '' };
  };
  return { calls, run };
}

describe('applyRules', () => {
  it('reads the nat table, then restores the plan without flushing others', async () => {
    const fake = fakeIptables('*nat\n:TRELLIS_A - [0:0]\n-A OUTPUT -p tcp -j TRELLIS_A\nCOMMIT\n');
    const input = await applyRules(desired, fake.run);
    expect(fake.calls.map((c) => [c.command, ...c.args].join(' '))).toEqual([
      'iptables-save -t nat',
      'iptables-restore --noflush',
    ]);
    expect(fake.calls[1]?.input).toBe(input);
    expect(input).toBe(
      '*nat\n-D OUTPUT -p tcp -j TRELLIS_A\n:TRELLIS_A - [0:0]\n-A OUTPUT -p tcp -j TRELLIS_A\nCOMMIT\n',
    );
  });

  it("names the input line iptables-restore rejected, and drops iptables' usage hint", async () => {
    const fake = fakeIptables('', () => {
      throw new CommandError(
        'iptables-restore --noflush',
        2,
        'iptables-restore v1.8.9 (nf_tables): owner: Bad value for "--uid-owner" option\nError occurred at line: 3\nTry `iptables-restore -h\' for more information.',
      );
    });
    const err = await applyRules(desired, fake.run).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).reason).toBe(
      'iptables-restore v1.8.9 (nf_tables): owner: Bad value for "--uid-owner" option\nError occurred at line: 3\n  line 3: -A OUTPUT -p tcp -j TRELLIS_A',
    );
    expect((err as CommandError).exitCode).toBe(2);
  });

  it('passes a failure to read the table straight on', async () => {
    const run: RunCommand = async (command) => {
      throw new CommandError(command, 4, 'Permission denied (you must be root)');
    };
    await expect(applyRules(desired, run)).rejects.toThrow(
      'iptables-save failed (exit 4): Permission denied',
    );
  });
});
