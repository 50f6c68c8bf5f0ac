import { z } from 'zod';
import { conditions } from './conditions.js';
import { type CrdDefinition, resourceSchema } from './crd.js';
import { duration, namespaceName, percent, quantity, withRules } from './schema-helpers.js';

/** The only MeshConfig name the operator acts on: there is one mesh per cluster. */
export const meshConfigName = 'default';

export const mtlsModes = ['STRICT', 'PERMISSIVE', 'DISABLE'] as const;

const issuerRef = z
  .object({
    name: z.string().min(1).max(253).describe('Name of the cert-manager issuer.'),
    kind: z
      .enum(['Issuer', 'ClusterIssuer'])
      .default('ClusterIssuer')
      .describe(
        "Issuer (in cert-manager's cluster resource namespace, next to the mesh CA certificate) or ClusterIssuer.",
      ),
    group: z.string().max(253).default('cert-manager.io').describe('API group of the issuer.'),
  })
  .describe(
    "Your own cert-manager issuer; it must be able to sign CA certificates for the mesh's intermediate.",
  );

const root = withRules(
  z
    .object({
      selfSigned: z
        .object({})
        .describe('Bootstrap a self-signed root CA through cert-manager (the default). Takes no fields.')
        .optional(),
      issuerRef: issuerRef.optional(),
    })
    .prefault({ selfSigned: {} })
    .describe('Where the mesh root of trust comes from: exactly one of selfSigned and issuerRef.'),
  {
    rule: 'has(self.selfSigned) != has(self.issuerRef)',
    message: 'set exactly one of selfSigned and issuerRef',
  },
);

const workloadCertificates = withRules(
  z
    .object({
      duration: duration.default('24h').describe('Lifetime of each workload certificate (at least 1h).'),
      renewBefore: duration
        .default('8h')
        .describe('Renew a workload certificate this long before it expires.'),
    })
    .prefault({})
    .describe('Certificates issued to each meshed ServiceAccount (SPIFFE identity).'),
  {
    rule: "duration(self.duration) >= duration('1h')",
    message: 'duration must be at least 1h',
    fieldPath: '.duration',
  },
  {
    rule: 'duration(self.renewBefore) < duration(self.duration)',
    message: 'renewBefore must be shorter than duration',
    fieldPath: '.renewBefore',
  },
);

const resourceList = z
  .object({
    cpu: quantity.optional().describe('CPU, e.g. 100m.'),
    memory: quantity.optional().describe('Memory, e.g. 128Mi.'),
  })
  .describe('CPU and memory quantities.');

const proxy = z
  .object({
    image: z
      .string()
      .max(512)
      .optional()
      .describe(
        "Sidecar image (trellis-init and trellis-proxy). Absent: the release's image for spec.version.",
      ),
    resources: z
      .object({
        requests: resourceList
          .prefault({ cpu: '50m', memory: '64Mi' })
          .describe('What the scheduler reserves for the proxy.'),
        limits: resourceList.prefault({ memory: '256Mi' }).describe('The most the proxy may use.'),
      })
      .prefault({})
      .describe(
        'Sidecar resources; pods override them with trellis.dev/proxy-cpu and trellis.dev/proxy-memory.',
      ),
    logLevel: z
      .enum(['trace', 'debug', 'info', 'warn', 'error'])
      .default('info')
      .describe('Proxy log level.'),
    nativeSidecar: z
      .enum(['auto', 'on', 'off'])
      .default('auto')
      .describe(
        'Run the proxy as a native sidecar (init container with restartPolicy Always): auto when the cluster supports it, on, or off. Quote on and off in YAML.',
      ),
    holdApplication: z
      .boolean()
      .default(true)
      .describe("Start the application's containers only after the proxy is ready."),
  })
  .prefault({})
  .describe('The sidecar proxy injected into meshed pods.');

const injector = z
  .object({
    replicas: z.int().min(1).max(10).default(2).describe('Injector webhook replicas.'),
    failurePolicy: z
      .enum(['Fail', 'Ignore'])
      .default('Fail')
      .describe(
        'What the API server does when the injector cannot answer: Fail refuses the pod, Ignore creates it without a sidecar.',
      ),
  })
  .prefault({})
  .describe('The sidecar injector (mutating admission webhook).');

const tracing = z
  .object({
    otlpEndpoint: z
      .string()
      .max(2048)
      .regex(/^https?:\/\/[^\s]+$/)
      .optional()
      .describe(
        'OTLP/HTTP traces endpoint, e.g. http://otel-collector.observability:4318/v1/traces. Absent: no spans are exported.',
      ),
    samplingPercent: percent.default(1).describe('Percentage of requests traced (0-100).'),
  })
  .prefault({})
  .describe('Distributed tracing from the proxies.');

const accessLog = z
  .object({
    enabled: z.boolean().default(false).describe('Write one log line per request or connection.'),
  })
  .prefault({})
  .describe('Proxy access logs.');

const upgrade = z
  .object({
    strategy: z
      .enum(['Manual', 'RollingRestart'])
      .default('Manual')
      .describe(
        'What happens to running pods after spec.version changes: Manual lists outdated pods in status; RollingRestart restarts meshed workloads one at a time.',
      ),
    pace: duration
      .default('30s')
      .describe('RollingRestart: pause between one workload becoming available and restarting the next.'),
    workloadTimeout: duration
      .default('10m')
      .describe(
        'RollingRestart: how long a restarted workload may take to become available before the upgrade pauses as Degraded.',
      ),
    paused: z
      .boolean()
      .default(false)
      .describe('Stop restarting workloads (an upgrade in progress resumes when false).'),
  })
  .prefault({})
  .describe('How the data plane follows a control-plane upgrade.');

