import { z } from 'zod';
import type { PodLike } from './decision.js';
import { type InjectContext, injectPod } from './inject.js';
import { buildPatch } from './patch.js';

const gvk = z.object({ group: z.string(), version: z.string(), kind: z.string() });
const admissionRequest = z.looseObject({
  uid: z.string().min(1),
  kind: gvk,
  resource: z.object({ group: z.string(), version: z.string(), resource: z.string() }),
  subResource: z.string().optional(),
  namespace: z.string().optional(),
  operation: z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
  object: z.unknown().optional(),
  dryRun: z.boolean().optional(),
});

export const admissionReview = z.object({
  apiVersion: z.literal('admission.k8s.io/v1'),
  kind: z.literal('AdmissionReview'),
  request: admissionRequest,
});
export type AdmissionReview = z.infer<typeof admissionReview>;

const stringMap = z.record(z.string(), z.string());
const named = z.looseObject({ name: z.string().min(1) });
const probe = z.looseObject({}).optional();
const container = named.extend({
  ports: z.array(z.looseObject({ containerPort: z.number().int(), name: z.string().optional() })).optional(),
  livenessProbe: probe,
  readinessProbe: probe,
  startupProbe: probe,
  securityContext: z.looseObject({ runAsUser: z.number().int().optional() }).optional(),
});
/** The parts of a pod the injector reads; everything else passes through untouched. */
const pod = z.looseObject({
  metadata: z
    .looseObject({
      namespace: z.string().optional(),
      labels: stringMap.optional(),
      annotations: stringMap.optional(),
    })
    .optional(),
  spec: z.looseObject({
    containers: z.array(container).min(1),
    initContainers: z.array(container).optional(),
    volumes: z.array(named).optional(),
    hostNetwork: z.boolean().optional(),
    serviceAccountName: z.string().optional(),
  }),
});

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: 'JSONPatch';
  patch?: string;
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
  status?: { code: number; message: string };
}

/** What happened, for the metric labels and the log line. */
export interface Outcome {
  result: 'injected' | 'skipped' | 'refused' | 'ignored';
  reason: string;
}

export type ReviewAnswer =
  | { status: 200; body: { apiVersion: string; kind: string; response: AdmissionResponse }; outcome: Outcome }
  | { status: 400; body: { message: string }; outcome: Outcome };

const invalid = (message: string): ReviewAnswer => ({
  status: 400,
  body: { message },
  outcome: { result: 'refused', reason: 'malformed' },
});

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Validates a review and answers it; never throws on what the client sent. */
export function answerReview(body: unknown, ctx: Omit<InjectContext, 'namespace'>): ReviewAnswer {
  const parsed = admissionReview.safeParse(body);
  if (!parsed.success) return invalid(`invalid AdmissionReview: ${issues(parsed.error)}`);
  const { request } = parsed.data;
  const reply = (response: Omit<AdmissionResponse, 'uid'>, outcome: Outcome): ReviewAnswer => ({
    status: 200,
    body: {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: request.uid, ...response },
    },
    outcome,
  });

  const isPodCreate =
    request.operation === 'CREATE' &&
    request.kind.group === '' &&
    request.kind.kind === 'Pod' &&
    request.resource.resource === 'pods' &&
    !request.subResource;
  if (!isPodCreate) return reply({ allowed: true }, { result: 'ignored', reason: 'not-a-pod-create' });

  const parsedPod = pod.safeParse(request.object);
  if (!parsedPod.success) return invalid(`invalid pod in request.object: ${issues(parsedPod.error)}`);
  // The patch must apply to exactly what the API server sent, so inject the raw object, not zod's copy.
  const original = request.object as PodLike;
  const namespace = request.namespace ?? parsedPod.data.metadata?.namespace ?? '';

  const result = injectPod(original, { ...ctx, namespace });
  const audit = { injection: `${result.result}/${result.reason}` };
  const outcome = { result: result.result, reason: result.reason };
  switch (result.result) {
    case 'injected': {
      const patch = buildPatch(original, result.pod);
      return reply(
        {
          allowed: true,
          patchType: 'JSONPatch',
          patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
          auditAnnotations: audit,
          ...(result.warnings.length > 0 ? { warnings: result.warnings.map((w) => `trellis: ${w}`) } : {}),
        },
        outcome,
      );
    }
    case 'skipped': {
      // Every pod in an unlabelled namespace passes through the annotation entry; say nothing to those.
      const warn = result.reason !== 'not-opted-in';
      return reply(
        {
          allowed: true,
          auditAnnotations: audit,
          ...(warn ? { warnings: [`trellis: not injected (${result.reason}): ${result.message}`] } : {}),
        },
        outcome,
      );
    }
    case 'refused':
      return reply(
        {
          allowed: false,
          auditAnnotations: audit,
          status: { code: 400, message: `trellis: cannot inject (${result.reason}): ${result.message}` },
        },
        outcome,
      );
  }
}
