import { z } from 'zod';
import { type CrdDefinition, resourceSchema } from './crd.js';
import { mtlsModes } from './mesh-config.js';
import { policyColumns, policyStatus } from './policy-status.js';
import { listMap, port, withRules, workloadSelector } from './schema-helpers.js';

const mode = z.enum(mtlsModes);

const portMode = z
  .object({
    port: port.describe("The workload's container port (not the Service port)."),
    mode: mode.describe('The mode for this port.'),
  })
  .describe('The mTLS mode of one port.');

export const peerAuthenticationSpec = withRules(
  z.object({
    selector: workloadSelector.optional(),
    mode: mode
      .optional()
      .describe(
        'Inbound mTLS mode. STRICT: mTLS only; PERMISSIVE: mTLS or plaintext; DISABLE: plaintext. Absent: inherited (namespace policy, then MeshConfig).',
      ),
    portModes: listMap(z.array(portMode).max(32), 'port')
      .optional()
      .describe('Per-port modes that override mode; need a selector.'),
  }),
  { rule: 'has(self.mode) || has(self.portModes)', message: 'set mode, portModes or both' },
  {
    rule: '!has(self.portModes) || has(self.selector)',
    message: 'portModes needs a selector: ports belong to workloads, not to a namespace',
    fieldPath: '.portModes',
  },
);
export type PeerAuthenticationSpec = z.output<typeof peerAuthenticationSpec>;
export type PeerAuthenticationSpecInput = z.input<typeof peerAuthenticationSpec>;

export const peerAuthenticationCrd = {
  kind: 'PeerAuthentication',
  plural: 'peerauthentications',
  singular: 'peerauthentication',
  shortNames: ['pa'],
  scope: 'Namespaced',
  description:
    'PeerAuthentication sets the inbound mTLS mode of workloads and ports. The most specific policy wins: a port mode, then a policy with a selector, then the namespace policy (no selector), then a namespace policy in trellis-system (mesh-wide), then MeshConfig.spec.mtlsMode.',
  spec: peerAuthenticationSpec,
  status: policyStatus,
  specRequired: true,
  printerColumns: [
    { name: 'Mode', type: 'string', jsonPath: '.spec.mode', description: 'The workload-wide mode.' },
    ...policyColumns,
  ],
} satisfies CrdDefinition<typeof peerAuthenticationSpec, typeof policyStatus>;

/** A whole PeerAuthentication as the API server returns it, defaults filled. */
export const peerAuthentication = resourceSchema(peerAuthenticationCrd);
export type PeerAuthentication = z.output<typeof peerAuthentication>;
