import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ports, proxyGid, proxyUid } from '../../src/api/names.js';
import { createPodNetwork, type Pod, type PodNetwork } from '../support/netns.js';
import { connectFrom, type Listener, listen, runInit } from './pods.js';

/**
 * What trellis-init's rules capture, in real namespaces. Pod A runs
 * trellis-init with exclusions, pod D with a narrow include list; B and C are
 * plain. Stand-in listeners answer with their name and port, so each
 * connection shows where it really landed (there is no SO_ORIGINAL_DST reader
 * here: the proxy is not part of this test).
 */

const proxy = { uid: proxyUid, gid: proxyGid };
const app = { uid: 1000, gid: 1000 };

let network: PodNetwork;
let a: Pod;
let b: Pod;
let c: Pod;
let d: Pod;
const listeners: Record<string, Listener> = {};

beforeAll(async () => {
  network = await createPodNetwork({ name: 'dpcap', subnet: '198.18.101.0/24' });
  [a, b, c, d] = [
    await network.addPod('a'),
    await network.addPod('b'),
    await network.addPod('c'),
    await network.addPod('d'),
  ];
  // trellis-init runs first, as an init container does: its validation needs the capture port free.
  const inits = await Promise.all([
    runInit(a, {
      excludeInboundPorts: [9090],
      excludeOutboundPorts: [9091],
      excludeOutboundCidrs: [`${c.ip}/32`],
    }),
    runInit(d, { includeOutboundCidrs: [`${b.ip}/32`] }),
  ]);
  for (const init of inits) expect(init, init.stdout + init.stderr).toMatchObject({ code: 0 });

  const started = await Promise.all([
    listen(a, 'a-proxy', [ports.outboundCapture, ports.inboundCapture, ports.admin], proxy),
    listen(a, 'a-app', [8080, 9090], app),
    listen(b, 'b-app', [8080, 9091]),
    listen(c, 'c-app', [8080]),
    listen(d, 'd-proxy', [ports.outboundCapture], proxy),
  ]);
  for (const listener of started) listeners[listener.name] = listener;
});

afterAll(async () => {
  await network?.destroy();
});

const receivedBy = (name: string, payload: string) =>
  listeners[name]?.received().filter((r) => r.payload === payload) ?? [];

describe('outbound capture', () => {
  it("sends the app's call to another pod to the proxy's outbound port, which runs as the proxy UID", async () => {
    const call = await connectFrom(a, b.ip, 8080, app);
    expect(call.reply).toBe('a-proxy:15001');
    // REDIRECT in OUTPUT rewrites the destination to 127.0.0.1.
    expect(receivedBy('a-proxy', call.payload)).toEqual([
      expect.objectContaining({ port: ports.outboundCapture, uid: proxyUid, local: '127.0.0.1:15001' }),
    ]);
    expect(receivedBy('b-app', call.payload)).toEqual([]);
  });

  it("leaves the proxy's own traffic alone, matched by UID or by GID", async () => {
    const byUid = await connectFrom(a, b.ip, 8080, proxy);
    expect(byUid.reply).toBe('b-app:8080');
    expect(receivedBy('b-app', byUid.payload)).toHaveLength(1);
    const byGid = await connectFrom(a, b.ip, 8080, { uid: 1000, gid: proxyGid });
    expect(byGid.reply).toBe('b-app:8080');
  });

  it('does not capture excluded outbound ports or excluded destinations', async () => {
    expect((await connectFrom(a, b.ip, 9091, app)).reply).toBe('b-app:9091');
    expect((await connectFrom(a, c.ip, 8080, app)).reply).toBe('c-app:8080');
  });

  it('captures only the included destinations when the include list is narrow', async () => {
    expect((await connectFrom(d, b.ip, 8080, app)).reply).toBe('d-proxy:15001');
    expect((await connectFrom(d, c.ip, 8080, app)).reply).toBe('c-app:8080');
  });
});

describe('inbound capture', () => {
  it("sends a peer's call to the pod to the proxy's inbound port", async () => {
    const call = await connectFrom(b, a.ip, 8080);
    expect(call.reply).toBe('a-proxy:15006');
    // REDIRECT in PREROUTING rewrites it to the address of the interface the packet came in on.
    expect(receivedBy('a-proxy', call.payload)).toEqual([
      expect.objectContaining({
        port: ports.inboundCapture,
        local: `${a.ip}:15006`,
        remote: expect.stringMatching(`^${b.ip}:`),
      }),
    ]);
    expect(receivedBy('a-app', call.payload)).toEqual([]);
  });

  it('does not capture excluded inbound ports, nor the admin port', async () => {
    expect((await connectFrom(b, a.ip, 9090)).reply).toBe('a-app:9090');
    expect((await connectFrom(b, a.ip, ports.admin)).reply).toBe('a-proxy:15020');
  });
});

describe('loopback', () => {
  it('leaves 127.0.0.1 alone', async () => {
    expect((await connectFrom(a, '127.0.0.1', 8080, app)).reply).toBe('a-app:8080');
  });

  it('lets the app call its own pod IP directly, as Istio does', async () => {
    expect((await connectFrom(a, a.ip, 8080, app)).reply).toBe('a-app:8080');
  });

  it("sends the proxy's call to its own pod IP (a Service backed by this pod) through inbound capture", async () => {
    expect((await connectFrom(a, a.ip, 8080, proxy)).reply).toBe('a-proxy:15006');
  });
});

describe('an uncaptured pod', () => {
  it('reaches its peers directly, as a control for the cases above', async () => {
    expect((await connectFrom(b, c.ip, 8080)).reply).toBe('c-app:8080');
  });
});
