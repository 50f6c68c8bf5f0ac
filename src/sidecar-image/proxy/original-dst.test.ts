import { execFileSync } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { soOriginalDst } from './original-dst.js';

describe('soOriginalDst', () => {
  it('is undefined for a connection that was not redirected', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const accepted = new Promise<ReturnType<typeof soOriginalDst>>((resolve) =>
      server.once('connection', (s) => {
        resolve(soOriginalDst(s));
        s.destroy();
      }),
    );
    const c = connect(port, '127.0.0.1');
    expect(await accepted).toBeUndefined();
    c.destroy();
    server.close();
  });

  // iptables REDIRECT inside a throwaway network namespace (unshare), so the rule touches nothing else.
  it('reads the pre-REDIRECT destination', () => {
    const probe = fileURLToPath(new URL('./testing/original-dst-probe.ts', import.meta.url));
    const rule = 'iptables -t nat -A OUTPUT -p tcp -d 127.0.0.1 --dport 9999 -j REDIRECT --to-ports 9998';
    const out = execFileSync(
      'unshare',
      ['--net', 'sh', '-c', `ip link set lo up && ${rule} && exec node --import tsx "$0"`, probe],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(JSON.parse(out)).toEqual({ address: '127.0.0.1', port: 9999 });
  });
});
