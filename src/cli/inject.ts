import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type Document, parseAllDocuments } from 'yaml';
import type { PodLike } from '../webhook/decision.js';
import { injectPod } from '../webhook/inject.js';
import {
  defaultSettings,
  type InjectionSettings,
  loadSettings,
  resolveNativeSidecar,
} from '../webhook/settings.js';
import type { Command, Io } from './command.js';
import { describe, getIn, type Manifest, podTemplatePath } from './workloads.js';

export interface InjectOptions {
  settings: InjectionSettings;
  /** Whether the target cluster runs native sidecars (see `--kube-version`). */
  native: boolean;
  /** For objects that name no namespace. */
  namespace: string;
}

export interface InjectOutput {
  yaml: string;
  /** One line per pod-bearing object: what happened to it. */
  report: string[];
  /** Problems that make the output unusable (parse errors, refused overrides). */
  errors: string[];
}

/**
 * Injects every pod template in a YAML stream through the webhook's own
 * `injectPod`. Only injected templates are replaced; other documents keep
 * their content and comments (the yaml library may respace flow style).
 * On any error the output is empty: a pipeline must not apply half a stream.
 */
export function injectManifests(text: string, opts: InjectOptions): InjectOutput {
  const docs = parseAllDocuments(text);
  const report: string[] = [];
  const errors: string[] = [];

  const visit = (doc: Document, obj: Manifest, at: (string | number)[]) => {
    if (obj.kind === 'List' && Array.isArray((obj as { items?: unknown }).items)) {
      (obj as { items: Manifest[] }).items.forEach((item, i) => {
        visit(doc, item, [...at, 'items', i]);
      });
      return;
    }
    const templatePath = podTemplatePath(obj);
    if (!templatePath) return;
    const name = describe(obj);
    const template = getIn(obj, templatePath) as PodLike | undefined;
    if (!template?.spec) {
      errors.push(`${name}: no pod spec at ${templatePath.join('.') || '(root)'}`);
      return;
    }
    const namespace = typeof obj.metadata?.namespace === 'string' ? obj.metadata.namespace : opts.namespace;
    const result = injectPod(template, {
      settings: opts.settings,
      native: opts.native,
      namespace,
      defaultOptIn: 'offline',
    });
    switch (result.result) {
      case 'injected':
        doc.setIn([...at, ...templatePath, 'metadata'], doc.createNode(result.pod.metadata));
        doc.setIn([...at, ...templatePath, 'spec'], doc.createNode(result.pod.spec));
        report.push(`${name}: injected`);
        for (const w of result.warnings) report.push(`${name}: warning: ${w}`);
        return;
      case 'skipped':
        report.push(`${name}: skipped (${result.reason}): ${result.message}`);
        return;
      case 'refused':
        errors.push(`${name}: ${result.reason}: ${result.message}`);
    }
  };

  docs.forEach((doc, i) => {
    if (doc.errors.length > 0) {
      errors.push(...doc.errors.map((e) => `document ${i + 1}: ${e.message}`));
      return;
    }
    const obj = doc.toJS() as unknown;
    if (obj !== null && typeof obj === 'object') visit(doc, obj as Manifest, []);
  });
  if (errors.length > 0) return { yaml: '', report, errors };
  const yaml = docs
    .map((doc, i) => {
      const s = doc.toString();
      return i > 0 && !s.startsWith('---') ? `---\n${s}` : s;
    })
    .join('');
  return { yaml, report, errors };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** `1.28` or `v1.28.3` → its major and minor. */
function parseKubeVersion(v: string): { major: string; minor: string } {
  const m = /^v?(\d+)\.(\d+)/.exec(v);
  if (!m?.[1] || !m[2]) throw new Error(`--kube-version: "${v}" is not a Kubernetes version like 1.29`);
  return { major: m[1], minor: m[2] };
}

const usage = `Usage: trellisctl inject -f <file|-> [-f ...] [options]

Adds the Trellis init container and proxy to the pods of Pods, Deployments,
StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs in a YAML stream
(the same injection the webhook does) and writes the stream to stdout.
Objects not opted out are injected; the report goes to stderr.

Options:
  -f, --filename <path>     manifest file, or - for stdin (repeatable)
  --settings <path>         injection settings (JSON, as the injector reads them)
  --native-sidecar <mode>   auto (default: from settings), on or off
  --kube-version <x.y>      target cluster version for auto (default 1.29: native sidecars)
  -n, --namespace <ns>      namespace of objects that name none (default: default)
`;

export const injectCommand: Command = {
  summary: 'add the mesh to workloads in a YAML stream (offline injection for GitOps)',
  async run(argv: string[], io: Io): Promise<number> {
    const { values } = parseArgs({
      args: argv,
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        settings: { type: 'string' },
        'native-sidecar': { type: 'string' },
        'kube-version': { type: 'string', default: '1.29' },
        namespace: { type: 'string', short: 'n', default: 'default' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
    if (values.help) {
      io.stdout.write(usage);
      return 0;
    }
    const files = values.filename ?? [];
    if (files.length === 0) {
      io.stderr.write(`trellisctl inject: -f is required\n\n${usage}`);
      return 2;
    }
    const settings = values.settings ? await loadSettings(values.settings) : defaultSettings;
    const mode = values['native-sidecar'] ?? settings.nativeSidecar;
    if (mode !== 'auto' && mode !== 'on' && mode !== 'off') {
      throw new Error(`--native-sidecar: "${mode}" must be auto, on or off`);
    }
    const native = resolveNativeSidecar(mode, parseKubeVersion(values['kube-version']));

    const inputs = await Promise.all(files.map((f) => (f === '-' ? readAll(io.stdin) : readFile(f, 'utf8'))));
    // Files are concatenated as one stream, as kubectl does with several -f.
    const text = inputs.map((t) => (t.endsWith('\n') || t === '' ? t : `${t}\n`)).join('---\n');
    const out = injectManifests(text, { settings, native, namespace: values.namespace });
    for (const line of out.report) io.stderr.write(`${line}\n`);
    if (out.errors.length > 0) {
      for (const e of out.errors) io.stderr.write(`error: ${e}\n`);
      return 1;
    }
    io.stdout.write(out.yaml);
    return 0;
  },
};
