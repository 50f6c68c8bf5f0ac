// What node itself can do as a proxy pair, with no HTTP work at all: the ceiling any Trellis
// design on node runs into. Not a product part; `ceiling.ts` runs it.
//   pipe-client PORT PEER       plain in → one TLS connection per client connection → peer
//   pipe-server PORT UPSTREAM   TLS in → one plain connection per TLS connection → upstream
//   mux-client PORT PEER LINKS  plain in → every client connection a stream on one of LINKS TLS
//                               connections; frames [id u32][len u32][bytes], written once per
//                               event-loop turn per link
//   mux-server PORT UPSTREAM    TLS in → one plain upstream connection per stream
// Certificates come from the directory in CEILING_PKI (ca.crt, client.*, server.*).
import { readFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { type TLSSocket, connect as tlsConnect, createServer as tlsServer } from 'node:tls';

const [mode = '', portArg = '', target = '', linksArg = '1'] = process.argv.slice(2);
const dir = process.env.CEILING_PKI ?? '.';
const pem = (f: string) => readFileSync(join(dir, f));
const port = Number(target);

/** Batches frames per event-loop turn: all writes of one poll phase leave in one TLS write. */
class Link {
  #out: Buffer[] = [];
  #scheduled = false;
  constructor(readonly sock: TLSSocket | Socket) {}
  send(id: number, data: Buffer): void {
    const h = Buffer.allocUnsafe(8);
    h.writeUInt32BE(id, 0);
    h.writeUInt32BE(data.length, 4);
    this.#out.push(h, data);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        const out = this.#out;
        this.#out = [];
        this.sock.write(Buffer.concat(out));
      });
    }
  }
  /** Calls onFrame for each whole frame received. */
  read(onFrame: (id: number, data: Buffer) => void): void {
    let pending: Buffer = Buffer.alloc(0);
    this.sock.on('data', (chunk: Buffer) => {
      let buf = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
      while (buf.length >= 8) {
        const len = buf.readUInt32BE(4);
        if (buf.length < 8 + len) break;
        onFrame(buf.readUInt32BE(0), buf.subarray(8, 8 + len));
        buf = buf.subarray(8 + len);
      }
      pending = buf;
    });
  }
}

const tlsOpts = (side: 'client' | 'server') => ({
  cert: pem(`${side}.crt`),
  key: pem(`${side}.key`),
  ca: pem('ca.crt'),
  minVersion: 'TLSv1.3' as const,
});

function pipeBoth(a: Socket, b: Socket): void {
  a.on('data', (d) => b.write(d));
  b.on('data', (d) => a.write(d));
  a.on('close', () => b.destroy());
  b.on('close', () => a.destroy());
  a.on('error', () => {});
  b.on('error', () => {});
}

if (mode === 'pipe-client') {
  createServer({ noDelay: true }, (c) =>
    pipeBoth(c, tlsConnect({ ...tlsOpts('client'), port, host: '127.0.0.2', servername: 'server' })),
  ).listen(Number(portArg), '127.0.0.1');
} else if (mode === 'pipe-server') {
  tlsServer({ ...tlsOpts('server'), requestCert: true }, (c) =>
    pipeBoth(c, connect({ port, host: '127.0.0.1', noDelay: true })),
  ).listen(Number(portArg), '127.0.0.2');
} else if (mode === 'mux-client') {
  const links = Array.from({ length: Number(linksArg) }, () => {
    const l = new Link(tlsConnect({ ...tlsOpts('client'), port, host: '127.0.0.2', servername: 'server' }));
    l.sock.setNoDelay(true);
    l.read((id, data) => clients.get(id)?.write(data));
    return l;
  });
  const clients = new Map<number, Socket>();
  let next = 1;
  createServer({ noDelay: true }, (c) => {
    const id = next++;
    const link = links[id % links.length] as Link;
    clients.set(id, c);
    c.on('data', (d) => link.send(id, d));
    c.on('close', () => clients.delete(id));
    c.on('error', () => {});
  }).listen(Number(portArg), '127.0.0.1');
} else if (mode === 'mux-server') {
  tlsServer({ ...tlsOpts('server'), requestCert: true }, (t) => {
    t.setNoDelay(true);
    const link = new Link(t);
    const ups = new Map<number, Socket>();
    link.read((id, data) => {
      let up = ups.get(id);
      if (!up) {
        up = connect({ port, host: '127.0.0.1', noDelay: true });
        up.on('data', (d) => link.send(id, d));
        up.on('error', () => {});
        ups.set(id, up);
      }
      up.write(data);
    });
  }).listen(Number(portArg), '127.0.0.2');
} else if (mode === 'dmux-client') {
  // As mux-client, but each stream is a node Duplex (as a real engine would consume it).
  const streams = new Map<number, Duplex>();
  const links = Array.from({ length: Number(linksArg) }, () => {
    const l = new Link(tlsConnect({ ...tlsOpts('client'), port, host: '127.0.0.2', servername: 'server' }));
    l.sock.setNoDelay(true);
    l.read((id, data) => streams.get(id)?.push(data));
    return l;
  });
  let next = 1;
  createServer({ noDelay: true }, (c) => {
    const id = next++;
    const link = links[id % links.length] as Link;
    const d = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        link.send(id, chunk);
        cb();
      },
    });
    streams.set(id, d);
    pipeBoth(c, d as unknown as Socket);
  }).listen(Number(portArg), '127.0.0.1');
} else if (mode === 'dmux-server') {
  tlsServer({ ...tlsOpts('server'), requestCert: true }, (t) => {
    t.setNoDelay(true);
    const link = new Link(t);
    const streams = new Map<number, Duplex>();
    link.read((id, data) => {
      let d = streams.get(id);
      if (!d) {
        const stream = new Duplex({
          read() {},
          write(chunk: Buffer, _enc, cb) {
            link.send(id, chunk);
            cb();
          },
        });
        d = stream;
        streams.set(id, stream);
        pipeBoth(stream as unknown as Socket, connect({ port, host: '127.0.0.1', noDelay: true }));
      }
      d.push(data);
    });
  }).listen(Number(portArg), '127.0.0.2');
} else {
  throw new Error(`unknown mode ${mode}`);
}
