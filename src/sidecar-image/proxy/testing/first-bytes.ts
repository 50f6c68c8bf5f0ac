// `first-bytes.ts PORT`: a raw listener standing in for a peer; prints the hex of
// the first bytes each connection sends, so a test can see what is on the wire.
import { createServer } from 'node:net';

const port = Number(process.argv[2]);
createServer((s) => {
  s.once('data', (d: Buffer) => {
    console.log(JSON.stringify({ event: 'bytes', hex: d.subarray(0, 16).toString('hex') }));
    s.destroy();
  });
  s.on('error', () => {});
}).listen(port, '0.0.0.0', () => console.log(JSON.stringify({ event: 'listening', port })));
