import { type AddressInfo, connect, createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../testing/wait.js';
import { FrameReader, FrameType, frameHeader, maxPayload, maxStreams, streamWindow } from './frames.js';
import { MuxLink, type MuxStream } from './link.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A link over a real loopback connection: the dialling side and the accepting side. */
async function linkPair(onStream: (s: MuxStream) => void, idleMs?: number, acceptedIdleMs?: number) {
  let accepted: MuxLink | undefined;
  const server = createServer((socket) => {
    accepted = new MuxLink(socket, onStream, undefined, acceptedIdleMs);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  let closed = 0;
  const client = new MuxLink(
    socket,
    undefined,
    () => {
      closed++;
    },
    idleMs,
  );
  return { client, socket, server: () => accepted, closed: () => closed };
}

const echo = (s: MuxStream) => {
  s.on('data', (d: Buffer) => s.write(d));
  s.on('end', () => s.end());
};

function readAll(s: MuxStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    s.on('data', (d: Buffer) => {
      text += d.toString();
    });
    s.on('end', () => resolve(text));
  });
}

describe('FrameReader', () => {
  it('cuts the same frames out of bytes that arrive one at a time', () => {
    const bytes = Buffer.concat([
      frameHeader(FrameType.data, 1, 5),
      Buffer.from('hello'),
      frameHeader(FrameType.end, 1, 0),
      frameHeader(FrameType.data, 3, 0),
    ]);
    const frames: [number, number, string][] = [];
    const reader = new FrameReader();
    for (const b of bytes) reader.feed(Buffer.from([b]), (t, id, p) => frames.push([t, id, p.toString()]));
    expect(frames).toEqual([
      [FrameType.data, 1, 'hello'],
      [FrameType.end, 1, ''],
      [FrameType.data, 3, ''],
    ]);
  });

  it.each([
    ['an unknown type', Buffer.from([9, 0, 0, 0, 1, 0, 0, 0, 0]), 'unknown frame type 9'],
    [
      'an oversized frame',
      frameHeader(FrameType.data, 1, maxPayload + 1),
      `frame of ${maxPayload + 1} bytes`,
    ],
    ['an END with a payload', frameHeader(FrameType.end, 1, 2), 'frame type 1 with a 2-byte payload'],
    ['a short WINDOW', frameHeader(FrameType.window, 1, 2), 'frame type 3 with a 2-byte payload'],
  ])('refuses %s', (_what, bytes, message) => {
    expect(new FrameReader().feed(bytes, () => {})).toContain(message);
  });
});

describe('MuxLink', () => {
  it('carries many streams at once over one connection, each intact, in fewer writes than frames', async () => {
    const { client, socket } = await linkPair(echo);
    let writes = 0;
    const write = socket.write.bind(socket);
    socket.write = ((chunk: Buffer) => {
      writes++;
      return write(chunk);
    }) as typeof socket.write;
    const replies = Array.from({ length: 20 }, (_, i) => {
      const s = client.open();
      const got = readAll(s);
      s.write(`stream ${i} `.repeat(100));
      s.end();
      return got;
    });
    const texts = await Promise.all(replies);
    texts.forEach((t, i) => {
      expect(t).toBe(`stream ${i} `.repeat(100));
    });
    // 20 DATA and 20 END frames went out in one turn of the event loop.
    expect(writes).toBe(1);
    await waitFor(() => client.streams === 0);
  });

  it('serves streams used in another order than they were opened (ids go with the first frame)', async () => {
    const { client } = await linkPair(echo);
    const first = client.open();
    const second = client.open();
    const later = readAll(first);
    const sooner = readAll(second);
    second.end('second');
    await new Promise((r) => setTimeout(r, 20));
    first.end('first');
    expect([await sooner, await later]).toEqual(['second', 'first']);
  });

  it('half-closes each way and forgets the stream once both ends are done', async () => {
    let serverSide: MuxStream | undefined;
    const { client, server } = await linkPair((s) => {
      serverSide = s;
      s.resume();
      s.on('end', () => s.end('bye'));
    });
    const s = client.open();
    const reply = readAll(s);
    s.end('hi');
    expect(await reply).toBe('bye');
    await waitFor(() => client.streams === 0 && server()?.streams === 0);
    expect(serverSide?.destroyed).toBe(true);
  });

  it('tells the peer when a stream is destroyed: its side closes without an end', async () => {
    let serverSide: MuxStream | undefined;
    const { client } = await linkPair((s) => {
      serverSide = s;
      s.resume();
    });
    const s = client.open();
    s.write('x');
    await waitFor(() => serverSide !== undefined);
    let ended = false;
    serverSide?.on('end', () => {
      ended = true;
    });
    s.destroy();
    await waitFor(() => serverSide?.destroyed === true);
    expect(ended).toBe(false);
  });

  it('closes every stream when the connection under it goes away, and says so once', async () => {
    const { client, socket, closed } = await linkPair((s) => s.resume());
    const streams = [client.open(), client.open()];
    for (const s of streams) s.write('x');
    socket.destroy();
    await waitFor(() => streams.every((s) => s.destroyed));
    expect(closed()).toBe(1);
    expect(client.usable).toBe(false);
    expect(() => client.open()).toThrow('closed');
  });

  it('holds a writer back once the reader has a window of unread bytes, and lets it go on when read', async () => {
    let serverSide: MuxStream | undefined;
    const { client } = await linkPair((s) => {
      serverSide = s;
      s.pause();
    });
    const s = client.open();
    const chunk = Buffer.alloc(16 * 1024, 'a');
    let acknowledged = 0;
    const total = 64;
    for (let i = 0; i < total; i++) s.write(chunk, () => acknowledged++);
    await waitFor(
      () => serverSide !== undefined && (serverSide.readableLength ?? 0) >= streamWindow - chunk.length,
    );
    await new Promise((r) => setTimeout(r, 100));
    // The reader holds at most a window (plus the write in flight), the writer the rest.
    expect(serverSide?.readableLength).toBeLessThanOrEqual(streamWindow + chunk.length);
    expect(acknowledged).toBeLessThan(total);
    let received = 0;
    serverSide?.on('data', (d: Buffer) => {
      received += d.length;
    });
    serverSide?.resume();
    await waitFor(() => received === total * chunk.length);
    await waitFor(() => acknowledged === total);
  });

  it('resets streams beyond the limit a link accepts, and serves the rest', async () => {
    const { client, server } = await linkPair(echo);
    const streams = Array.from({ length: maxStreams + 1 }, () => client.open());
    for (const s of streams) s.write('x');
    const refused = streams[maxStreams] as MuxStream;
    await waitFor(() => refused.destroyed);
    expect(server()?.streams).toBe(maxStreams);
    expect(
      await new Promise((r) => (streams[0] as MuxStream).once('data', (d: Buffer) => r(d.toString()))),
    ).toBe('x');
    for (const s of streams) s.destroy();
    await waitFor(() => server()?.streams === 0);
  });

  it('closes the link on bytes that are not trellis-mux frames', async () => {
    const { client, closed } = await linkPair(() => {});
    const s = client.open();
    s.write('x');
    // As if the peer had sent them: an unknown frame type.
    client.socket.emit('data', Buffer.from([7, 0, 0, 0, 1, 0, 0, 0, 0]));
    await waitFor(() => closed() === 1);
    expect(s.destroyed).toBe(true);
  });

  it('draining, the accepting side sends GOAWAY: the dialling side opens no more streams, open ones finish', async () => {
    let serverSide: MuxStream | undefined;
    const { client, server, closed } = await linkPair((s) => {
      serverSide = s;
      s.on('data', (d: Buffer) => s.write(d));
    });
    const s = client.open();
    s.write('a');
    await waitFor(() => serverSide !== undefined);
    server()?.retire();
    await waitFor(() => !client.usable);
    expect(() => client.open()).toThrow('closed');
    expect(await new Promise((r) => s.once('data', (d: Buffer) => r(d.toString())))).toBe('a');
    s.destroy();
    await waitFor(() => closed() === 1);
  });

  it('closes a dialled link left without streams for its idle time, and not while one is open', async () => {
    const { client, server, closed } = await linkPair(echo, 100);
    const s = client.open();
    s.write('x');
    await new Promise((r) => setTimeout(r, 250));
    expect(closed()).toBe(0);
    s.destroy();
    await waitFor(() => closed() === 1);
    await waitFor(() => server()?.usable === false);
  });

  it('on the accepting side, closes a link its peer left without a stream', async () => {
    const { client, closed } = await linkPair(echo, 60_000, 100);
    await waitFor(() => closed() === 1);
    expect(client.usable).toBe(false);
  });

  it('retired, opens no more streams and closes after the last one', async () => {
    const { client, closed } = await linkPair(echo);
    const s = client.open();
    const reply = readAll(s);
    client.retire();
    expect(() => client.open()).toThrow('closed');
    expect(closed()).toBe(0);
    s.end('last');
    expect(await reply).toBe('last');
    await waitFor(() => closed() === 1);
  });
});
