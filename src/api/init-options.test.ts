import { describe, expect, it } from 'vitest';
import { parseInitArgs, toInitArgs } from './init-options.js';

describe('trellis-init arguments', () => {
  it('round-trips through the arguments the injector renders', () => {
    const input = { excludeInboundPorts: [22, 9090], excludeOutboundCidrs: ['169.254.169.254/32'] };
    const args = toInitArgs(input);
    expect(args.slice(0, 4)).toEqual(['--proxy-uid', '1337', '--proxy-gid', '1337']);
    expect(parseInitArgs(args)).toEqual({
      proxyUid: 1337,
      proxyGid: 1337,
      inboundCapturePort: 15006,
      outboundCapturePort: 15001,
      excludeInboundPorts: [22, 9090],
      excludeOutboundPorts: [],
      includeOutboundCidrs: ['0.0.0.0/0'],
      excludeOutboundCidrs: ['169.254.169.254/32'],
    });
  });

  it.each([
    [['--bogus', '1'], 'unknown flag --bogus'],
    [['--proxy-uid', '1', '--proxy-uid', '2'], '--proxy-uid given twice'],
    [['--proxy-uid'], '--proxy-uid needs a value'],
    [['--exclude-inbound-ports', '22,70000'], '--exclude-inbound-ports: Too big'],
    [['--include-outbound-cidrs', '10.0.0.0'], '--include-outbound-cidrs: Invalid IPv4 range'],
  ])('refuses %j with a message naming the flag', (argv, message) => {
    expect(() => parseInitArgs(argv)).toThrow(message);
  });
});