export const meshConfigSpec = z
  .object({
    version: z
      .string()
      .max(64)
      .regex(/^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$/)
      .optional()
      .describe(
        "Trellis release to run, e.g. 0.2.0. Absent: the operator's own version. Changing it upgrades the mesh.",
      ),
    trustDomain: z
      .string()
      .max(253)
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/)
      .default('cluster.local')
      .describe(
        'SPIFFE trust domain: identities are spiffe://<trustDomain>/ns/<namespace>/sa/<serviceaccount>.',
      ),
    mtlsMode: z
      .enum(mtlsModes)
      .default('PERMISSIVE')
      .describe(
        'Mesh-wide inbound mTLS mode; PeerAuthentication narrows it per namespace, workload and port.',
      ),
    certificates: z
      .object({ root, workload: workloadCertificates })
      .prefault({})
      .describe('The mesh CA and workload certificates, issued by cert-manager.'),
    proxy,
    injector,
    outboundTrafficPolicy: z
      .enum(['ALLOW_ANY', 'REGISTRY_ONLY'])
      .default('ALLOW_ANY')
      .describe('ALLOW_ANY passes traffic to unknown destinations through; REGISTRY_ONLY refuses it.'),
    tracing,
    accessLog,
    upgrade,
    injectionNamespaceExclusions: z
      .array(namespaceName)
      .max(64)
      .default(['kube-system', 'kube-public', 'kube-node-lease', 'cert-manager', 'trellis-system'])
      .describe('Namespaces the injector never touches, whatever their labels say.'),
  })
  .prefault({});
export type MeshConfigSpec = z.output<typeof meshConfigSpec>;
export type MeshConfigSpecInput = z.input<typeof meshConfigSpec>;

const podRef = z.object({
  namespace: z.string().max(63).describe("The pod's namespace."),
  name: z.string().max(253).describe("The pod's name."),
});

/** A bounded sample of pods; `count` is the full number, which may exceed what is listed. */
const podSample = (what: string) =>
  z
    .object({
      count: z.int().min(0).describe(`How many pods ${what}.`),
      pods: z
        .array(
          podRef.extend({
            version: z.string().max(64).optional().describe('The proxy version the pod runs, when known.'),
          }),
        )
        .max(100)
        .optional()
        .describe('Up to 100 of them.'),
    })
    .describe(`Pods ${what}.`);

export const meshConfigStatus = z.object({
  observedGeneration: z
    .int()
    .min(0)
    .optional()
    .describe('The metadata.generation the operator last acted on.'),
  installedVersion: z
    .string()
    .max(64)
    .optional()
    .describe('The version the control plane runs now (equals spec.version when an upgrade has finished).'),
  conditions: conditions
    .optional()
    .describe(
      'Ready (the mesh serves), Progressing (an install or upgrade is under way), Degraded (something failed; see reason).',
    ),
  outdatedPods: podSample(
    'run a proxy older than installedVersion (Manual upgrades: restart them yourself)',
  ).optional(),
  injectionDrift: podSample('asked for injection but have no sidecar').optional(),
  rollout: z
    .object({
      total: z.int().min(0).describe('Meshed workloads to restart for this upgrade.'),
      restarted: z.int().min(0).describe('Workloads restarted and available so far.'),
      current: z
        .object({
          kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet']).describe("The workload's kind."),
          namespace: z.string().max(63).describe("The workload's namespace."),
          name: z.string().max(253).describe("The workload's name."),
        })
        .optional()
        .describe('The workload being restarted now.'),
    })
    .optional()
    .describe('RollingRestart progress.'),
});
export type MeshConfigStatus = z.output<typeof meshConfigStatus>;

export const meshConfigCrd = {
  kind: 'MeshConfig',
  plural: 'meshconfigs',
  singular: 'meshconfig',
  shortNames: ['mc'],
  scope: 'Cluster',
  description:
    'MeshConfig installs and configures the Trellis mesh. Cluster-scoped; the operator acts only on the one named default.',
  spec: meshConfigSpec,
  status: meshConfigStatus,
  specRequired: false,
  rules: [
    {
      rule: `self.metadata.name == '${meshConfigName}'`,
      message: `there is one MeshConfig per cluster and it must be named ${meshConfigName}`,
      reason: 'FieldValueInvalid',
    },
  ],
  printerColumns: [
    { name: 'Version', type: 'string', jsonPath: '.spec.version', description: 'Requested Trellis version.' },
    {
      name: 'Installed',
      type: 'string',
      jsonPath: '.status.installedVersion',
      description: 'Version the control plane runs.',
    },
    {
      name: 'Ready',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Ready")].status',
      description: 'Whether the mesh is ready.',
    },
    {
      name: 'Reason',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
      description: 'Why, when it is not.',
      priority: 1,
    },
    {
      name: 'Age',
      type: 'date',
      jsonPath: '.metadata.creationTimestamp',
      description: 'Time since creation.',
    },
  ],
} satisfies CrdDefinition<typeof meshConfigSpec, typeof meshConfigStatus>;

/** A whole MeshConfig as the API server returns it, defaults filled. */
export const meshConfig = resourceSchema(meshConfigCrd);
export type MeshConfig = z.output<typeof meshConfig>;
