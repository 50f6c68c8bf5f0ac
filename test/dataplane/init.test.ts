import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InitOptionsInput, initOptions, toInitArgs } from '../../src/api/init-options.js';
import { proxyGid, proxyUid } from '../../src/api/names.js';
import { buildRules, renderRules } from '../../src/sidecar-image/init/rules.js';
import { createPodNetwork, type Pod, type PodNetwork } from '../support/netns.js';
import { logLines, runInit } from './pods.js';

/** trellis-init as a program in a fresh pod each: re-runs, other rules, failures. */

let network: PodNetwork;
beforeAll(async () => {
  network = await createPodNetwork({ name: 'dpinit', subnet: '198.18.102.0/24' });
});
afterAll(async () => {
  await network?.destroy();
});

/** The nat table without iptables-save's timestamped comments. */
async function natTable(pod: Pod): Promise<string> {
  const saved = await pod.exec(['iptables-save', '-t', 'nat']);
  expect(saved.code, saved.stderr).toBe(0);
  return saved.stdout
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n');
}

/** A fresh table holding exactly trellis-init's rules for these options. */
function expectedTable(input: InitOptionsInput): string {
  const builtIn = ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'].map((chain) => `:${chain} ACCEPT [0:0]`);
  const ours = renderRules(buildRules(initOptions.parse(input))).split('\n');
  return [ours[0], ...builtIn, ...ours.slice(1)].join('\n');
}

const iptables = async (pod: Pod, ...args: string[]) => {
  const result = await pod.exec(['iptables', '-t', 'nat', ...args]);
  expect(result.code, result.stderr).toBe(0);
};

describe('re-running trellis-init', () => {
  it('gives the identical table the second time, holding exactly the rules it renders', async () => {
    const pod = await network.addPod('twice');
    const first = await runInit(pod, {});
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(logLines(first).at(-1)).toMatchObject({ msg: 'validation passed: redirection works' });
    const afterFirst = await natTable(pod);

    const second = await runInit(pod, {});
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(await natTable(pod)).toBe(afterFirst);
    expect(afterFirst).toBe(expectedTable({}));
  });

  it('replaces the rules of an earlier run with other options, leaving nothing of them', async () => {
    const pod = await network.addPod('changed');
    const options = { excludeInboundPorts: [9090], excludeOutboundCidrs: ['10.0.0.0/8'] };
    expect((await runInit(pod, options)).code).toBe(0);
    expect(await natTable(pod)).toBe(expectedTable(options));
    expect((await runInit(pod, {})).code).toBe(0);
    expect(await natTable(pod)).toBe(expectedTable({}));
  });

  it("validates even when the probe's usual port is excluded from capture", async () => {
    const pod = await network.addPod('probe');
    const result = await runInit(pod, { excludeOutboundPorts: [15002] });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(logLines(result).at(-1)).toMatchObject({ msg: 'validation passed: redirection works' });
  });

  it("keeps other programs' nat rules and chains, once each", async () => {
    const pod = await network.addPod('others');
    await iptables(pod, '-N', 'OTHER');
    await iptables(pod, '-A', 'OTHER', '-j', 'RETURN');
    await iptables(pod, '-A', 'OUTPUT', '-p', 'udp', '-j', 'OTHER');
    expect((await runInit(pod, {})).code).toBe(0);
    const afterFirst = await natTable(pod);
    expect((await runInit(pod, {})).code).toBe(0);
    const table = await natTable(pod);
    expect(table).toBe(afterFirst);
    for (const line of [':OTHER - [0:0]', '-A OUTPUT -p udp -j OTHER', '-A OTHER -j RETURN']) {
      expect(table.split('\n').filter((l) => l === line)).toEqual([line]);
    }
    expect(table.split('\n').filter((l) => l.startsWith('-A OUTPUT'))).toEqual([
      '-A OUTPUT -p udp -j OTHER',
      '-A OUTPUT -p tcp -j TRELLIS_OUTPUT',
    ]);
  });
});

describe("trellis-init with only a container's capabilities", () => {
  it('applies and validates with NET_ADMIN and NET_RAW alone, as the injector grants', async () => {
    const pod = await network.addPod('caps');
    const result = await runInit(pod, {}, { capabilities: ['net_admin', 'net_raw'] });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(logLines(result).at(-1)).toMatchObject({ msg: 'validation passed: redirection works' });
  });
});

describe('trellis-init failing', () => {
  it('exits 2 on a bad option, naming it, and writes no rule', async () => {
    const pod = await network.addPod('badopt');
    const args = toInitArgs({});
    args[args.indexOf('--exclude-outbound-cidrs') + 1] = '10.0.0.0/33';
    const result = await runInit(pod, args);
    expect(result.code).toBe(2);
    expect(logLines(result).at(-1)).toMatchObject({
      level: 50,
      msg: expect.stringMatching(/^invalid arguments: --exclude-outbound-cidrs: /),
    });
    expect(await natTable(pod)).not.toContain('TRELLIS');
  });

  it("exits 1 with the command and iptables' reason when iptables-restore refuses, and changes nothing", async () => {
    const pod = await network.addPod('badrule');
    // The options schema lets any UID through; the owner match stops below 2^32 - 1.
    const result = await runInit(pod, { proxyUid: 2 ** 32 });
    expect(result.code).toBe(1);
    expect(logLines(result).at(-1)).toMatchObject({
      level: 50,
      command: 'iptables-restore --noflush',
      exitCode: 2,
      reason: expect.stringMatching(
        /Bad value for "--uid-owner" option: "4294967296"[\s\S]*line \d+: -A TRELLIS_OUTPUT /,
      ),
    });
    // One transaction: nothing of it was applied.
    expect(await natTable(pod)).not.toContain('TRELLIS');
  });

  it('exits 1 with the command and the reason when it may not use iptables at all', async () => {
    const pod = await network.addPod('noroot');
    const result = await runInit(pod, {}, { uid: proxyUid, gid: proxyGid });
    expect(result.code).toBe(1);
    expect(logLines(result).at(-1)).toMatchObject({
      command: 'iptables-save -t nat',
      reason: expect.stringMatching(/Permission denied/),
    });
  });

  it('exits 3 when the rules are written but something ahead of them stops the redirect', async () => {
    const pod = await network.addPod('shadowed');
    // The probe goes to the pod's gateway: a rule ahead of Trellis's lets it through uncaptured.
    await iptables(pod, '-A', 'OUTPUT', '-d', `${network.gateway}/32`, '-j', 'RETURN');
    const result = await runInit(pod, {});
    expect(result.code).toBe(3);
    expect(logLines(result).at(-1)).toMatchObject({
      level: 50,
      // The gateway (the host end of the bridge) has nothing on 15002, so it refuses at once.
      reason: `a connection to ${network.gateway}:15002 did not reach 127.0.0.1:15001: ECONNREFUSED`,
    });
  });
});
