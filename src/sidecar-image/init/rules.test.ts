import { describe, expect, it } from 'vitest';
import { type InitOptionsInput, initOptions } from '../../api/init-options.js';
import { buildRules, chains, renderRules } from './rules.js';

const rules = (input: InitOptionsInput) => buildRules(initOptions.parse(input)).rules;
const outputRules = (input: InitOptionsInput) =>
  rules(input).filter((r) => r.startsWith('-A TRELLIS_OUTPUT '));

describe('buildRules golden files', () => {
  it.each<[string, InitOptionsInput]>([
    ['default', {}],
    [
      'exclusions',
      {
        excludeInboundPorts: [9090, 22],
        excludeOutboundPorts: [9091, 443],
        excludeOutboundCidrs: ['169.254.169.254/32', '10.96.0.0/12'],
      },
    ],
    ['include-cidrs', { includeOutboundCidrs: ['198.19.0.0/16', '10.96.0.0/12'] }],
    [
      'custom-ports-and-owner',
      { proxyUid: 2000, proxyGid: 3000, inboundCapturePort: 16006, outboundCapturePort: 16001 },
    ],
  ])('%s', async (name, input) => {
    await expect(renderRules(buildRules(initOptions.parse(input)))).toMatchFileSnapshot(
      `./testdata/${name}.golden`,
    );
  });
});

describe('buildRules edge cases', () => {
  it('lists the admin port and excluded inbound ports once each, in order, before the redirect', () => {
    expect(
      rules({ excludeInboundPorts: [9090, 15020, 22, 9090] }).filter((r) =>
        r.startsWith('-A TRELLIS_INBOUND '),
      ),
    ).toEqual([
      '-A TRELLIS_INBOUND -p tcp -m tcp --dport 22 -j RETURN',
      '-A TRELLIS_INBOUND -p tcp -m tcp --dport 9090 -j RETURN',
      '-A TRELLIS_INBOUND -p tcp -m tcp --dport 15020 -j RETURN',
      '-A TRELLIS_INBOUND -p tcp -j TRELLIS_IN_REDIRECT',
    ]);
  });

  // The destination rules at the end of TRELLIS_OUTPUT, after the port and owner rules.
  const cidrRules = (input: InitOptionsInput) =>
    outputRules(input).filter((r) => !r.includes('-m owner') && !r.includes('--dport'));

  it.each<[string, InitOptionsInput, string[]]>([
    [
      'an include list holding 0.0.0.0/0 captures everything with one unconditional jump',
      { includeOutboundCidrs: ['10.0.0.0/8', '0.0.0.0/0'] },
      ['-A TRELLIS_OUTPUT -j TRELLIS_REDIRECT'],
    ],
    [
      'exclusions come before inclusions, so an excluded range inside an included one stays out',
      { excludeOutboundCidrs: ['10.1.0.0/16'], includeOutboundCidrs: ['10.0.0.0/8'] },
      ['-A TRELLIS_OUTPUT -d 10.1.0.0/16 -j RETURN', '-A TRELLIS_OUTPUT -d 10.0.0.0/8 -j TRELLIS_REDIRECT'],
    ],
    [
      'excluding 0.0.0.0/0 returns everything and leaves no include that could never match',
      { excludeOutboundCidrs: ['0.0.0.0/0', '10.0.0.0/8'], includeOutboundCidrs: ['10.0.0.0/8'] },
      ['-A TRELLIS_OUTPUT -j RETURN'],
    ],
    ['an empty include list captures no outbound traffic', { includeOutboundCidrs: [] }, []],
    [
      'host bits are cleared and duplicates dropped, as iptables would store them',
      { excludeOutboundCidrs: ['10.1.2.3/8', '10.0.0.0/8'], includeOutboundCidrs: ['198.19.7.1/16'] },
      ['-A TRELLIS_OUTPUT -d 10.0.0.0/8 -j RETURN', '-A TRELLIS_OUTPUT -d 198.19.0.0/16 -j TRELLIS_REDIRECT'],
    ],
  ])('%s', (_name, input, expected) => {
    expect(cidrRules(input)).toEqual(expected);
  });

  it('excluded outbound ports come before the owner rules, so they hold for the proxy too', () => {
    const out = outputRules({ excludeOutboundPorts: [443, 80, 443] });
    expect(out.slice(0, 3)).toEqual([
      '-A TRELLIS_OUTPUT -p tcp -m tcp --dport 80 -j RETURN',
      '-A TRELLIS_OUTPUT -p tcp -m tcp --dport 443 -j RETURN',
      '-A TRELLIS_OUTPUT ! -d 127.0.0.1/32 -o lo -m owner --uid-owner 1337 -j TRELLIS_IN_REDIRECT',
    ]);
  });

  it('matches the proxy by UID and by GID separately', () => {
    const out = outputRules({ proxyUid: 2000, proxyGid: 3000 }).filter((r) => r.includes('-m owner'));
    expect(out).toEqual([
      '-A TRELLIS_OUTPUT ! -d 127.0.0.1/32 -o lo -m owner --uid-owner 2000 -j TRELLIS_IN_REDIRECT',
      '-A TRELLIS_OUTPUT -o lo -m owner ! --uid-owner 2000 -j RETURN',
      '-A TRELLIS_OUTPUT -m owner --uid-owner 2000 -j RETURN',
      '-A TRELLIS_OUTPUT -m owner --gid-owner 3000 -j RETURN',
    ]);
  });

  it('gives the same rules whatever order the lists come in', () => {
    const a = { excludeOutboundPorts: [1, 2, 3], excludeOutboundCidrs: ['10.0.0.0/8', '192.168.0.0/16'] };
    const b = { excludeOutboundPorts: [3, 1, 2], excludeOutboundCidrs: ['192.168.0.0/16', '10.0.0.0/8'] };
    expect(rules(a)).toEqual(rules(b));
  });

  it('redirects to the capture ports it is given', () => {
    const all = rules({ inboundCapturePort: 16006, outboundCapturePort: 16001 });
    expect(all).toContain('-A TRELLIS_IN_REDIRECT -p tcp -j REDIRECT --to-ports 16006');
    expect(all).toContain('-A TRELLIS_REDIRECT -p tcp -j REDIRECT --to-ports 16001');
  });

  it('only appends to its own chains and to the two hooks it jumps from', () => {
    const nat = buildRules(initOptions.parse({ excludeOutboundCidrs: ['10.0.0.0/8'] }));
    expect(nat.chains).toEqual(Object.values(chains));
    const owners = new Set(nat.rules.map((r) => r.split(' ')[1]));
    expect([...owners].sort()).toEqual([...nat.chains, 'OUTPUT', 'PREROUTING'].sort());
    const targets = nat.rules.map((r) => r.split(' -j ')[1]?.split(' ')[0]);
    for (const target of targets) expect(['RETURN', 'REDIRECT', ...nat.chains]).toContain(target);
  });
});
