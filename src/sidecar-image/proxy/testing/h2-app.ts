// `h2-app.ts PORT`: a plain h2c app (prior knowledge, as gRPC servers are) that answers
// each stream with its path and the traceparent it received, plus a grpc-status trailer.
import { createServer } from 'node:http2';

const port = Number(process.argv[2]);
const server = createServer();
server.on('stream', (stream, headers) => {
  stream.respond({ ':status': 200, 'content-type': 'application/json' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  stream.end(JSON.stringify({ path: headers[':path'], traceparent: headers.traceparent ?? null }));
});
server.listen(port, '0.0.0.0', () => console.log(JSON.stringify({ event: 'listening', port })));
