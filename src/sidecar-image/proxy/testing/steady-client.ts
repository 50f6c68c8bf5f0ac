// `steady-client.ts HOST PORT SECONDS`: one connection, a numbered line every 100 ms,
// each echoed back; prints a summary line, so a test can see whether anything was lost.
import { connect } from 'node:net';

const [host = '', port = '', seconds = '5'] = process.argv.slice(2);
const until = Date.now() + Number(seconds) * 1000;
let sent = 0;
let received = '';
let error: string | undefined;
const s = connect(Number(port), host);
s.setEncoding('utf8').on('data', (d: string) => (received += d));
s.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
s.on('close', () => (error ??= 'closed early'));
const timer = setInterval(() => {
  if (Date.now() >= until || error) {
    clearInterval(timer);
    // Let the last echo arrive.
    setTimeout(() => {
      const lines = received.split('\n').filter(Boolean);
      const inOrder = lines.every((l, i) => l === `line ${i}`);
      console.log(
        JSON.stringify({ event: 'done', sent, received: lines.length, inOrder, error: error ?? null }),
      );
      process.exit(0);
    }, 300);
    return;
  }
  s.write(`line ${sent++}\n`);
}, 100);
