import http from 'node:http';
import net from 'node:net';

/**
 * The `trellis-e2e/wire-tap` image: a raw TCP listener on PORT (7000) that
 * keeps the first bytes of each connection and closes it; `GET /seen` on
 * CONTROL_PORT (7001) lists them (base64). Deployed meshed with both ports
 * left out of inbound capture, it sees exactly what a peer's proxy puts on
 * the wire: a test checks that this is a TLS handshake, not the request.
 */
export const firstBytesLimit = 512;

export function createTap(): { tcp: net.Server; control: http.Server; seen: Buffer[] } {
  const seen: Buffer[] = [];
  const tcp = net.createServer((socket) => {
    let got = Buffer.alloc(0);
    const keep = () => {
      // Bounded: a test needs the first record only, and the list stays small.
      if (seen.length < 100) seen.push(got);
      socket.destroy();
    };
    socket.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]).subarray(0, firstBytesLimit);
      if (got.length >= firstBytesLimit) keep();
    });
    // A TLS client waits for the server's answer after its ClientHello: keep what came within a moment.
    socket.setTimeout(500, keep);
    socket.on('end', keep);
    socket.on('error', () => socket.destroy());
  });
  const control = http.createServer((req, res) => {
    if (req.url !== '/seen') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(seen.map((b) => b.toString('base64'))));
  });
  return { tcp, control, seen };
}

if (process.argv[1]?.endsWith('wire-tap.ts')) {
  const tap = createTap();
  tap.tcp.listen(Number(process.env.PORT ?? 7000));
  tap.control.listen(Number(process.env.CONTROL_PORT ?? 7001), () => console.log('wire-tap listening'));
  process.once('SIGTERM', () => process.exit(0));
}
