import net from 'node:net';

/**
 * The `trellis-e2e/tcp-echo` image: sends back every byte it receives on PORT
 * (9000 unless set), for opaque TCP through the mesh. Client-first, so the
 * proxy's protocol sniffing sees the client's bytes at once.
 */
const port = Number(process.env.PORT ?? 9000);
const server = net.createServer((socket) => {
  socket.on('error', () => socket.destroy());
  socket.pipe(socket);
});
server.listen(port, () => console.log(`tcp-echo listening on ${port}`));
process.once('SIGTERM', () => {
  console.log('SIGTERM received');
  server.close(() => process.exit(0));
});
