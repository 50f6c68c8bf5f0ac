// `named-http-app.ts PORT NAME`: a plain HTTP app that answers every request with its NAME and the
// path, so a test can tell which pod (subset) served a request.
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
const name = process.argv[3] ?? 'app';
createServer((req, res) => res.end(`${name} ${req.url}`)).listen(port, '0.0.0.0', () =>
  console.log(JSON.stringify({ event: 'listening', port })),
);
