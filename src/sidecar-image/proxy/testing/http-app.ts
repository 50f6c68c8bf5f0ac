// `http-app.ts PORT`: a plain HTTP app that answers with what it received, as JSON.
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers }));
}).listen(port, '0.0.0.0', () => console.log(JSON.stringify({ event: 'listening', port })));
