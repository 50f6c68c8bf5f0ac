// `tsx bench/h1/cpu-summary.ts FILE.cpuprofile [TOP]`: where a V8 CPU profile's time went. Prints
// (1) self time by function, (2) self time by module/category (each sample is charged to the
// nearest frame, leaf upwards, that belongs to a known module, so a builtin called from
// prom-client counts as prom-client), (3) inclusive time by module (any frame on the stack).
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Module (or category) a frame belongs to; undefined for frames that say nothing (anonymous builtins). */
export function moduleOf(frame: Node['callFrame']): string | undefined {
  const { url, functionName: fn } = frame;
  if (fn === '(garbage collector)') return 'gc';
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)') return 'program (native, unattributed)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1] === 'tsx' ? 'tsx' : `pkg:${nm[1]}`;
  const src = /\/(src|bench)\/(.+)$/.exec(url);
  if (src) return `${src[1]}/${src[2]}`;
  if (/node:(_tls|internal\/tls|tls)/.test(url) || fn === 'onhandshakedone') return 'node:tls';
  if (/node:(_http|internal\/http|http)/.test(url) || fn === 'parserOnHeadersComplete') return 'node:http';
  if (/node:internal\/streams|node:stream/.test(url)) return 'node:streams';
  if (/node:(net|internal\/stream_base_commons|internal\/net)/.test(url)) return 'node:net';
  if (/node:(events|internal\/events)/.test(url)) return 'node:events';
  if (/node:internal\/(timers|process\/task_queues)|node:timers/.test(url)) return 'node:timers/ticks';
  if (url.startsWith('node:')) return `node:other (${url.slice(5).split('/').slice(-1)[0]})`;
  return undefined;
}

function main() {
  const [file = '', topArg = '25'] = process.argv.slice(2);
  const top = Number(topArg);
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i + 1] ?? 0));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idle = [...selfUs].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)');
  const idleUs = idle.reduce((a, [, us]) => a + us, 0);
  const busy = total - idleUs;
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1)}%`;
  const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us);

  const fnSelf = new Map<string, number>();
  const modSelf = new Map<string, number>();
  const modIncl = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n || n.callFrame.functionName === '(idle)') continue;
    const f = n.callFrame;
    const where = f.url
      ? `${f.url.replace(/^.*\/(node_modules|src|bench)\//, '$1/')}:${f.lineNumber + 1}`
      : '';
    add(fnSelf, `${f.functionName || '(anonymous)'} ${where}`, us);
    let cur: number | undefined = id;
    let charged: string | undefined;
    const seen = new Set<string>();
    while (cur !== undefined) {
      const node = byId.get(cur);
      if (!node) break;
      const mod = moduleOf(node.callFrame);
      if (mod) {
        charged ??= mod;
        seen.add(mod);
      }
      cur = parent.get(cur);
    }
    add(modSelf, charged ?? 'builtin (no JS caller)', us);
    for (const m of seen) add(modIncl, m, us);
  }
  const print = (title: string, m: Map<string, number>, n: number) => {
    console.log(`\n${title}`);
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n))
      console.log(`${pct(us).padStart(7)}  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
  };
  console.log(
    `${file}: ${(total / 1e6).toFixed(1)} s sampled, ${((100 * idleUs) / total).toFixed(1)}% idle; percentages are of busy time`,
  );
  print('self time by function', fnSelf, top);
  print('self time by module (nearest known frame)', modSelf, top);
  print('inclusive time by module', modIncl, top);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').slice(-1)[0] ?? '')) main();
