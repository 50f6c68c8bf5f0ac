import { authorizationPolicyCrd } from './authorization-policy.js';
import type { CrdDefinition } from './crd.js';
import { destinationPolicyCrd } from './destination-policy.js';
import { meshConfigCrd } from './mesh-config.js';
import { peerAuthenticationCrd } from './peer-authentication.js';
import { trafficRouteCrd } from './traffic-route.js';

export * from './authorization-policy.js';
export * from './conditions.js';
export * from './destination-policy.js';
export * from './mesh-config.js';
export * from './peer-authentication.js';
export * from './policy-status.js';
export * from './traffic-route.js';

/** Every Trellis CRD, in the order docs/crds.md presents them. */
export const crds: readonly CrdDefinition[] = [
  meshConfigCrd,
  trafficRouteCrd,
  destinationPolicyCrd,
  peerAuthenticationCrd,
  authorizationPolicyCrd,
];
