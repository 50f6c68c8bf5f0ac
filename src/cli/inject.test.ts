import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { defaultSettings } from '../webhook/settings.js';
import { type InjectOptions, injectManifests } from './inject.js';

const opts: InjectOptions = { settings: defaultSettings, native: true, namespace: 'default' };
const spec = 'spec: {containers: [{name: app, image: app:1}]}';
const template = `template: {metadata: {labels: {app: a}}, ${spec}}`;

const stream = `# leading comment
apiVersion: v1
kind: Pod
metadata: {name: p}
${spec}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  selector: {matchLabels: {app: a}}
  ${template}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: s}
spec: {serviceName: s, ${template}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds}
spec: {${template}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs}
spec: {${template}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec: {template: {spec: {restartPolicy: Never, containers: [{name: app, image: app:1}]}}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cj}
spec: {schedule: "@daily", jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: app, image: app:1}]}}}}}
---
# a service stays as written
apiVersion: v1
kind: Service
metadata: {name: svc}
spec: {ports: [{port: 80}]}
`;

type Pod = {
  metadata?: { annotations?: Record<string, string> };
  spec: { initContainers?: { name: string }[] };
};
const templates = (yaml: string): Pod[] =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS())
    .flatMap((o) => {
      if (o.kind === 'Pod') return [o];
      if (o.kind === 'CronJob') return [o.spec.jobTemplate.spec.template];
      return o.spec?.template ? [o.spec.template] : [];
    });

describe('trellisctl inject', () => {
  it('injects every pod-bearing kind and leaves the rest, comments included', () => {
    const out = injectManifests(stream, opts);
    expect(out.errors).toEqual([]);
    expect(out.report).toEqual([
      'pod/p: injected',
      'deployment.apps/d: injected',
      'statefulset.apps/s: injected',
      'daemonset.apps/ds: injected',
      'replicaset.apps/rs: injected',
      'job.batch/j: injected',
      'cronjob.batch/cj: injected',
    ]);
    const pods = templates(out.yaml);
    expect(pods).toHaveLength(7);
    for (const p of pods) {
      expect(p.spec.initContainers?.map((c) => c.name)).toEqual(['trellis-init', 'trellis-proxy']);
      expect(p.metadata?.annotations?.['trellis.dev/status']).toBeDefined();
    }
    expect(out.yaml.startsWith('# leading comment\n')).toBe(true);
    expect(out.yaml).toContain('# a service stays as written\n');
    const docs = parseAllDocuments(out.yaml).map((d) => d.toJS());
    expect(docs.at(-1)).toEqual(parseAllDocuments(stream).at(-1)?.toJS());
  });

  it('is idempotent: its own output passes through unchanged', () => {
    const once = injectManifests(stream, opts);
    const twice = injectManifests(once.yaml, opts);
    expect(twice.yaml).toBe(once.yaml);
    expect(twice.report.every((l) => l.includes('skipped (already-injected)'))).toBe(true);
  });

  it('gives the same pod as the webhook path would for the same input', async () => {
    const { injectPod } = await import('../webhook/inject.js');
    const out = injectManifests(stream, opts);
    const pod = parse(stream.split('---')[0] ?? '');
    const direct = injectPod(pod, { ...opts, defaultOptIn: 'offline' });
    if (direct.result !== 'injected') throw new Error('not injected');
    expect(templates(out.yaml)[0]).toEqual({ apiVersion: 'v1', kind: 'Pod', ...direct.pod });
  });

  it('skips opted-out and system workloads, saying why', () => {
    const out = injectManifests(
      `apiVersion: v1
kind: Pod
metadata: {name: a, annotations: {trellis.dev/inject: "false"}}
${spec}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: kube-system}
${spec}
`,
      opts,
    );
    expect(out.report).toEqual([
      'pod/a: skipped (opted-out): the pod opted out (trellis.dev/inject: "false")',
      'pod/b: skipped (system-namespace): namespace kube-system is never meshed',
    ]);
    expect(templates(out.yaml).every((p) => p.spec.initContainers === undefined)).toBe(true);
  });

  it('handles a List, as kubectl get -o yaml writes', () => {
    const out = injectManifests(
      `apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, ${spec}}
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}
`,
      opts,
    );
    expect(out.report).toEqual(['pod/a: injected']);
    expect(parse(out.yaml).items[0].spec.initContainers).toHaveLength(2);
  });

  it('renders classic sidecars when the cluster has no native ones, and warns about the Job', () => {
    const out = injectManifests(stream, { ...opts, native: false });
    expect(out.report).toContain(
      'job.batch/j: warning: the proxy is not a native sidecar: this run-to-completion pod completes only once the app calls POST http://127.0.0.1:15020/quit',
    );
  });

  it('keeps a version that looks like a number a string', () => {
    const out = injectManifests(stream, { ...opts, settings: { ...defaultSettings, version: '1.10' } });
    const pod = templates(out.yaml)[0];
    expect(pod?.metadata?.annotations?.['trellis.dev/proxy-version']).toBe('1.10');
  });

  it.each([
    ['a YAML error', 'a: [1,\n', 'document 1:'],
    [
      'a bad override',
      `apiVersion: v1\nkind: Pod\nmetadata: {name: a, annotations: {trellis.dev/proxy-cpu: lots}}\n${spec}\n`,
      'pod/a: invalid-override',
    ],
    [
      'a workload without a pod spec',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {}\n',
      'deployment.apps/d: no pod spec at spec.template',
    ],
  ])('reports %s as an error', (_what, text, error) => {
    const out = injectManifests(text, opts);
    expect(out.errors.join('\n')).toContain(error);
  });
});
