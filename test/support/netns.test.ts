import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPodNetwork, type Pod, type PodNetwork, withPodNetwork } from './netns.js';

const name = 'nstest';
const subnet = '198.18.100.0/24';

const links = () => execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
const namespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
const alive = (pid: number | undefined) => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// A listener that answers each connection with its own name, and a client that prints the answer.
const listener = (port: number, reply: string) =>
  `require('node:net').createServer((s) => s.end('${reply}')).listen(${port}, () => console.log('listening'))`;
const client = (host: string, port: number) =>
  `const s = require('node:net').connect(${port}, '${host}'); s.setEncoding('utf8').on('data', (d) => process.stdout.write(d)); s.on('error', (e) => { console.error(e.code); process.exit(1); });`;

describe('createPodNetwork arguments', () => {
  it.each([
    ['198.18.0.0/24', /e2e node agent/],
    ['198.19.100.0/24', /expected 198\.18\.N\.0\/24/],
    ['198.18.100.0/16', /expected 198\.18\.N\.0\/24/],
    ['10.0.0.0/24', /expected 198\.18\.N\.0\/24/],
  ])('refuses subnet %s', async (bad, reason) => {
    await expect(createPodNetwork({ name: 'bad', subnet: bad })).rejects.toThrow(reason);
  });

  it("gives the node agent's subnet only to the node agent, and the node agent no other", async () => {
    await expect(createPodNetwork({ name: 'bad', subnet, nodeAgent: true })).rejects.toThrow(
      /the node agent's is 198\.18\.0\.0\/24/,
    );
  });

  it('refuses a name that would not fit an interface name', async () => {
    await expect(createPodNetwork({ name: 'toolong1', subnet })).rejects.toThrow(/expected 1-6/);
  });
});

describe('a pod network', () => {
  let network: PodNetwork;
  let a: Pod;
  let b: Pod;
  const forwarding = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');

  beforeAll(async () => {
    network = await createPodNetwork({ name, subnet });
    a = await network.addPod('a');
    b = await network.addPod('b');
  });
  afterAll(async () => {
    await network?.destroy();
  });

  it('gives each pod its own address on eth0, lo up, and a default route via the bridge', async () => {
    expect([network.gateway, a.ip, b.ip]).toEqual(['198.18.100.1', '198.18.100.2', '198.18.100.3']);
    const addresses = await a.exec(['ip', '-o', '-4', 'addr', 'show']);
    expect(addresses.stdout).toMatch(/ lo +inet 127\.0\.0\.1\/8 /);
    expect(addresses.stdout).toMatch(/ eth0 +inet 198\.18\.100\.2\/24 /);
    expect((await a.exec(['ip', 'route', 'show', 'default'])).stdout.trim()).toBe(
      'default via 198.18.100.1 dev eth0',
    );
  });

  it('lets pods reach each other across the bridge', async () => {
    const server = b.spawn([process.execPath, '-e', listener(8080, 'b')]);
    await server.waitForLine(/listening/);
    const result = await a.exec([process.execPath, '-e', client(b.ip, 8080)]);
    expect(result).toMatchObject({ code: 0, stdout: 'b' });
    await server.stop();
  });

  it('runs a process as the UID and GID asked for, with no supplementary groups', async () => {
    const ids = await a.exec(['sh', '-c', 'id -u; id -g; id -G'], { uid: 1337, gid: 1337 });
    expect(ids.stdout).toBe('1337\n1337\n1337\n');
    expect((await a.exec(['id', '-u'])).stdout).toBe('0\n');
  });

  it('runs a prologue as root before dropping to the UID, with the environment given', async () => {
    const proc = a.spawn(['sh', '-c', 'id -u; echo "$GREETING"; cat /mnt/trellis-nstest'], {
      uid: 1337,
      gid: 1337,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GREETING: 'hello' },
      prologue: 'mount -t tmpfs none /mnt && echo mounted > /mnt/trellis-nstest',
    });
    const result = await proc.exited;
    expect(result).toMatchObject({ code: 0, stdout: '1337\nhello\nmounted\n' });
    // The mount was the process's own.
    expect(existsSync('/mnt/trellis-nstest')).toBe(false);
  });

  it('removes one pod: its processes and namespace go, the others stay', async () => {
    const c = await network.addPod('c');
    const sleeper = c.spawn(['sh', '-c', 'echo ready; sleep 60']);
    await sleeper.waitForLine(/ready/);
    await network.removePod(c);
    await sleeper.exited;
    expect(alive(sleeper.pid)).toBe(false);
    expect(namespaces()).not.toContain('trellis-nstest-c');
    expect(namespaces()).toContain('trellis-nstest-a');
    expect(network.pods.map((p) => p.name)).toEqual(['a', 'b']);
  });

  it('kills a process that exceeds its time limit', async () => {
    const started = Date.now();
    const result = await a.exec(['sleep', '30'], { timeoutMs: 200 });
    expect(result.code).toBeNull();
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('never turns IP forwarding on', () => {
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8')).toBe(forwarding);
  });
});

describe('cleaning up', () => {
  it('removes processes, namespaces, veths and the bridge, even a process that ignores SIGTERM', async () => {
    const network = await createPodNetwork({ name: 'nsgone', subnet: '198.18.99.0/24' });
    const pod = await network.addPod('x');
    const stubborn = pod.spawn(['sh', '-c', 'trap "" TERM; echo ready; sleep 60']);
    await stubborn.waitForLine(/ready/);
    expect(alive(stubborn.pid)).toBe(true);
    expect(namespaces()).toContain('trellis-nsgone-x');

    await network.destroy();
    await network.destroy();
    expect(alive(stubborn.pid)).toBe(false);
    expect(namespaces()).not.toContain('trellis-nsgone-');
    expect(links()).not.toMatch(/trb-nsgone|trvnsgone/);
  });

  it('destroys a network when the code using it throws', async () => {
    let pid: number | undefined;
    const failing = withPodNetwork({ name: 'nsfail', subnet: '198.18.97.0/24' }, async (network) => {
      const pod = await network.addPod('x');
      const sleeper = pod.spawn(['sh', '-c', 'echo ready; sleep 60']);
      await sleeper.waitForLine(/ready/);
      pid = sleeper.pid;
      throw new Error('the test failed');
    });
    await expect(failing).rejects.toThrow('the test failed');
    expect(alive(pid)).toBe(false);
    expect(namespaces()).not.toContain('trellis-nsfail-');
    expect(links()).not.toMatch(/trb-nsfail|trvnsfail/);
  });

  it("clears a crashed run's leftovers when a network of the same name is made again", async () => {
    const crashed = await createPodNetwork({ name: 'nsleft', subnet: '198.18.98.0/24' });
    await crashed.addPod('x');
    // No destroy: as if the test process died here, one pair before its pod end moved.
    execFileSync('ip', ['link', 'add', 'trvnsleft-9', 'type', 'veth', 'peer', 'name', 'trpnsleft-9']);
    const again = await createPodNetwork({ name: 'nsleft', subnet: '198.18.98.0/24' });
    expect(namespaces()).not.toContain('trellis-nsleft-x');
    expect(links()).not.toContain('nsleft-9');
    const pod = await again.addPod('x');
    expect(pod.ip).toBe('198.18.98.2');
    await again.destroy();
    expect(links()).not.toContain('trb-nsleft');
  });
});
