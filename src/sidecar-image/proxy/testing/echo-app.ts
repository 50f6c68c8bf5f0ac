// `echo-app.ts PORT`: a plain app that echoes every byte back, for long-lived connection tests.
import { createServer } from 'node:net';

const port = Number(process.argv[2]);
createServer((s) => {
  s.on('error', () => {});
  s.pipe(s);
}).listen(port, '0.0.0.0', () => console.log(JSON.stringify({ event: 'listening', port })));
