// Run inside a network namespace whose iptables redirect 127.0.0.1:9999 to :9998;
// prints what SO_ORIGINAL_DST says about the redirected connection.
import { connect, createServer } from 'node:net';
import { soOriginalDst } from '../original-dst.js';

const server = createServer((s) => {
  process.stdout.write(JSON.stringify(soOriginalDst(s) ?? null));
  s.destroy();
  server.close();
});
server.listen(9998, '127.0.0.1', () => connect(9999, '127.0.0.1').on('error', () => {}));
